"""Unclear PSP outcomes and crashes: a timeout or a PSP 5xx is answered `processing` and settled
later by the recovery pass; a SIGKILL in the middle of a stream of payments loses no answered
payment, leaves nothing unsettled and never charges twice (PRODUCT.md §2, §8)."""

import re
import threading
import time
import unittest

from payments_helpers import (PaymentsTestCase, authorize_count, charges_by_payment,
                              dev_merchant, ledger_entries, unique_key)
from harness import Server

RECOVERY_ARGS = ["--psp-timeout-ms", "300", "--recovery-interval-ms", "500"]
UNSETTLED = ("processing", "pending")


class UnclearOutcomeTest(PaymentsTestCase):
    SERVER_ARGS = RECOVERY_ARGS

    def event_types(self, pid):
        return [e["type"] for e in self.m.events_for(pid)]

    def test_timeout_is_processing_then_synced_to_succeeded_charged_once(self):
        t0 = time.monotonic()
        r = self.m.create_payment(amount=2500, payment_method="tok_timeout", confirm=True)
        elapsed = time.monotonic() - t0
        self.assertEqual(r.status, 200, r)
        p = r.json
        self.assertEqual(p["status"], "processing", "an unclear outcome is never failed")
        self.assertIsNone(p["last_error"])
        self.assertEqual(p["amount_received"], 0)
        self.assertEqual(len(p["attempts"]), 1)
        self.assertEqual(p["attempts"][0]["status"], "processing")
        self.assertGreaterEqual(elapsed, 0.25, "answered before the PSP deadline")
        self.assertLess(elapsed, 5.0)
        timing = r.headers.get("server-timing", "")
        m = re.match(r"app;dur=([\d.]+), psp;dur=([\d.]+)$", timing)
        self.assertIsNotNone(m, timing)
        self.assertGreaterEqual(float(m.group(2)), 250.0, f"PSP wait not in psp;dur: {timing}")
        self.assertLess(float(m.group(1)), float(m.group(2)), timing)
        q = self.m.wait_status(p["id"], ("succeeded", "failed"), timeout=10)
        self.assertEqual(q["status"], "succeeded", q)
        self.assertEqual(q["amount_received"], 2500)
        self.assertIsNone(q["last_error"])
        self.assertEqual(len(q["attempts"]), 1, "sync must not add a second attempt")
        self.assertEqual(q["attempts"][0]["status"], "succeeded")
        self.assertTrue(q["psp_reference"])
        self.assertEqual(authorize_count(self.srv, p["id"]), 1)
        self.assertEqual(self.event_types(p["id"]), ["payment.processing", "payment.succeeded"])
        # Later recovery passes change nothing.
        time.sleep(1.2)
        self.assertEqual(self.m.payment(p["id"]), q)
        self.assertEqual(authorize_count(self.srv, p["id"]), 1)

    def test_timeout_with_manual_capture_settles_to_requires_capture_then_captures(self):
        r = self.m.create_payment(amount=900, payment_method="tok_timeout", confirm=True,
                                  capture_method="manual")
        self.assertEqual(r.json["status"], "processing", r)
        blocked = self.m.post(f"/v1/payments/{r.json['id']}/capture", {})
        self.assertError(blocked, 409, code="invalid_state")
        q = self.m.wait_status(r.json["id"], ("requires_capture", "failed", "succeeded"))
        self.assertEqual(q["status"], "requires_capture", q)
        self.assertEqual(q["amount_capturable"], 900)
        c = self.m.post(f"/v1/payments/{r.json['id']}/capture", {})
        self.assertEqual(c.status, 200, c)
        self.assertEqual((c.json["status"], c.json["amount_received"]), ("succeeded", 900))
        self.assertEqual(authorize_count(self.srv, r.json["id"]), 1)

    def test_psp_error_is_processing_then_failed_psp_error_never_charged(self):
        r = self.m.create_payment(amount=3100, payment_method="tok_psp_error", confirm=True)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "processing", r)
        self.assertIsNone(r.json["last_error"])
        q = self.m.wait_status(r.json["id"], ("succeeded", "failed"), timeout=10)
        self.assertEqual(q["status"], "failed", q)
        self.assertEqual(q["last_error"]["code"], "psp_error", q)
        self.assertEqual(q["amount_received"], 0)
        self.assertEqual(q["attempts"][0]["status"], "failed")
        self.assertEqual(authorize_count(self.srv, r.json["id"]), 0)
        self.assertEqual(self.event_types(r.json["id"]), ["payment.processing", "payment.failed"])

    def test_unclear_payment_cannot_be_refunded_or_cancelled_while_processing(self):
        r = self.m.create_payment(amount=100, payment_method="tok_psp_error", confirm=True)
        pid = r.json["id"]
        self.assertEqual(r.json["status"], "processing")
        for path, body in ((f"/v1/payments/{pid}/cancel", {}), ("/v1/refunds", {"payment": pid}),
                           (f"/v1/payments/{pid}/confirm", {})):
            with self.subTest(path=path):
                self.assertError(self.m.post(path, body), 409, code="invalid_state")
        self.m.wait_status(pid, "failed")

    def test_idempotent_retry_of_a_timed_out_payment_does_not_charge_again(self):
        key = unique_key()
        body = {"amount": 640, "currency": "usd", "payment_method": "tok_timeout", "confirm": True}
        first = self.m.post("/v1/payments", body, idem=key)
        self.assertEqual(first.json["status"], "processing", first)
        again = self.m.post("/v1/payments", body, idem=key)
        self.assertEqual((again.status, again.body), (200, first.body))
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.m.wait_status(first.json["id"], "succeeded")
        again = self.m.post("/v1/payments", body, idem=key)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json["id"], first.json["id"])
        self.assertEqual(authorize_count(self.srv, first.json["id"]), 1)


# Tokens of the crash stream and the status a payment ends in when its PSP call completes.
STREAM_MIX = [
    ("tok_visa", "automatic", "succeeded"),
    ("tok_mastercard", "automatic", "succeeded"),
    ("tok_visa", "manual", "requires_capture"),
    ("tok_amex", "automatic", "succeeded"),
    ("tok_decline_insufficient_funds", "automatic", "failed"),
    ("tok_visa", "automatic", "succeeded"),
    ("tok_decline_stolen", "automatic", "failed"),
    ("tok_visa", "automatic", "succeeded"),
    ("tok_mastercard", "manual", "requires_capture"),
    ("tok_visa", "automatic", "succeeded"),
]


def stream_body(i):
    if i % 40 == 13:
        token, cm = "tok_timeout", "automatic"
    elif i % 50 == 27:
        token, cm = "tok_psp_error", "automatic"
    else:
        token, cm, _ = STREAM_MIX[i % len(STREAM_MIX)]
    return {"amount": 1000 + i, "currency": "usd", "payment_method": token,
            "capture_method": cm, "confirm": True, "metadata": {"i": str(i)}}


class CrashRecoveryTest(unittest.TestCase):
    N = 200
    THREADS = 8
    KILL_AFTER = 70  # answered requests

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(extra_args=RECOVERY_ARGS + ["--sandbox-latency-ms", "20"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def wait_settled(self, m, timeout=10.0):
        """Polls until no payment or attempt is processing/pending; returns all payments."""
        deadline = time.monotonic() + timeout
        while True:
            payments = m.all_payments()
            unsettled = [(p["id"], p["status"], [a["status"] for a in p["attempts"]])
                         for p in payments
                         if p["status"] in UNSETTLED or
                         any(a["status"] in UNSETTLED for a in p["attempts"])]
            if not unsettled:
                return payments
            if time.monotonic() > deadline:
                self.fail(f"{len(unsettled)} payments still unsettled {timeout}s after restart: "
                          f"{unsettled[:10]}")
            time.sleep(0.2)

    def test_sigkill_mid_stream_loses_nothing_and_never_charges_twice(self):
        srv = self.srv
        m = dev_merchant(srv)
        keys = [unique_key(f"crash{i}") for i in range(self.N)]
        bodies = [stream_body(i) for i in range(self.N)]
        lock = threading.Lock()
        state = {"next": 0}
        answered = {}    # i -> Resp (200 before the kill)
        non_200 = {}     # i -> Resp (any other answer before the kill)
        unanswered = []  # i sent (or being sent) but no answer
        killed = threading.Event()

        def worker():
            conn = None
            while True:
                with lock:
                    if killed.is_set() or state["next"] >= self.N:
                        break
                    i = state["next"]
                    state["next"] += 1
                try:
                    if conn is None:
                        conn = srv.connection("api", timeout=15)
                    r = m.post("/v1/payments", bodies[i], idem=keys[i], conn=conn, timeout=15)
                except Exception:  # noqa: BLE001 - the kill, or a closed keep-alive
                    with lock:
                        unanswered.append(i)
                    if conn is not None:
                        conn.close()
                        conn = None
                    continue
                with lock:
                    if r.status == 200:
                        answered[i] = r
                    else:
                        non_200[i] = r
            if conn is not None:
                conn.close()

        threads = [threading.Thread(target=worker) for _ in range(self.THREADS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if len(answered) + len(non_200) >= self.KILL_AFTER:
                    break
            time.sleep(0.005)
        killed.set()  # no new requests; those in flight are cut by the kill
        srv.kill()  # SIGKILL
        for t in threads:
            t.join(30)
        sent = state["next"]
        self.assertEqual(non_200, {}, "non-200 answers before the kill")
        self.assertGreaterEqual(len(answered), self.KILL_AFTER)
        self.assertTrue(unanswered, "no request was in flight at the kill")
        self.assertLess(sent, self.N, "the stream finished before the kill; nothing was mid-stream")

        srv.start()  # same data dir, --dev
        m = dev_merchant(srv)
        payments = self.wait_settled(m)
        by_id = {p["id"]: p for p in payments}

        # 1. Every answered payment exists with the answered status (or a later one).
        for i, r in sorted(answered.items()):
            with self.subTest(answered=i, token=bodies[i]["payment_method"]):
                pid, status = r.json["id"], r.json["status"]
                self.assertIn(pid, by_id, f"answered payment {pid} lost after the crash")
                now = by_id[pid]["status"]
                if status == "processing":
                    self.assertIn(now, ("succeeded", "failed", "requires_capture"), by_id[pid])
                else:
                    self.assertEqual(now, status, by_id[pid])
                self.assertEqual(by_id[pid]["amount"], bodies[i]["amount"])
                self.assertEqual(by_id[pid]["metadata"], {"i": str(i)})

        # 2. The requests without an answer, retried with their keys: 200, never a 2nd charge.
        retried = {}
        for i in sorted(unanswered):
            with self.subTest(retry=i, token=bodies[i]["payment_method"]):
                r = None
                end = time.monotonic() + 5
                while True:
                    r = m.post("/v1/payments", bodies[i], idem=keys[i])
                    if r.status != 409 or time.monotonic() > end:
                        break
                    time.sleep(0.2)
                self.assertEqual(r.status, 200, f"retry of request {i} after restart: {r}")
                if r.status == 200:
                    retried[i] = r
                    self.assertEqual(r.json["amount"], bodies[i]["amount"])
                    self.assertEqual(r.json["metadata"], {"i": str(i)})
        payments = self.wait_settled(m)
        by_id = {p["id"]: p for p in payments}

        # 3. One payment per key: nothing orphaned, nothing duplicated.
        key_ids = [r.json["id"] for r in answered.values()] + [r.json["id"] for r in retried.values()]
        self.assertEqual(len(key_ids), len(set(key_ids)), "two keys answered with one payment")
        self.assertEqual(set(by_id), set(key_ids), "payments not tied to any request key")

        # 4. The ledger: at most one authorize per payment, and it agrees with the status.
        charges = charges_by_payment(srv)
        twice = {pid: n for pid, n in charges.items() if n > 1}
        self.assertEqual(twice, {}, "payments charged more than once")
        ledger = {e["payment_id"]: e for e in ledger_entries(srv) if e["operation"] == "authorize"}
        for pid, p in by_id.items():
            with self.subTest(payment=pid, status=p["status"], pm=p["payment_method"]):
                e = ledger.get(pid)
                if p["status"] == "succeeded":
                    self.assertIsNotNone(e, "succeeded without a PSP charge")
                    self.assertEqual(e["outcome"], "captured")
                    self.assertEqual(p["amount_received"], p["amount"])
                elif p["status"] == "requires_capture":
                    self.assertIsNotNone(e)
                    self.assertEqual(e["outcome"], "authorized")
                    self.assertEqual(p["amount_capturable"], p["amount"])
                elif p["status"] == "failed" and p["last_error"]["code"] == "card_declined":
                    self.assertIsNotNone(e)
                    self.assertEqual(e["outcome"], "declined")
                elif p["status"] == "failed":
                    self.assertEqual(p["last_error"]["code"], "psp_error", p)
                    self.assertIsNone(e, "failed as psp_error although the PSP charged it")
                else:
                    self.fail(f"unexpected status {p['status']}")
                if e is not None:
                    self.assertEqual(e["amount"], p["amount"])
                    self.assertEqual(authorize_count(srv, pid), 1)

        # 5. At most one event of each type per payment (recovery did not repeat events).
        seen = {}
        for ev in m.all_events():
            k = (ev["data"]["object"]["id"], ev["type"])
            seen[k] = seen.get(k, 0) + 1
        self.assertEqual({k: n for k, n in seen.items() if n > 1}, {}, "duplicate events")

        # 6. The restarted server keeps working.
        r = m.create_payment(payment_method="tok_visa", confirm=True)
        self.assertEqual((r.status, r.json["status"]), (200, "succeeded"), r)


class SlowPspDeadlineTest(PaymentsTestCase):
    """A PSP slower than --psp-timeout-ms: the call's deadline is the flag, whatever the PSP does
    (§2: an outcome the PSP did not state in time is `processing`, settled later by sync)."""

    SERVER_ARGS = ["--sandbox-latency-ms", "1500", "--psp-timeout-ms", "300",
                   "--recovery-interval-ms", "500"]

    def test_psp_slower_than_the_deadline_is_answered_processing_at_the_deadline(self):
        t0 = time.monotonic()
        r = self.m.create_payment(amount=4000, payment_method="tok_visa", confirm=True)
        elapsed = time.monotonic() - t0
        self.assertEqual(r.status, 200, r)
        self.assertLess(elapsed, 1.2, f"answered after {elapsed:.2f}s: the 300 ms PSP deadline "
                                      f"was not applied (status {r.json['status']})")
        self.assertEqual(r.json["status"], "processing", r)
        q = self.m.wait_status(r.json["id"], ("succeeded", "failed"), timeout=10)
        n = authorize_count(self.srv, r.json["id"])
        if q["status"] == "succeeded":
            self.assertEqual(n, 1, q)
        else:
            self.assertEqual(q["last_error"]["code"], "psp_error", q)
            self.assertEqual(n, 0, "failed although the PSP charged it")


class CrashDuringCaptureAndRefundTest(unittest.TestCase):
    """SIGKILL while a capture and a refund wait for the PSP (800 ms): after the restart both are
    settled from the PSP's records, the reservation of a refund the PSP never saw is released,
    and retrying with the same Idempotency-Keys answers 200 without a second PSP operation."""

    def test_capture_and_refund_in_flight_at_sigkill_are_settled_after_restart(self):
        # The PSP deadline must exceed the sandbox latency here, so the calls are in flight.
        srv = Server(extra_args=["--psp-timeout-ms", "5000", "--recovery-interval-ms", "500",
                                 "--sandbox-latency-ms", "800"])
        try:
            m = dev_merchant(srv)
            held = m.pay(self, amount=1000, capture_method="manual")
            paid = m.pay(self, amount=1000)
            self.assertEqual((held["status"], paid["status"]), ("requires_capture", "succeeded"))
            cap_key, ref_key = unique_key("cap"), unique_key("ref")
            cap_body, ref_body = {"amount_to_capture": 700}, {"payment": paid["id"], "amount": 400}

            def bg(path, body, key):
                try:
                    m.post(path, body, idem=key, timeout=10)
                except Exception:  # noqa: BLE001 - cut by the kill
                    pass

            threads = [threading.Thread(target=bg, args=(f"/v1/payments/{held['id']}/capture",
                                                         cap_body, cap_key)),
                       threading.Thread(target=bg, args=("/v1/refunds", ref_body, ref_key))]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # both are in flight once the payments show it
                h = m.payment(held["id"])
                if h["status"] == "processing" and m.payment(paid["id"])["amount_refunded"] == 400:
                    break
                time.sleep(0.02)
            srv.kill()
            for t in threads:
                t.join(10)
            srv.start()
            m = dev_merchant(srv)
            h = m.wait_status(held["id"], ("requires_capture", "succeeded"), timeout=10)
            p = m.payment(paid["id"])
            refunds = m.all_refunds(payment=paid["id"])
            self.assertEqual(len(refunds), 1, refunds)
            rf = refunds[0]
            end = time.monotonic() + 10
            while rf["status"] == "pending" and time.monotonic() < end:
                time.sleep(0.2)
                rf = m.get(f"/v1/refunds/{rf['id']}").json
            p = m.payment(paid["id"])
            psp_caps = [e for e in ledger_entries(srv)
                        if e["payment_id"] == held["id"] and e["operation"] == "capture"]
            psp_refs = [e for e in ledger_entries(srv)
                        if e["payment_id"] == paid["id"] and e["operation"] == "refund"]
            # The capture: the PSP's record decides.
            if psp_caps:
                self.assertEqual((h["status"], h["amount_received"]), ("succeeded", 700), h)
            else:
                self.assertEqual(h["status"], "requires_capture", h)
                self.assertEqual(h["amount_capturable"], 1000, h)
                self.assertEqual(h["amount_received"], 0, h)
            self.assertNotIn(h["attempts"][-1]["status"], UNSETTLED, h)
            # The refund: settled, and its reservation released if the PSP never refunded.
            self.assertIn(rf["status"], ("succeeded", "failed"), rf)
            if psp_refs:
                self.assertEqual((rf["status"], p["amount_refunded"]), ("succeeded", 400), (rf, p))
            else:
                self.assertEqual(rf["status"], "failed", rf)
                self.assertEqual(p["amount_refunded"], 0, "a failed refund still reserves its amount")
            # Retrying with the same keys: 200, no second PSP operation.
            rc = m.post(f"/v1/payments/{held['id']}/capture", cap_body, idem=cap_key)
            rr = m.post("/v1/refunds", ref_body, idem=ref_key)
            self.assertEqual(rc.status, 200, rc)
            self.assertEqual(rr.status, 200, rr)
            self.assertEqual(rr.json["id"], rf["id"], "the refund retry made a second refund")
            caps_after = [e for e in ledger_entries(srv)
                          if e["payment_id"] == held["id"] and e["operation"] == "capture"]
            refs_after = [e for e in ledger_entries(srv)
                          if e["payment_id"] == paid["id"] and e["operation"] == "refund"]
            self.assertEqual(len(caps_after), len(psp_caps))
            self.assertEqual(len(refs_after), len(psp_refs))
            # And the payments can still be captured / refunded with new keys.
            if h["status"] == "requires_capture":
                c = m.post(f"/v1/payments/{held['id']}/capture", cap_body)
                self.assertEqual((c.status, c.json["status"]), (200, "succeeded"), c)
            r2 = m.post("/v1/refunds", {"payment": paid["id"]})
            self.assertEqual(r2.status, 200, r2)
            self.assertEqual(m.payment(paid["id"])["amount_refunded"], 1000)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
