"""Concurrent requests on one payment: refunds never exceed the captured amount, a payment is
captured/confirmed once (PRODUCT.md §2: "their sum never exceeds the captured amount, also under
concurrent requests"; "A payment is never charged twice")."""

import threading
import unittest

from payments_helpers import PaymentsTestCase, Resp, authorize_count, ledger_entries


def fire(tc, n, send):
    """Calls send(i, conn) from n threads on n pre-connected connections, released together."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        conn = tc.srv.connection("api", timeout=30)
        try:
            try:
                conn.connect()
            finally:
                barrier.wait(30)
            results[i] = send(i, conn)
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = e
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    errors = [r for r in results if not isinstance(r, Resp)]
    tc.assertEqual(errors, [], "requests failed at the transport level")
    return results


class ConcurrentRefundsMixin:
    def test_50_parallel_refunds_of_100_on_1000_refund_exactly_1000(self):
        p = self.m.pay(self, amount=1000)
        pid = p["id"]
        events_before = len(self.m.all_events())
        results = fire(self, 50, lambda i, conn: self.m.post(
            "/v1/refunds", {"payment": pid, "amount": 100}, conn=conn, timeout=30))
        ok = [r for r in results if r.status == 200]
        rejected = [r for r in results if r.status != 200]
        for r in rejected:
            err = self.assertError(r, 400)
            self.assertIn(err["code"], ("amount_too_large", "charge_already_refunded"), r)
        self.assertEqual(len(ok), 10, [r.status for r in results])
        self.assertEqual(len(rejected), 40)
        for r in ok:
            self.assertEqual((r.json["amount"], r.json["status"], r.json["payment"]),
                             (100, "succeeded", pid), r)
        self.assertEqual(len({r.json["id"] for r in ok}), 10)
        self.assertEqual(sum(r.json["amount"] for r in ok), 1000)

        q = self.m.payment(pid)
        self.assertEqual(q["amount_refunded"], 1000)
        self.assertEqual(q["amount_received"], 1000)
        self.assertEqual(q["status"], "succeeded")
        listed = self.m.all_refunds(payment=pid)
        self.assertEqual(sorted(x["id"] for x in listed), sorted(r.json["id"] for r in ok))
        self.assertEqual(sum(x["amount"] for x in listed if x["status"] == "succeeded"), 1000)
        psp_refunds = [e for e in ledger_entries(self.srv)
                       if e["payment_id"] == pid and e["operation"] == "refund"]
        self.assertEqual(len(psp_refunds), 10, psp_refunds)
        self.assertEqual(sum(e["amount"] for e in psp_refunds), 1000)
        events = self.m.all_events()
        self.assertEqual(len(events) - events_before, 10)
        self.assertEqual(sorted(e["data"]["object"]["id"] for e in events[:10]
                                if e["type"] == "refund.succeeded"),
                         sorted(r.json["id"] for r in ok))

    def test_parallel_default_amount_refunds_refund_once(self):
        p = self.m.pay(self, amount=777)
        results = fire(self, 20, lambda i, conn: self.m.post(
            "/v1/refunds", {"payment": p["id"]}, conn=conn, timeout=30))
        ok = [r for r in results if r.status == 200]
        self.assertEqual(len(ok), 1, [r.status for r in results])
        self.assertEqual(ok[0].json["amount"], 777)
        for r in results:
            if r.status != 200:
                err = self.assertError(r, 400)
                self.assertIn(err["code"], ("charge_already_refunded", "amount_too_large"), r)
        self.assertEqual(self.m.payment(p["id"])["amount_refunded"], 777)

    def test_parallel_captures_capture_once(self):
        p = self.m.pay(self, amount=1000, capture_method="manual")
        pid = p["id"]
        results = fire(self, 20, lambda i, conn: self.m.post(
            f"/v1/payments/{pid}/capture", {"amount_to_capture": 500}, conn=conn, timeout=30))
        ok = [r for r in results if r.status == 200]
        self.assertEqual(len(ok), 1, [r.status for r in results])
        for r in results:
            if r.status != 200:
                self.assertError(r, 409, code="invalid_state")
        q = self.m.payment(pid)
        self.assertEqual((q["status"], q["amount_received"]), ("succeeded", 500))
        self.assertEqual([a["operation"] for a in q["attempts"]], ["authorize", "capture"])
        caps = [e for e in ledger_entries(self.srv)
                if e["payment_id"] == pid and e["operation"] == "capture"]
        self.assertEqual(len(caps), 1, caps)
        self.assertEqual([e["type"] for e in self.m.events_for(pid)],
                         ["payment.requires_capture", "payment.captured"])

    def test_parallel_confirms_without_idempotency_key_charge_once(self):
        pid = self.m.create_payment(payment_method="tok_visa").json["id"]
        results = fire(self, 20, lambda i, conn: self.m.post(
            f"/v1/payments/{pid}/confirm", {}, conn=conn, timeout=30))
        ok = [r for r in results if r.status == 200]
        self.assertEqual(len(ok), 1, [r.status for r in results])
        for r in results:
            if r.status != 200:
                self.assertError(r, 409, code="invalid_state")
        self.assertEqual(authorize_count(self.srv, pid), 1)
        self.assertEqual(self.m.payment(pid)["status"], "succeeded")

    def test_parallel_capture_and_cancel_one_wins(self):
        p = self.m.pay(self, amount=1000, capture_method="manual")
        pid = p["id"]

        def send(i, conn):
            action = "capture" if i % 2 == 0 else "cancel"
            return self.m.post(f"/v1/payments/{pid}/{action}", {}, conn=conn, timeout=30)

        results = fire(self, 10, send)
        ok = [r for r in results if r.status == 200]
        self.assertEqual(len(ok), 1, [r.status for r in results])
        for r in results:
            if r.status != 200:
                self.assertError(r, 409, code="invalid_state")
        q = self.m.payment(pid)
        self.assertIn(q["status"], ("succeeded", "cancelled"))
        self.assertEqual(q, ok[0].json)
        self.assertEqual(len(q["attempts"]), 2)


class ConcurrentRefundsTest(ConcurrentRefundsMixin, PaymentsTestCase):
    pass


class ConcurrentRefundsSlowPspTest(ConcurrentRefundsMixin, PaymentsTestCase):
    """Same, while each PSP call takes 50 ms (the refunds are in flight together)."""

    SERVER_ARGS = ["--sandbox-latency-ms", "50"]


if __name__ == "__main__":
    unittest.main()
