"""Idempotency-Key on the payments API: byte-for-byte replay, parameter mismatch, in-progress
conflict, per-merchant scope, and 50 parallel requests with one key charging exactly once
(PRODUCT.md §2)."""

import threading
import time
import unittest

from payments_helpers import (PaymentsTestCase, Resp, authorize_count, charges_by_payment,
                              ledger_entries, new_merchant, unique_key)

CHARGE = {"amount": 4321, "currency": "usd", "payment_method": "tok_visa", "confirm": True}


def parallel_same_key(tc, merchant_name, n=50):
    """n requests with one Idempotency-Key, from n threads on n connections released together:
    exactly one payment and one PSP charge; every 200 carries the same body, the rest are 409."""
    b = new_merchant(tc.srv, merchant_name)
    key = unique_key("par")
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        conn = tc.srv.connection("api", timeout=30)
        try:
            try:
                conn.connect()
            finally:
                barrier.wait(30)
            results[i] = b.post("/v1/payments", CHARGE, idem=key, conn=conn, timeout=30)
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = e
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    errors = [r for r in results if not isinstance(r, Resp)]
    tc.assertEqual(errors, [], "requests failed at the transport level")
    ok = [r for r in results if r.status == 200]
    others = [r for r in results if r.status != 200]
    tc.assertGreaterEqual(len(ok), 1)
    tc.assertEqual(len({r.body for r in ok}), 1, "200 answers differ")
    tc.assertEqual(sum(1 for r in ok if "idempotent-replayed" not in r.headers), 1,
                   "more than one 200 answer was not a replay")
    for r in others:
        tc.assertError(r, 409, code="idempotency_in_progress")
    payments = b.all_payments()
    tc.assertEqual(len(payments), 1, payments)
    pid = payments[0]["id"]
    tc.assertEqual(ok[0].json["id"], pid)
    tc.assertEqual(authorize_count(tc.srv, pid), 1, charges_by_payment(tc.srv))
    final = b.post("/v1/payments", CHARGE, idem=key)
    tc.assertEqual(final.status, 200, final)
    tc.assertEqual(final.body, ok[0].body)
    tc.assertEqual(final.headers.get("idempotent-replayed"), "true")
    tc.assertEqual(b.payment(pid)["status"], "succeeded")
    tc.assertEqual(len(b.all_events()), 1, "one payment.succeeded event only")
    return ok, others


class IdempotencyTest(PaymentsTestCase):
    def test_replay_is_byte_for_byte_with_replayed_header(self):
        key = unique_key()
        first = self.m.post("/v1/payments", CHARGE, idem=key)
        self.assertEqual(first.status, 200, first)
        self.assertNotIn("idempotent-replayed", first.headers)
        pid = first.json["id"]
        self.assertEqual(first.json["status"], "succeeded")
        before = self.m.snapshot()
        for _ in range(3):
            again = self.m.post("/v1/payments", CHARGE, idem=key)
            self.assertEqual(again.status, 200, again)
            self.assertEqual(again.body, first.body)
            self.assertEqual(again.headers.get("idempotent-replayed"), "true", again.headers)
        self.assertEqual(self.m.snapshot(), before, "a replay created something")
        self.assertEqual(authorize_count(self.srv, pid), 1)

    def test_replay_of_confirm_capture_cancel_and_refund(self):
        pid = self.m.create_payment(payment_method="tok_visa", capture_method="manual").json["id"]
        for path, body in ((f"/v1/payments/{pid}/confirm", {}),
                           (f"/v1/payments/{pid}/capture", {"amount_to_capture": 400}),
                           ("/v1/refunds", {"payment": pid, "amount": 100})):
            with self.subTest(path=path):
                key = unique_key()
                first = self.m.post(path, body, idem=key)
                self.assertEqual(first.status, 200, first)
                before = self.m.snapshot()
                ledger = len(ledger_entries(self.srv))
                again = self.m.post(path, body, idem=key)
                self.assertEqual((again.status, again.body), (200, first.body))
                self.assertEqual(again.headers.get("idempotent-replayed"), "true")
                self.assertEqual(self.m.snapshot(), before)
                self.assertEqual(len(ledger_entries(self.srv)), ledger)
        self.assertEqual(self.m.payment(pid)["amount_refunded"], 100)
        cid = self.m.create_payment().json["id"]
        key = unique_key()
        first = self.m.post(f"/v1/payments/{cid}/cancel", {}, idem=key)
        again = self.m.post(f"/v1/payments/{cid}/cancel", {}, idem=key)
        self.assertEqual((first.status, again.status), (200, 200), (first, again))
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(len(self.m.events_for(cid)), 1, "a replayed cancel emitted an event")

    def test_replay_of_a_decline_is_not_charged_again(self):
        key = unique_key()
        body = dict(CHARGE, payment_method="tok_decline_do_not_honor")
        first = self.m.post("/v1/payments", body, idem=key)
        self.assertEqual((first.status, first.json["status"]), (200, "failed"), first)
        again = self.m.post("/v1/payments", body, idem=key)
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(authorize_count(self.srv, first.json["id"]), 1)

    def test_same_parameters_serialized_differently_are_replayed(self):
        # "same key + different parameters -> 400": a client re-serializing the same parameters
        # (other key order, other whitespace) is sending the same request.
        key = unique_key()
        first = self.m.call("POST", "/v1/payments", idem=key,
                            body='{"amount":555,"currency":"usd","payment_method":"tok_visa",'
                                 '"confirm":true}',
                            headers={"Content-Type": "application/json"})
        self.assertEqual(first.status, 200, first)
        again = self.m.call("POST", "/v1/payments", idem=key,
                            body='{"confirm": true, "payment_method": "tok_visa", '
                                 '"currency": "usd", "amount": 555}\n',
                            headers={"Content-Type": "application/json"})
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(authorize_count(self.srv, first.json["id"]), 1)

    def test_same_key_different_parameters_is_idempotency_error(self):
        key = unique_key()
        first = self.m.post("/v1/payments", CHARGE, idem=key)
        self.assertEqual(first.status, 200, first)
        before = self.m.snapshot()
        ledger = len(ledger_entries(self.srv))
        for body in (dict(CHARGE, amount=4322), dict(CHARGE, description="other"),
                     {"amount": 4321, "currency": "usd"}):
            with self.subTest(body=body):
                r = self.m.post("/v1/payments", body, idem=key)
                err = self.assertError(r, 400, code="idempotency_error", etype="idempotency_error")
                self.assertNotIn("idempotent-replayed", r.headers)
                self.assertEqual(err.get("param"), "Idempotency-Key")
        # The same key on another endpoint is another request too.
        r = self.m.post("/v1/refunds", {"payment": first.json["id"]}, idem=key)
        self.assertError(r, 400, code="idempotency_error", etype="idempotency_error")
        self.assertEqual(self.m.snapshot(), before)
        self.assertEqual(len(ledger_entries(self.srv)), ledger)
        # The original is still replayed.
        again = self.m.post("/v1/payments", CHARGE, idem=key)
        self.assertEqual(again.body, first.body)

    def test_rejected_request_does_not_use_up_the_key(self):
        key = unique_key()
        bad = self.m.post("/v1/payments", dict(CHARGE, amount=0), idem=key)
        self.assertError(bad, 400, code="parameter_invalid", param="amount")
        good = self.m.post("/v1/payments", CHARGE, idem=key)
        self.assertEqual(good.status, 200, good)
        self.assertNotIn("idempotent-replayed", good.headers)
        # A refused transition inside the transaction does not store the key either.
        pid = good.json["id"]
        key2 = unique_key()
        r = self.m.post(f"/v1/payments/{pid}/capture", {}, idem=key2)
        self.assertError(r, 409, code="invalid_state")
        r2 = self.m.post(f"/v1/payments/{pid}/capture", {}, idem=key2)
        self.assertError(r2, 409, code="invalid_state")
        self.assertNotIn("idempotent-replayed", r2.headers)

    def test_keys_are_scoped_per_merchant(self):
        b = new_merchant(self.srv, "Idempotency B")
        key = unique_key()
        ra = self.m.post("/v1/payments", CHARGE, idem=key)
        rb = b.post("/v1/payments", CHARGE, idem=key)
        self.assertEqual((ra.status, rb.status), (200, 200), (ra, rb))
        self.assertNotIn("idempotent-replayed", rb.headers)
        self.assertNotEqual(ra.json["id"], rb.json["id"])
        self.assertEqual(rb.json["status"], "succeeded")
        self.assertEqual([p["id"] for p in b.all_payments()], [rb.json["id"]])
        self.assertEqual(authorize_count(self.srv, ra.json["id"]), 1)
        self.assertEqual(authorize_count(self.srv, rb.json["id"]), 1)
        self.assertEqual(self.m.get(f"/v1/payments/{rb.json['id']}").status, 404)


    def test_50_parallel_requests_with_one_key_charge_once_fast_psp(self):
        parallel_same_key(self, "Parallel merchant (fast PSP)")


class IdempotencyInFlightTest(PaymentsTestCase):
    """The sandbox answers after 300 ms, so a first request is still running when others come."""

    SERVER_ARGS = ["--sandbox-latency-ms", "300"]

    def test_same_key_while_first_in_flight_is_409_in_progress(self):
        key = unique_key()
        box = {}

        def first():
            box["r"] = self.m.post("/v1/payments", CHARGE, idem=key)

        n_before = len(self.m.all_payments())
        t = threading.Thread(target=first)
        t.start()
        deadline = time.monotonic() + 5  # the key is claimed with the payment, in one commit
        while len(self.m.all_payments()) == n_before and time.monotonic() < deadline:
            time.sleep(0.01)
        second = self.m.post("/v1/payments", CHARGE, idem=key)
        t.join(15)
        self.assertError(second, 409, code="idempotency_in_progress")
        self.assertNotIn("idempotent-replayed", second.headers)
        r = box["r"]
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "succeeded")
        third = self.m.post("/v1/payments", CHARGE, idem=key)
        self.assertEqual(third.body, r.body)
        self.assertEqual(third.headers.get("idempotent-replayed"), "true")
        self.assertEqual(authorize_count(self.srv, r.json["id"]), 1)

    def test_50_parallel_requests_with_one_key_charge_once(self):
        parallel_same_key(self, "Parallel merchant (slow PSP)")

if __name__ == "__main__":
    unittest.main()
