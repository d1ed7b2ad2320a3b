"""Merchant payments API, rejected requests: every validation error names its parameter and
persists nothing; transitions not allowed from the current status are 409 invalid_state and change
nothing (PRODUCT.md §2, §6)."""

import json
import time
import unittest

from payments_helpers import PaymentsTestCase, Merchant, ledger_entries

PAN = "4242 4242 4242 4242"


class ValidationTest(PaymentsTestCase):
    def setUp(self):
        # A few objects of each kind exist, so "unchanged" is meaningful.
        if not getattr(type(self), "_seeded", False):
            type(self)._seeded = True
            self.m.pay(self)
            self.m.create_payment()
            p = self.m.pay(self, amount=500)
            self.m.post("/v1/refunds", {"payment": p["id"], "amount": 100})

    def assertRejected(self, do, status, code, param=None, etype="invalid_request_error"):
        """Runs `do()` (returns a Resp), checks the error and that nothing was persisted."""
        before = self.m.snapshot()
        ledger_before = len(ledger_entries(self.srv))
        r = do()
        err = self.assertError(r, status, code=code, etype=etype)
        if param is not None:
            self.assertEqual(err.get("param"), param, r)
        self.assertEqual(self.m.snapshot(), before, f"rejected request persisted something: {r}")
        self.assertEqual(len(ledger_entries(self.srv)), ledger_before, "rejected request hit the PSP")
        return err

    def assertCreateRejected(self, body, code, param, status=400, **kw):
        return self.assertRejected(lambda: self.m.post("/v1/payments", body, **kw), status, code,
                                   param)

    # -- POST /v1/payments ---------------------------------------------------------------------
    def test_bad_amounts_name_amount(self):
        base = {"currency": "usd", "payment_method": "tok_visa", "confirm": True}
        for amount in (10.5, 10.0, 1e3, -1, -1000, 0, "1000", "10.00", True, None, [1000],
                       {"v": 1}, 2 ** 53, 2 ** 53 + 1, 2 ** 63, 2 ** 64 + 5, 10 ** 30):
            with self.subTest(amount=amount):
                self.assertCreateRejected(dict(base, amount=amount), "parameter_invalid", "amount")

    def test_amount_max_safe_integer_is_accepted(self):
        # 2^53 - 1 (JavaScript's Number.MAX_SAFE_INTEGER) is the largest amount (PRODUCT.md §2).
        r = self.m.create_payment(amount=2 ** 53 - 1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["amount"], 2 ** 53 - 1)

    def test_missing_amount_and_currency(self):
        self.assertCreateRejected({"currency": "usd"}, "parameter_missing", "amount")
        self.assertCreateRejected({"amount": 100}, "parameter_missing", "currency")
        self.assertCreateRejected({}, "parameter_missing", "amount")

    def test_bad_currency_names_currency(self):
        for cur in ("usdx", "us", "", "xyz", "zzz", "u$d", 840, None, ["usd"], "usd "):
            with self.subTest(currency=cur):
                self.assertCreateRejected({"amount": 100, "currency": cur}, "parameter_invalid",
                                          "currency")

    def test_unknown_fields_are_named(self):
        self.assertCreateRejected({"amount": 100, "currency": "usd", "foo": 1},
                                  "parameter_unknown", "foo")
        self.assertCreateRejected({"amount": 100, "currency": "usd", "customer": "cus_1"},
                                  "parameter_unknown", "customer")
        self.assertCreateRejected({"amount": 100, "currency": "usd", "routing": {"connector": "x"}},
                                  "parameter_unknown", "routing.connector")

    def test_bad_optional_fields_are_named(self):
        base = {"amount": 100, "currency": "usd"}
        cases = [
            ({"capture_method": "later"}, "capture_method"),
            ({"capture_method": 1}, "capture_method"),
            ({"confirm": "true"}, "confirm"),
            ({"confirm": 1}, "confirm"),
            ({"payment_method": 42}, "payment_method"),
            ({"payment_method": "tok_" + "x" * 300}, "payment_method"),
            ({"description": 5}, "description"),
            ({"description": "d" * 1001}, "description"),
            ({"metadata": "x"}, "metadata"),
            ({"metadata": ["a"]}, "metadata"),
            ({"metadata": {f"k{i}": "v" for i in range(51)}}, "metadata"),
            ({"metadata": {"n": 1}}, "metadata[n]"),
            ({"metadata": {"n": None}}, "metadata[n]"),
            ({"metadata": {"n": "v" * 501}}, "metadata[n]"),
            ({"metadata": {"k" * 41: "v"}}, "metadata[" + "k" * 41 + "]"),
            ({"routing": "ca_1"}, "routing"),
            ({"routing": {"connector_account": 5}}, "routing.connector_account"),
        ]
        for extra, param in cases:
            with self.subTest(extra=str(extra)[:80]):
                self.assertCreateRejected(dict(base, **extra), "parameter_invalid", param)

    def test_metadata_with_50_keys_is_accepted(self):
        r = self.m.create_payment(metadata={f"k{i}": "v" for i in range(50)})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["metadata"]), 50)

    def test_confirm_true_without_payment_method(self):
        self.assertCreateRejected({"amount": 100, "currency": "usd", "confirm": True},
                                  "parameter_missing", "payment_method")

    def test_unknown_connector_account_names_routing_param(self):
        self.assertCreateRejected({"amount": 100, "currency": "usd", "payment_method": "tok_visa",
                                   "confirm": True, "routing": {"connector_account": "ca_nope"}},
                                  "resource_missing", "routing.connector_account")

    def test_card_numbers_are_rejected_as_pan_detected(self):
        base = {"amount": 100, "currency": "usd"}
        cases = [
            ({"description": PAN}, "description"),
            ({"description": "card 4242-4242-4242-4242 thanks"}, "description"),
            ({"payment_method": "4242424242424242"}, "payment_method"),
            ({"metadata": {"note": "pan 5555555555554444"}}, None),
        ]
        for extra, param in cases:
            with self.subTest(extra=extra):
                err = self.assertCreateRejected(dict(base, **extra), "pan_detected", param)
                self.assertNotIn("4242", err["message"])
                self.assertNotIn("4444", err["message"])
        # A card number in the query string of a list is refused too.
        self.assertRejected(lambda: self.m.get("/v1/payments?starting_after=4242424242424242"),
                            400, "pan_detected")
        # Luhn-invalid digit runs are not card numbers.
        r = self.m.create_payment(description="order 4242 4242 4242 4241")
        self.assertEqual(r.status, 200, r)

    def test_card_number_in_malformed_json_is_pan_detected_and_never_logged(self):
        body = '{"amount": 100, "currency": "usd", "description": "4242 4242 4242 4242"'
        self.assertRejected(
            lambda: self.m.call("POST", "/v1/payments", body=body,
                                headers={"Content-Type": "application/json"}),
            400, "pan_detected")
        self.assertCreateRejected({"amount": 100, "currency": "usd",
                                   "description": "4000056655665556"}, "pan_detected",
                                  "description")
        time.sleep(0.3)
        log = self.srv.log_text()
        for pan in ("4242 4242 4242 4242", "4242424242424242", "4242-4242-4242-4242",
                    "4000056655665556", "5555555555554444"):
            self.assertNotIn(pan, log, "a card number reached the server log")

    def test_pan_in_metadata_names_the_metadata_key(self):
        self.assertCreateRejected({"amount": 100, "currency": "usd",
                                   "metadata": {"note": PAN}}, "pan_detected", "metadata.note")

    def test_wrong_content_type_is_415(self):
        body = json.dumps({"amount": 100, "currency": "usd"})
        for ct in ("text/plain", "application/x-www-form-urlencoded", None):
            with self.subTest(content_type=ct):
                hdrs = {"Content-Type": ct} if ct else {}
                self.assertRejected(
                    lambda: self.m.call("POST", "/v1/payments", body=body, headers=hdrs),
                    415, "unsupported_media_type")

    def test_invalid_json(self):
        for body in ('{"amount": 100,', "not json", '{"amount": 100} x', "[1, 2]", '"str"',
                     "{" * 40 + "}" * 40):
            with self.subTest(body=body[:30]):
                self.assertRejected(
                    lambda: self.m.call("POST", "/v1/payments", body=body,
                                        headers={"Content-Type": "application/json"}),
                    400, "invalid_json")

    def test_bad_api_key_is_401(self):
        for key in ("sk_test_nope", "pk_test_abc", "", "garbage"):
            with self.subTest(key=key):
                bad = Merchant(self.srv, key)
                self.assertRejected(lambda: bad.create_payment(payment_method="tok_visa",
                                                               confirm=True),
                                    401, "invalid_api_key", etype="authentication_error")
        r = self.srv.request("api", "GET", "/v1/payments")
        self.assertEqual(r[0], 401, r)

    def test_bad_idempotency_key_is_named(self):
        for key in ("k" * 256, "has space", "tab\tkey"):
            with self.subTest(key=key[:20]):
                self.assertRejected(
                    lambda: self.m.post("/v1/payments", {"amount": 100, "currency": "usd"},
                                        idem=key),
                    400, "idempotency_key_invalid", "Idempotency-Key")

    def test_idempotency_key_of_255_characters_is_accepted(self):
        r = self.m.post("/v1/payments", {"amount": 100, "currency": "usd"}, idem="k" * 255)
        self.assertEqual(r.status, 200, r)

    # -- other endpoints -------------------------------------------------------------------------
    def test_confirm_validation(self):
        pid = self.m.create_payment().json["id"]
        before = self.m.payment(pid)
        self.assertRejected(lambda: self.m.post(f"/v1/payments/{pid}/confirm", {"foo": 1}),
                            400, "parameter_unknown", "foo")
        self.assertRejected(lambda: self.m.post(f"/v1/payments/{pid}/confirm",
                                                {"payment_method": 7}),
                            400, "parameter_invalid", "payment_method")
        self.assertRejected(lambda: self.m.post(f"/v1/payments/{pid}/confirm", {}),
                            400, "parameter_missing", "payment_method")
        self.assertRejected(lambda: self.m.post(f"/v1/payments/{pid}/confirm",
                                                {"payment_method": PAN}),
                            400, "pan_detected", "payment_method")
        self.assertRejected(lambda: self.m.post("/v1/payments/pay_doesnotexist/confirm",
                                                {"payment_method": "tok_visa"}),
                            404, "resource_missing")
        self.assertEqual(self.m.payment(pid), before)

    def test_capture_validation(self):
        p = self.m.pay(self, amount=1000, capture_method="manual")
        pid = p["id"]
        for amt in (0, -5, 10.5, "100", 2 ** 53 + 1):
            with self.subTest(amount_to_capture=amt):
                self.assertRejected(lambda: self.m.post(f"/v1/payments/{pid}/capture",
                                                        {"amount_to_capture": amt}),
                                    400, "parameter_invalid", "amount_to_capture")
        self.assertRejected(lambda: self.m.post(f"/v1/payments/{pid}/capture",
                                                {"amount_to_capture": 1001}),
                            400, "amount_too_large", "amount_to_capture")
        self.assertRejected(lambda: self.m.post(f"/v1/payments/{pid}/capture", {"amount": 5}),
                            400, "parameter_unknown", "amount")
        self.assertEqual(self.m.payment(pid), p)
        self.assertRejected(lambda: self.m.post(f"/v1/payments/{pid}/cancel", {"reason": "x"}),
                            400, "parameter_unknown", "reason")
        self.assertEqual(self.m.payment(pid), p)

    def test_refund_validation(self):
        p = self.m.pay(self, amount=1000)
        pid = p["id"]
        self.assertRejected(lambda: self.m.post("/v1/refunds", {"amount": 100}),
                            400, "parameter_missing", "payment")
        self.assertRejected(lambda: self.m.post("/v1/refunds", {"payment": 5}),
                            400, "parameter_invalid", "payment")
        for amt in (0, -1, 1.5, "10", True):
            with self.subTest(amount=amt):
                self.assertRejected(lambda: self.m.post("/v1/refunds",
                                                        {"payment": pid, "amount": amt}),
                                    400, "parameter_invalid", "amount")
        self.assertRejected(lambda: self.m.post("/v1/refunds", {"payment": pid, "reason": "meh"}),
                            400, "parameter_invalid", "reason")
        self.assertRejected(lambda: self.m.post("/v1/refunds", {"payment": pid, "note": "x"}),
                            400, "parameter_unknown", "note")
        self.assertRejected(lambda: self.m.post("/v1/refunds", {"payment": pid, "amount": 1001}),
                            400, "amount_too_large", "amount")
        self.assertRejected(lambda: self.m.post("/v1/refunds", {"payment": "pay_nope"}),
                            404, "resource_missing", "payment")
        self.assertEqual(self.m.payment(pid), p)
        self.assertEqual(self.m.get("/v1/refunds/re_nope").status, 404)

    def test_list_validation_names_query_params(self):
        cases = [
            ("limit=0", "parameter_invalid", "limit"),
            ("limit=101", "parameter_invalid", "limit"),
            ("limit=abc", "parameter_invalid", "limit"),
            ("limit=1.5", "parameter_invalid", "limit"),
            ("status=bogus", "parameter_invalid", "status"),
            ("foo=1", "parameter_unknown", "foo"),
            ("starting_after=pay_nope", "resource_missing", "starting_after"),
            ("ending_before=pay_nope", "resource_missing", "ending_before"),
            ("created%5Bgte%5D=abc", "parameter_invalid", "created[gte]"),
            ("created%5Blte%5D=-1", "parameter_invalid", "created[lte]"),
        ]
        for query, code, param in cases:
            with self.subTest(query=query):
                self.assertRejected(lambda: self.m.get("/v1/payments?" + query), 400, code, param)
        some = self.m.all_payments()[:2]
        self.assertRejected(
            lambda: self.m.get(f"/v1/payments?starting_after={some[0]['id']}"
                               f"&ending_before={some[1]['id']}"),
            400, "parameter_invalid", "ending_before")
        self.assertRejected(lambda: self.m.get("/v1/refunds?status=done"), 400,
                            "parameter_invalid", "status")
        self.assertEqual(self.m.get("/v1/payments/pay_nope").status, 404)


class InvalidStateTest(PaymentsTestCase):
    """A transition not allowed from the current status: 409 invalid_state, nothing changes."""

    def assertInvalidState(self, pid, method_path, body=None):
        before_payment = self.m.get(f"/v1/payments/{pid}").body
        before = self.m.snapshot()
        ledger_before = len(ledger_entries(self.srv))
        r = self.m.post(method_path, body or {})
        self.assertError(r, 409, code="invalid_state")
        self.assertEqual(self.m.get(f"/v1/payments/{pid}").body, before_payment,
                         "a refused transition changed the payment")
        self.assertEqual(self.m.snapshot(), before)
        self.assertEqual(len(ledger_entries(self.srv)), ledger_before)

    def test_capture_a_succeeded_payment(self):
        p = self.m.pay(self)
        self.assertInvalidState(p["id"], f"/v1/payments/{p['id']}/capture")
        self.assertInvalidState(p["id"], f"/v1/payments/{p['id']}/capture",
                                {"amount_to_capture": 10})

    def test_confirm_a_cancelled_payment(self):
        pid = self.m.create_payment(payment_method="tok_visa").json["id"]
        self.assertEqual(self.m.post(f"/v1/payments/{pid}/cancel", {}).json["status"], "cancelled")
        self.assertInvalidState(pid, f"/v1/payments/{pid}/confirm")
        self.assertInvalidState(pid, f"/v1/payments/{pid}/confirm", {"payment_method": "tok_visa"})

    def test_refund_a_requires_capture_payment(self):
        p = self.m.pay(self, capture_method="manual")
        self.assertEqual(p["status"], "requires_capture")
        before = self.m.get(f"/v1/payments/{p['id']}").body
        snap = self.m.snapshot()
        r = self.m.post("/v1/refunds", {"payment": p["id"]})
        self.assertError(r, 409, code="invalid_state")
        self.assertEqual(self.m.get(f"/v1/payments/{p['id']}").body, before)
        self.assertEqual(self.m.snapshot(), snap)

    def test_other_refused_transitions(self):
        succeeded = self.m.pay(self)["id"]
        failed = self.m.pay(self, payment_method="tok_decline_stolen")["id"]
        unconfirmed = self.m.create_payment(payment_method="tok_visa").json["id"]
        cancelled = self.m.create_payment().json["id"]
        self.m.post(f"/v1/payments/{cancelled}/cancel", {})
        cases = [
            (succeeded, "confirm"), (succeeded, "cancel"),
            (failed, "confirm"), (failed, "capture"), (failed, "cancel"),
            (unconfirmed, "capture"),
            (cancelled, "cancel"), (cancelled, "capture"),
        ]
        for pid, action in cases:
            with self.subTest(status=self.m.payment(pid)["status"], action=action):
                self.assertInvalidState(pid, f"/v1/payments/{pid}/{action}")
        for pid in (failed, unconfirmed, cancelled):
            with self.subTest(refund_from=self.m.payment(pid)["status"]):
                before = self.m.get(f"/v1/payments/{pid}").body
                r = self.m.post("/v1/refunds", {"payment": pid, "amount": 1})
                self.assertError(r, 409, code="invalid_state")
                self.assertEqual(self.m.get(f"/v1/payments/{pid}").body, before)


if __name__ == "__main__":
    unittest.main()
