"""Merchant payments API, success paths: create/confirm/capture/cancel, refunds, declines, 3-D
Secure, attempts, events, list pagination and filters, currencies, Server-Timing (PRODUCT.md §2,
§3, §8)."""

import re
import time
import unittest

from payments_helpers import (PaymentsTestCase, authorize_count, ledger_entries, new_merchant)

SERVER_TIMING = re.compile(r"^app;dur=\d+(\.\d+)?, psp;dur=\d+(\.\d+)?$")


class PaymentLifecycleTest(PaymentsTestCase):
    def assertAttempt(self, att, operation, status, amount):
        self.assertEqual(att["operation"], operation, att)
        self.assertEqual(att["status"], status, att)
        self.assertEqual(att["amount"], amount, att)
        self.assertEqual(att["connector"], "sandbox", att)
        self.assertTrue(att["connector_account"].startswith("ca_"), att)
        self.assertTrue(att["id"].startswith("att_"), att)
        self.assertIsInstance(att["psp_reference"], str, att)
        self.assertTrue(att["psp_reference"], att)
        self.assertIsInstance(att["routing_reason"], str, att)
        self.assertTrue(att["routing_reason"], att)
        self.assertIsInstance(att["latency_ms"], (int, float), att)
        self.assertGreaterEqual(att["latency_ms"], 0, att)
        self.assertIsInstance(att["created"], int, att)

    def event_types(self, object_id):
        return [e["type"] for e in self.m.events_for(object_id)]

    # -- create without confirm ------------------------------------------------------------
    def test_create_without_payment_method_is_requires_payment_method(self):
        r = self.m.create_payment(amount=1500, currency="usd", description="order 17",
                                  metadata={"order": "17", "note": "gift"})
        self.assertEqual(r.status, 200, r)
        p = r.json
        self.assertTrue(p["id"].startswith("pay_"), p)
        self.assertEqual(p["object"], "payment")
        self.assertEqual(p["status"], "requires_payment_method")
        self.assertEqual(p["amount"], 1500)
        self.assertEqual(p["currency"], "USD")
        self.assertEqual(p["capture_method"], "automatic")
        self.assertIsNone(p["payment_method"])
        self.assertEqual(p["description"], "order 17")
        self.assertEqual(p["metadata"], {"order": "17", "note": "gift"})
        self.assertEqual((p["amount_received"], p["amount_capturable"], p["amount_refunded"]),
                         (0, 0, 0))
        self.assertIs(p["livemode"], False)
        self.assertIsNone(p["last_error"])
        self.assertEqual(p["attempts"], [])
        self.assertIsInstance(p["created"], int)
        self.assertLess(abs(p["created"] - time.time()), 300)
        self.assertIn("request-id", r.headers)
        self.assertEqual(self.m.payment(p["id"]), p)
        self.assertEqual(self.event_types(p["id"]), [], "no event without a status change")
        self.assertEqual(authorize_count(self.srv, p["id"]), 0)

    def test_create_with_payment_method_is_requires_confirmation_then_confirm_succeeds(self):
        r = self.m.create_payment(amount=2000, payment_method="tok_visa")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "requires_confirmation")
        self.assertEqual(r.json["payment_method"], "tok_visa")
        self.assertEqual(r.json["attempts"], [])
        self.assertEqual(authorize_count(self.srv, r.json["id"]), 0, "charged before confirm")
        c = self.m.post(f"/v1/payments/{r.json['id']}/confirm", {})
        self.assertEqual(c.status, 200, c)
        p = c.json
        self.assertEqual(p["status"], "succeeded")
        self.assertEqual(p["amount_received"], 2000)
        self.assertEqual(p["amount_capturable"], 0)
        self.assertEqual(p["connector"], "sandbox")
        self.assertEqual(len(p["attempts"]), 1, p)
        self.assertAttempt(p["attempts"][0], "authorize", "succeeded", 2000)
        self.assertEqual(p["psp_reference"], p["attempts"][0]["psp_reference"])
        self.assertEqual(self.m.payment(p["id"]), p)
        self.assertEqual(self.event_types(p["id"]), ["payment.succeeded"])
        self.assertEqual(authorize_count(self.srv, p["id"]), 1)

    def test_confirm_supplies_payment_method_to_requires_payment_method_payment(self):
        r = self.m.create_payment(amount=700)
        self.assertEqual(r.json["status"], "requires_payment_method", r)
        c = self.m.post(f"/v1/payments/{r.json['id']}/confirm", {"payment_method": "tok_mastercard"})
        self.assertEqual(c.status, 200, c)
        self.assertEqual(c.json["status"], "succeeded")
        self.assertEqual(c.json["payment_method"], "tok_mastercard")
        self.assertEqual(c.json["amount_received"], 700)

    def test_automatic_capture_succeeds_with_amount_received_and_one_event(self):
        p = self.m.pay(self, amount=1234, payment_method="tok_amex")
        self.assertEqual(p["status"], "succeeded")
        self.assertEqual(p["capture_method"], "automatic")
        self.assertEqual(p["amount_received"], 1234)
        self.assertEqual(p["amount_capturable"], 0)
        self.assertEqual(p["amount_refunded"], 0)
        self.assertIsNone(p["last_error"])
        self.assertTrue(p["connector_account"].startswith("ca_"))
        self.assertEqual(len(p["attempts"]), 1)
        self.assertAttempt(p["attempts"][0], "authorize", "succeeded", 1234)
        self.assertEqual(p["attempts"][0]["routing_reason"], "default_order")
        self.assertEqual(self.m.payment(p["id"]), p)
        # An instant success emits only payment.succeeded (§3).
        evs = self.m.events_for(p["id"])
        self.assertEqual([e["type"] for e in evs], ["payment.succeeded"])
        ev = evs[0]
        self.assertTrue(ev["id"].startswith("evt_"), ev)
        self.assertIs(ev["livemode"], False)
        self.assertIsInstance(ev["created"], int)
        self.assertEqual(ev["data"]["object"]["status"], "succeeded")
        self.assertEqual(ev["data"]["object"]["amount_received"], 1234)
        g = self.m.get(f"/v1/events/{ev['id']}")
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.json, ev)
        self.assertEqual(authorize_count(self.srv, p["id"]), 1)

    def test_named_connector_account_is_used_with_explicit_routing_reason(self):
        first = self.m.pay(self)
        acct = first["connector_account"]
        p = self.m.pay(self, routing={"connector_account": acct})
        self.assertEqual(p["status"], "succeeded")
        self.assertEqual(p["connector_account"], acct)
        self.assertEqual(p["attempts"][0]["routing_reason"], "explicit")

    # -- manual capture ----------------------------------------------------------------------
    def test_manual_capture_requires_capture_then_partial_capture_succeeds(self):
        p = self.m.pay(self, amount=1000, capture_method="manual")
        self.assertEqual(p["status"], "requires_capture")
        self.assertEqual(p["capture_method"], "manual")
        self.assertEqual(p["amount_capturable"], 1000)
        self.assertEqual(p["amount_received"], 0)
        self.assertAttempt(p["attempts"][0], "authorize", "succeeded", 1000)
        self.assertEqual(self.event_types(p["id"]), ["payment.requires_capture"])

        c = self.m.post(f"/v1/payments/{p['id']}/capture", {"amount_to_capture": 600})
        self.assertEqual(c.status, 200, c)
        q = c.json
        self.assertEqual(q["status"], "succeeded")
        self.assertEqual(q["amount_received"], 600)
        self.assertEqual(q["amount_capturable"], 0, "the uncaptured rest is released")
        self.assertEqual(q["amount"], 1000)
        self.assertEqual([a["operation"] for a in q["attempts"]], ["authorize", "capture"])
        self.assertAttempt(q["attempts"][1], "capture", "succeeded", 600)
        self.assertEqual(self.m.payment(p["id"]), q)
        self.assertEqual(self.event_types(p["id"]),
                         ["payment.requires_capture", "payment.captured"])
        captured = self.m.events_for(p["id"])[1]["data"]["object"]
        self.assertEqual((captured["status"], captured["amount_received"]), ("succeeded", 600))
        self.assertEqual(authorize_count(self.srv, p["id"]), 1)
        captures = [e for e in ledger_entries(self.srv)
                    if e["payment_id"] == p["id"] and e["operation"] == "capture"]
        self.assertEqual(len(captures), 1, captures)
        self.assertEqual(captures[0]["amount"], 600)

        # A refund without amount refunds what was captured (600), not the authorized 1000.
        rf = self.m.post("/v1/refunds", {"payment": p["id"]})
        self.assertEqual(rf.status, 200, rf)
        self.assertEqual(rf.json["amount"], 600)

    def test_manual_capture_without_amount_captures_everything(self):
        p = self.m.pay(self, amount=800, capture_method="manual")
        c = self.m.post(f"/v1/payments/{p['id']}/capture", {})
        self.assertEqual(c.status, 200, c)
        self.assertEqual(c.json["status"], "succeeded")
        self.assertEqual(c.json["amount_received"], 800)
        self.assertEqual(c.json["amount_capturable"], 0)

    # -- cancel ------------------------------------------------------------------------------
    def test_cancel_from_requires_confirmation(self):
        r = self.m.create_payment(payment_method="tok_visa")
        self.assertEqual(r.json["status"], "requires_confirmation", r)
        c = self.m.post(f"/v1/payments/{r.json['id']}/cancel", {})
        self.assertEqual(c.status, 200, c)
        self.assertEqual(c.json["status"], "cancelled")
        self.assertEqual(c.json["amount_capturable"], 0)
        self.assertEqual(c.json["amount_received"], 0)
        self.assertEqual(self.m.payment(r.json["id"]), c.json)
        self.assertEqual(self.event_types(r.json["id"]), ["payment.cancelled"])
        self.assertEqual([e for e in ledger_entries(self.srv) if e["payment_id"] == r.json["id"]],
                         [], "cancelling an unconfirmed payment never contacts the PSP")

    def test_cancel_from_requires_payment_method_with_empty_body(self):
        r = self.m.create_payment()
        c = self.m.call("POST", f"/v1/payments/{r.json['id']}/cancel")
        self.assertEqual(c.status, 200, c)
        self.assertEqual(c.json["status"], "cancelled")

    def test_cancel_from_requires_capture_voids_the_authorization(self):
        p = self.m.pay(self, amount=900, capture_method="manual")
        self.assertEqual(p["status"], "requires_capture")
        c = self.m.post(f"/v1/payments/{p['id']}/cancel", {})
        self.assertEqual(c.status, 200, c)
        q = c.json
        self.assertEqual(q["status"], "cancelled")
        self.assertEqual(q["amount_capturable"], 0)
        self.assertEqual(q["amount_received"], 0)
        self.assertEqual([a["operation"] for a in q["attempts"]], ["authorize", "void"])
        self.assertEqual(q["attempts"][1]["status"], "succeeded")
        self.assertEqual(q["attempts"][1]["amount"], 900)
        voids = [e for e in ledger_entries(self.srv)
                 if e["payment_id"] == p["id"] and e["operation"] == "void"]
        self.assertEqual(len(voids), 1, voids)
        self.assertEqual(self.event_types(p["id"]),
                         ["payment.requires_capture", "payment.cancelled"])
        self.assertEqual(self.m.payment(p["id"]), q)

    # -- refunds -----------------------------------------------------------------------------
    def test_full_refund_without_amount(self):
        p = self.m.pay(self, amount=1000)
        r = self.m.post("/v1/refunds", {"payment": p["id"], "reason": "requested_by_customer"})
        self.assertEqual(r.status, 200, r)
        rf = r.json
        self.assertTrue(rf["id"].startswith("re_"), rf)
        self.assertEqual(rf["object"], "refund")
        self.assertEqual(rf["payment"], p["id"])
        self.assertEqual(rf["amount"], 1000)
        self.assertEqual(rf["currency"], "USD")
        self.assertEqual(rf["status"], "succeeded")
        self.assertEqual(rf["reason"], "requested_by_customer")
        self.assertIsInstance(rf["psp_reference"], str)
        self.assertIsNone(rf["failure_code"])
        self.assertIsNotNone(rf["created"])
        g = self.m.get(f"/v1/refunds/{rf['id']}")
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.json, rf)
        q = self.m.payment(p["id"])
        self.assertEqual(q["amount_refunded"], 1000)
        self.assertEqual(q["status"], "succeeded")
        self.assertEqual(self.event_types(rf["id"]), ["refund.succeeded"])
        self.assertEqual(self.m.events_for(rf["id"])[0]["data"]["object"]["status"], "succeeded")
        lst = self.m.get(f"/v1/refunds?payment={p['id']}")
        self.assertEqual(lst.status, 200, lst)
        self.assertEqual([x["id"] for x in lst.json["data"]], [rf["id"]])
        self.assertEqual(lst.json["url"], "/v1/refunds")
        refunds = [e for e in ledger_entries(self.srv)
                   if e["payment_id"] == p["id"] and e["operation"] == "refund"]
        self.assertEqual(len(refunds), 1)

    def test_several_partial_refunds_then_over_refund_rejected_naming_amount(self):
        p = self.m.pay(self, amount=1000)
        ids = []
        for amt in (300, 200):
            r = self.m.post("/v1/refunds", {"payment": p["id"], "amount": amt})
            self.assertEqual(r.status, 200, r)
            self.assertEqual((r.json["amount"], r.json["status"]), (amt, "succeeded"))
            ids.append(r.json["id"])
        self.assertEqual(self.m.payment(p["id"])["amount_refunded"], 500)

        before = self.m.snapshot()
        pay_before = self.m.payment(p["id"])
        over = self.m.post("/v1/refunds", {"payment": p["id"], "amount": 501})
        self.assertError(over, 400, code="amount_too_large", param="amount",
                         etype="invalid_request_error")
        self.assertEqual(self.m.snapshot(), before, "a rejected refund persisted something")
        self.assertEqual(self.m.payment(p["id"]), pay_before)

        rest = self.m.post("/v1/refunds", {"payment": p["id"]})
        self.assertEqual(rest.status, 200, rest)
        self.assertEqual(rest.json["amount"], 500, "default amount is the remaining amount")
        ids.append(rest.json["id"])
        q = self.m.payment(p["id"])
        self.assertEqual(q["amount_refunded"], 1000)

        before = self.m.snapshot()
        again = self.m.post("/v1/refunds", {"payment": p["id"], "amount": 1})
        err = self.assertError(again, 400)
        self.assertIn(err["code"], ("charge_already_refunded", "amount_too_large"), err)
        self.assertEqual(self.m.snapshot(), before)

        listed = self.m.all_refunds(payment=p["id"])
        self.assertEqual(sorted(x["id"] for x in listed), sorted(ids))
        self.assertEqual([x["id"] for x in listed], list(reversed(ids)), "newest first")
        self.assertEqual(sum(x["amount"] for x in listed), 1000)
        for rid in ids:
            self.assertEqual(self.event_types(rid), ["refund.succeeded"])

    # -- declines, 3DS ---------------------------------------------------------------------------
    def test_declines_are_200_failed_with_decline_codes(self):
        cases = {"tok_decline_insufficient_funds": "insufficient_funds",
                 "tok_decline_do_not_honor": "do_not_honor",
                 "tok_decline_stolen": "stolen_card"}
        for token, decline_code in cases.items():
            with self.subTest(token=token):
                r = self.m.create_payment(amount=500, payment_method=token, confirm=True)
                self.assertEqual(r.status, 200, r)
                p = r.json
                self.assertEqual(p["status"], "failed")
                self.assertEqual(p["last_error"]["code"], "card_declined")
                self.assertEqual(p["last_error"]["decline_code"], decline_code)
                self.assertIsInstance(p["last_error"]["message"], str)
                self.assertTrue(p["last_error"]["message"])
                self.assertEqual(p["amount_received"], 0)
                self.assertEqual(p["amount_capturable"], 0)
                self.assertEqual(len(p["attempts"]), 1)
                self.assertEqual(p["attempts"][0]["status"], "failed")
                self.assertEqual(p["attempts"][0]["decline_code"], decline_code)
                self.assertEqual(p["attempts"][0]["connector"], "sandbox")
                self.assertEqual(self.m.payment(p["id"]), p)
                self.assertEqual(self.event_types(p["id"]), ["payment.failed"])
                ev = self.m.events_for(p["id"])[0]
                self.assertEqual(ev["data"]["object"]["last_error"]["decline_code"], decline_code)

    def test_3ds_token_requires_action(self):
        p = self.m.pay(self, payment_method="tok_3ds_required")
        self.assertEqual(p["status"], "requires_action")
        self.assertEqual(p["amount_received"], 0)
        self.assertIsNone(p["last_error"])
        self.assertEqual(len(p["attempts"]), 1)
        self.assertEqual(p["attempts"][0]["connector"], "sandbox")
        types = self.event_types(p["id"])
        self.assertNotIn("payment.succeeded", types)
        self.assertNotIn("payment.failed", types)
        # A payment waiting for the customer can still be cancelled.
        c = self.m.post(f"/v1/payments/{p['id']}/cancel", {})
        self.assertEqual(c.status, 200, c)
        self.assertEqual(c.json["status"], "cancelled")

    # -- currencies, timing ---------------------------------------------------------------------
    def test_currency_is_case_insensitive_and_returned_upper_case(self):
        for given, amount in (("usd", 100), ("eUr", 250), ("jpy", 500), ("JPY", 1), ("kwd", 1234),
                              ("KWD", 5)):
            with self.subTest(currency=given):
                p = self.m.pay(self, amount=amount, currency=given)
                self.assertEqual(p["currency"], given.upper())
                self.assertEqual(p["status"], "succeeded")
                self.assertEqual(p["amount"], amount)
                self.assertEqual(p["amount_received"], amount)

    def test_server_timing_on_payment_responses(self):
        r = self.m.create_payment(payment_method="tok_visa", capture_method="manual", confirm=True)
        responses = {"create": r}
        pid = r.json["id"]
        responses["get"] = self.m.get(f"/v1/payments/{pid}")
        responses["capture"] = self.m.post(f"/v1/payments/{pid}/capture", {})
        responses["refund"] = self.m.post("/v1/refunds", {"payment": pid, "amount": 10})
        responses["list"] = self.m.get("/v1/payments?limit=1")
        u = self.m.create_payment(payment_method="tok_visa")
        responses["confirm"] = self.m.post(f"/v1/payments/{u.json['id']}/confirm", {})
        v = self.m.create_payment()
        responses["cancel"] = self.m.post(f"/v1/payments/{v.json['id']}/cancel", {})
        for name, resp in responses.items():
            with self.subTest(endpoint=name):
                self.assertEqual(resp.status, 200, resp)
                self.assertIn("server-timing", resp.headers, resp.headers)
                self.assertRegex(resp.headers["server-timing"], SERVER_TIMING)
        psp = float(re.search(r"psp;dur=([\d.]+)", responses["create"].headers["server-timing"])
                    .group(1))
        self.assertGreaterEqual(psp, 0.0)


    def test_default_limit_is_10_and_max_is_100(self):
        for _ in range(11):
            self.m.create_payment(amount=5)
        r = self.m.get("/v1/payments")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["data"]), 10)
        self.assertIs(r.json["has_more"], True)
        r = self.m.get("/v1/payments?limit=100")
        self.assertEqual(r.status, 200, r)
        self.assertLessEqual(len(r.json["data"]), 100)
        self.assertGreaterEqual(len(r.json["data"]), 11)

    def test_events_list_type_filter_and_cursor(self):
        ok = self.m.pay(self)
        bad = self.m.pay(self, payment_method="tok_decline_do_not_honor")
        r = self.m.get("/v1/events?type=payment.failed&limit=100")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["object"], "list")
        self.assertEqual(r.json["url"], "/v1/events")
        self.assertTrue(r.json["data"])
        self.assertEqual({e["type"] for e in r.json["data"]}, {"payment.failed"})
        self.assertEqual(r.json["data"][0]["data"]["object"]["id"], bad["id"], "newest first")
        page1 = self.m.get("/v1/events?limit=1").json
        self.assertEqual(page1["data"][0]["data"]["object"]["id"], bad["id"])
        self.assertIs(page1["has_more"], True)
        page2 = self.m.get(f"/v1/events?limit=1&starting_after={page1['data'][0]['id']}").json
        self.assertEqual(page2["data"][0]["data"]["object"]["id"], ok["id"])
        back = self.m.get(f"/v1/events?limit=1&ending_before={page2['data'][0]['id']}").json
        self.assertEqual(back["data"], page1["data"])
        self.assertEqual(self.m.get("/v1/events/evt_nope").status, 404)
        self.assertError(self.m.get("/v1/events?starting_after=evt_nope"), 400,
                         code="resource_missing", param="starting_after")


class PaymentListTest(PaymentsTestCase):
    """Pagination and filters, on a merchant of its own so other tests' payments don't mix in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.b = new_merchant(cls.srv, "List merchant")
            cls.ids = []  # oldest first
            for i in range(5):
                r = cls.b.create_payment(amount=100 + i, payment_method="tok_visa", confirm=True)
                assert r.status == 200, r
                cls.ids.append(r.json["id"])
                time.sleep(0.002)
            f = cls.b.create_payment(amount=300, payment_method="tok_decline_stolen", confirm=True)
            g = cls.b.create_payment(amount=301)
            assert f.status == 200 and g.status == 200, (f, g)
            cls.failed_id, cls.rpm_id = f.json["id"], g.json["id"]
        except BaseException:
            cls.srv.cleanup()
            raise

    def page(self, query):
        r = self.b.get("/v1/payments?" + query)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["object"], "list")
        self.assertEqual(r.json["url"], "/v1/payments")
        self.assertIsInstance(r.json["has_more"], bool)
        return [p["id"] for p in r.json["data"]], r.json["has_more"]

    def test_list_is_newest_first_with_default_limit(self):
        ids, more = self.page("")
        self.assertEqual(ids, [self.rpm_id, self.failed_id] + list(reversed(self.ids)))
        self.assertFalse(more)
        full = self.b.get("/v1/payments").json["data"][2]
        self.assertEqual(full, self.b.payment(full["id"]), "list items are full payment objects")

    def test_pagination_limit_starting_after_ending_before(self):
        ok = "status=succeeded"
        p1, p2, p3, p4, p5 = self.ids
        self.assertEqual(self.page(f"{ok}&limit=2"), ([p5, p4], True))
        self.assertEqual(self.page(f"{ok}&limit=2&starting_after={p4}"), ([p3, p2], True))
        self.assertEqual(self.page(f"{ok}&limit=2&starting_after={p2}"), ([p1], False))
        self.assertEqual(self.page(f"{ok}&limit=2&starting_after={p1}"), ([], False))
        self.assertEqual(self.page(f"{ok}&limit=2&ending_before={p1}"), ([p3, p2], True))
        self.assertEqual(self.page(f"{ok}&limit=2&ending_before={p3}"), ([p5, p4], False))
        self.assertEqual(self.page(f"{ok}&limit=2&ending_before={p5}"), ([], False))
        self.assertEqual(self.page(f"{ok}&limit=5"), ([p5, p4, p3, p2, p1], False))
        self.assertEqual(self.page(f"{ok}&limit=4"), ([p5, p4, p3, p2], True))

    def test_status_filter(self):
        self.assertEqual(self.page("status=failed"), ([self.failed_id], False))
        self.assertEqual(self.page("status=requires_payment_method"), ([self.rpm_id], False))
        self.assertEqual(self.page("status=succeeded")[0], list(reversed(self.ids)))
        self.assertEqual(self.page("status=cancelled"), ([], False))

    def test_created_filters(self):
        now = int(time.time())
        all_ids = [self.rpm_id, self.failed_id] + list(reversed(self.ids))
        gte, lte = "created%5Bgte%5D", "created%5Blte%5D"
        self.assertEqual(self.page(f"{gte}={now - 600}")[0], all_ids)
        self.assertEqual(self.page(f"{gte}={now + 600}"), ([], False))
        self.assertEqual(self.page(f"{lte}={now - 600}"), ([], False))
        self.assertEqual(self.page(f"{lte}={now + 600}")[0], all_ids)
        self.assertEqual(self.page(f"{gte}={now - 600}&{lte}={now + 600}&status=failed"),
                         ([self.failed_id], False))

    def test_created_filter_with_unencoded_brackets(self):
        # Stripe-style clients (curl -G -d "created[gte]=...") send the brackets raw.
        now = int(time.time())
        all_ids = [self.rpm_id, self.failed_id] + list(reversed(self.ids))
        self.assertEqual(self.page(f"created[gte]={now - 600}")[0], all_ids)
        self.assertEqual(self.page(f"created[lte]={now - 600}"), ([], False))

if __name__ == "__main__":
    unittest.main()
