"""Payments through the Stripe connector, end to end (issue 18, PRODUCT.md §2).

The real `liasonpay serve` reaches test/psp/fake_stripe.py (a small fake of Stripe's
PaymentIntents/Refunds API, with Stripe's idempotency semantics) over real TLS: the fake's
certificate is issued by a throwaway CA made here with `openssl`, which the server trusts only
through `--psp-ca-file` (certificate and host-name verification stay on). A merchant adds a Stripe
connector account in test mode with its credentials (sealed at rest) and takes, captures, cancels
and refunds payments through it; declines keep Stripe's decline codes; a PSP that never answers
leaves the payment `processing` until the recovery sync settles it from the PSP's record, charged
once; a wrong secret key fails the payment as `connector_authentication_failed`, not as a decline.

Inbound Stripe webhooks (`POST /psp-webhooks/{connector_account_id}`): the events the fake
signed with the account's webhook secret settle a payment left `processing`, once (a resent event
is acknowledged and changes nothing); a forged or tampered signature is 400, audited, counted and
changes nothing; an event never moves a final status back; an event sent to another account's URL
(signed with that account's secret) does not touch this account's payments.

Also: a flood of forged webhooks is answered 429 per client IP with one audit record; refused
credentials mark the connector account until replaced; the refund reason reaches Stripe;
`requires_action` shows only the next action's type and redirect URL; unclear attempts are synced
with a per-attempt exponential backoff that a restart keeps. Adyen end to end:
test_psp_adyen.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import shutil
import subprocess
import sys
import re
import tempfile
import time
import unittest
import urllib.request
import ssl

import harness
from harness import Server
from payments_helpers import dev_merchant, unique_key

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "psp", "fake_stripe.py")
SECRET_KEY = "sk_test_fake_0123456789abcdef"
WEBHOOK_SECRET = "whsec_fake_0123456789abcdef"
SLOW = 3.0 if os.environ.get("LP_SANITIZED") == "1" else 1.0


def make_pki(d: str) -> tuple[str, str, str]:
    """A CA and a leaf for 127.0.0.1/localhost signed by it; returns (ca, cert, key) paths."""
    openssl = harness.require_tool("openssl", "openssl")
    ca_key, ca, key, csr, cert = (os.path.join(d, n) for n in
                                  ("ca.key", "ca.pem", "leaf.key", "leaf.csr", "leaf.pem"))
    ext = os.path.join(d, "leaf.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    steps = [
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=LiasonPay test PSP CA"],
        [openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        [openssl, "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", ext],
    ]
    for s in steps:
        r = subprocess.run(s, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError(f"{s[1]} failed: {r.stderr}")
    return ca, cert, key


class FakeStripe:
    def __init__(self, cert: str, key: str):
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--cert", cert, "--key", key, "--secret-key", SECRET_KEY,
             "--webhook-secret", WEBHOOK_SECRET],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise AssertionError(f"fake_stripe.py did not start: {line!r}")
        self.port = int(line.split()[1])
        self.ctx = ssl.create_default_context(cafile=cert.replace("leaf.pem", "ca.pem"))

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def state(self) -> dict:
        with urllib.request.urlopen(self.base_url + "/__fake/state", context=self.ctx,
                                    timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


class StripeCase(unittest.TestCase):
    """One fake Stripe and one dev server per class, with a Stripe account on the dev merchant."""

    RECOVERY_MS = "300"
    EXTRA_ARGS: list = []

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lp-it-stripe-")
        ca, cert, key = make_pki(cls.tmp)
        cls.fake = FakeStripe(cert, key)
        cls.srv = Server(extra_args=["--psp-ca-file", ca, "--psp-timeout-ms", "1500",
                                     "--recovery-interval-ms", cls.RECOVERY_MS] + cls.EXTRA_ARGS)
        cls.m = dev_merchant(cls.srv)
        cls.account = cls.add_account(WEBHOOK_SECRET)

    @classmethod
    def add_account(cls, webhook_secret: str) -> str:
        r = cls.m.post("/v1/connector_accounts", {
            "connector": "stripe", "base_url": cls.fake.base_url,
            "credentials": {"secret_key": SECRET_KEY, "webhook_secret": webhook_secret}})
        assert r.status == 200, r
        return r.json["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)


class StripeConnectorTest(StripeCase):

    def pay(self, pm="pm_card_visa", **fields):
        body = {"amount": 2500, "currency": "EUR", "payment_method": pm, "confirm": True}
        body.update(fields)
        r = self.m.post("/v1/payments", body, idem=unique_key("stripe"))
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_payment_succeeds_at_stripe_with_our_attempt_as_idempotency_key(self):
        p = self.pay()
        self.assertEqual(p["status"], "succeeded", p)
        self.assertEqual(p["connector"], "stripe", p)
        self.assertEqual(p["connector_account"], self.account, p)
        self.assertTrue(p["psp_reference"].startswith("pi_"), p)
        att = p["attempts"][0]
        self.assertEqual(att["routing_reason"], "default_order", att)
        st = self.fake.state()
        self.assertIn(p["psp_reference"], st["payment_intents"])
        pi = st["payment_intents"][p["psp_reference"]]
        self.assertEqual((pi["amount"], pi["currency"], pi["status"]), (2500, "eur", "succeeded"))
        self.assertEqual(st["charges"].get(att["id"]), 1, "charged once under our attempt id")

    def test_manual_capture_partial_then_refunds(self):
        p = self.pay(capture_method="manual")
        self.assertEqual(p["status"], "requires_capture", p)
        self.assertEqual(p["amount_capturable"], 2500, p)
        r = self.m.post(f"/v1/payments/{p['id']}/capture", {"amount_to_capture": 2000},
                        idem=unique_key("cap"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "succeeded", r.json)
        self.assertEqual(r.json["amount_received"], 2000, r.json)
        pi = self.fake.state()["payment_intents"][p["psp_reference"]]
        self.assertEqual(pi["amount_received"], 2000, pi)
        for amount in (500, 700):
            rf = self.m.post("/v1/refunds", {"payment": p["id"], "amount": amount},
                             idem=unique_key("ref"))
            self.assertEqual(rf.status, 200, rf)
            self.assertEqual(rf.json["status"], "succeeded", rf.json)
            self.assertTrue(rf.json["psp_reference"].startswith("re_"), rf.json)
        refunds = [x for x in self.fake.state()["refunds"].values()
                   if x["payment_intent"] == p["psp_reference"]]
        self.assertEqual(sorted(x["amount"] for x in refunds), [500, 700])

    def test_cancel_an_authorization(self):
        p = self.pay(capture_method="manual")
        self.assertEqual(p["status"], "requires_capture", p)
        r = self.m.post(f"/v1/payments/{p['id']}/cancel", {}, idem=unique_key("cancel"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "cancelled", r.json)
        pi = self.fake.state()["payment_intents"][p["psp_reference"]]
        self.assertEqual(pi["status"], "canceled", pi)

    def test_declines_keep_stripes_decline_codes(self):
        cases = {"pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
                 "pm_card_chargeDeclinedStolenCard": "stolen_card"}
        for pm, code in cases.items():
            with self.subTest(pm=pm):
                p = self.pay(pm)
                self.assertEqual(p["status"], "failed", p)
                self.assertEqual(p["last_error"]["code"], "card_declined", p)
                self.assertEqual(p["last_error"]["decline_code"], code, p)

    def test_no_answer_is_processing_then_settled_by_sync_charged_once(self):
        p = self.pay("pm_fake_timeout")
        self.assertEqual(p["status"], "processing", p)
        q = self.m.wait_status(p["id"], ["succeeded", "failed"], timeout=30 * SLOW)
        self.assertEqual(q["status"], "succeeded", q)
        att = q["attempts"][0]
        self.assertEqual(self.fake.state()["charges"].get(att["id"]), 1, "charged exactly once")

    def test_server_error_stays_processing_never_failed(self):
        p = self.pay("pm_fake_500")
        self.assertEqual(p["status"], "processing", p)
        time.sleep(1.5)  # several recovery rounds: Stripe replays the stored 500, still unclear
        self.assertEqual(self.m.payment(p["id"])["status"], "processing")
        # Reconciliation is visible to operators: how many are unsettled, the oldest's age.
        status, _, metrics = self.srv.request("ops", "GET", "/metrics")
        text = metrics.decode()
        count = re.search(r"^liasonpay_payment_attempts_unsettled (\S+)$", text, re.M)
        age = re.search(r"^liasonpay_payment_attempts_oldest_unsettled_age_seconds (\S+)$", text,
                        re.M)
        self.assertIsNotNone(count, text[-3000:])
        self.assertGreaterEqual(float(count.group(1)), 1)
        self.assertGreaterEqual(float(age.group(1)), 1.0)

    def test_wrong_secret_key_is_connector_authentication_failed_not_a_decline(self):
        r = self.m.post("/v1/connector_accounts", {
            "connector": "stripe", "label": "Stripe (wrong key)", "base_url": self.fake.base_url,
            "credentials": {"secret_key": "sk_test_wrong_0123456789abcdef",
                            "webhook_secret": WEBHOOK_SECRET}})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json["last_error"], r.json)
        p = self.pay(routing={"connector_account": r.json["id"]})
        self.assertEqual(p["status"], "failed", p)
        self.assertEqual(p["last_error"]["code"], "connector_authentication_failed", p)
        self.assertFalse(p["last_error"].get("decline_code"), p)
        self.assertIn("Stripe", p["last_error"]["message"], p)

    def test_refused_credentials_mark_the_account_once_until_they_are_replaced(self):
        r = self.m.post("/v1/connector_accounts", {
            "connector": "stripe", "label": "Stripe (stale key)", "base_url": self.fake.base_url,
            "credentials": {"secret_key": "sk_test_stale_0123456789abcdef",
                            "webhook_secret": WEBHOOK_SECRET}})
        self.assertEqual(r.status, 200, r)
        acc = r.json["id"]
        for _ in range(2):  # Stripe answers 401 to both
            p = self.pay(routing={"connector_account": acc})
            self.assertEqual(p["last_error"]["code"], "connector_authentication_failed", p)
        g = self.m.get(f"/v1/connector_accounts/{acc}")
        self.assertEqual(g.status, 200, g)
        err = g.json["last_error"]
        self.assertEqual(err["code"], "connector_authentication_failed", g.json)
        self.assertGreater(err["created"], 0, err)
        self.assertEqual(g.json["status"], "active", g.json)
        self.assertNotIn("sk_test_stale", g.body.decode())
        con = sqlite3.connect(f"file:{self.srv.db_path}?mode=ro", uri=True, timeout=10)
        try:
            n = con.execute("SELECT COUNT(*) FROM audit_log WHERE action = "
                            "'connector_account.credentials_refused' AND target = ?",
                            (acc,)).fetchone()[0]
        finally:
            con.close()
        self.assertEqual(n, 1, "the transition is audited once, not per payment")
        # New (working) credentials clear the mark, and payments go through.
        u = self.m.call("PATCH", f"/v1/connector_accounts/{acc}", {
            "credentials": {"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}})
        self.assertEqual(u.status, 200, u)
        self.assertIsNone(u.json["last_error"], u.json)
        p = self.pay(routing={"connector_account": acc})
        self.assertEqual(p["status"], "succeeded", p)
        self.assertIsNone(self.m.get(f"/v1/connector_accounts/{acc}").json["last_error"])

    def test_refund_reason_goes_to_stripe(self):
        p = self.pay()
        rf = self.m.post("/v1/refunds", {"payment": p["id"], "amount": 300,
                                         "reason": "requested_by_customer"},
                         idem=unique_key("ref"))
        self.assertEqual(rf.status, 200, rf)
        self.assertEqual(rf.json["status"], "succeeded", rf.json)
        bodies = [x["body"] for x in self.fake.state()["requests"]
                  if x["path"].startswith("/v1/refunds") and x["method"] == "POST"
                  and p["psp_reference"] in x["body"]]
        self.assertEqual(len(bodies), 1, bodies)
        self.assertIn("reason=requested_by_customer", bodies[0])

    def test_requires_action_shows_the_next_action_type_without_stripes_data(self):
        r = self.m.post("/v1/payments", {"amount": 2500, "currency": "EUR",
                                         "payment_method": "pm_card_authenticationRequired",
                                         "confirm": True}, idem=unique_key("tds"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "requires_action", r.json)
        self.assertEqual(r.json["next_action"], {"type": "use_stripe_sdk", "redirect_url": None})
        self.assertNotIn("three_d_secure_redirect", r.body.decode())
        again = self.m.payment(r.json["id"])
        self.assertEqual(again["next_action"], r.json["next_action"])
        # Other payments carry none.
        self.assertIsNone(self.pay()["next_action"])

    def test_unclear_attempt_is_synced_with_exponential_backoff(self):
        p = self.pay("pm_fake_500")
        self.assertEqual(p["status"], "processing", p)
        att = p["attempts"][0]["id"]
        time.sleep(5.0 * SLOW)  # ~16 recovery rounds of 300 ms
        con = sqlite3.connect(f"file:{self.srv.db_path}?mode=ro", uri=True, timeout=10)
        try:
            count, next_at = con.execute(
                "SELECT sync_count, next_sync_at FROM payment_attempts WHERE id = ?",
                (att,)).fetchone()
        finally:
            con.close()
        # Syncs after ~0.3 s, then 1 s, 2 s, 4 s later: 2 to 4 in 5 s, not one per round.
        self.assertGreaterEqual(count, 2)
        self.assertLessEqual(count, 4 if SLOW == 1.0 else 6)
        self.assertGreater(next_at, int(time.time() * 1e6), "the next sync is in the future")
        calls = [x for x in self.fake.state()["requests"] if x["idempotency_key"] == att]
        self.assertLessEqual(len(calls), count + 1, calls)  # the call and one per sync
        self.assertEqual(self.m.payment(p["id"])["status"], "processing")

    def test_secret_key_never_in_logs_or_database_plaintext(self):
        self.pay()
        self.assertNotIn(SECRET_KEY, self.srv.log_text())
        with open(self.srv.db_path, "rb") as f:
            self.assertNotIn(SECRET_KEY.encode(), f.read())



def sign(payload: str, secret: str, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    sig = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={sig}"


class StripeSyncRestartTest(StripeCase):
    """The sync schedule is stored with the attempt: a restart does not sync it early."""

    def sync_state(self, attempt: str) -> tuple[int, int]:
        con = sqlite3.connect(f"file:{self.srv.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT sync_count, next_sync_at FROM payment_attempts "
                               "WHERE id = ?", (attempt,)).fetchone()
        finally:
            con.close()

    def test_a_restart_keeps_the_backoff_schedule(self):
        r = self.m.post("/v1/payments", {"amount": 700, "currency": "EUR",
                                         "payment_method": "pm_fake_500", "confirm": True},
                        idem=unique_key("restart"))
        self.assertEqual(r.json["status"], "processing", r.json)
        att = r.json["attempts"][0]["id"]
        deadline = time.time() + 20 * SLOW
        while self.sync_state(att)[0] < 3 and time.time() < deadline:
            time.sleep(0.2)
        count, next_at = self.sync_state(att)
        self.assertGreaterEqual(count, 3)
        # The next sync is ~8 s away; restart now and watch for 2 s, start-up pass included.
        self.assertGreater(next_at, int((time.time() + 3) * 1e6))
        self.srv.stop()
        self.srv.start()
        time.sleep(2.0)
        self.assertEqual(self.sync_state(att), (count, next_at), "not synced before it is due")
        self.assertEqual(self.m.payment(r.json["id"])["status"], "processing")


class StripeWebhookFloodTest(StripeCase):
    """A low per-IP limit (2/s, burst 4) so that a flood is quick to make."""

    RECOVERY_MS = "3600000"
    EXTRA_ARGS = ["--psp-webhook-rate-limit", "2"]

    def audit_rejections(self) -> int:
        con = sqlite3.connect(f"file:{self.srv.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT COUNT(*) FROM audit_log WHERE action = "
                               "'psp_webhook.rejected' AND target = ?",
                               (self.account,)).fetchone()[0]
        finally:
            con.close()

    def test_a_flood_of_forged_webhooks_gets_429_and_one_audit_record(self):
        before = self.audit_rejections()
        payload = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded"})
        conn = self.srv.connection("api")
        statuses, retry_after = [], []
        try:
            for _ in range(40):
                status, headers, body = self.srv.request(
                    "api", "POST", f"/psp-webhooks/{self.account}", body=payload, conn=conn,
                    headers={"Content-Type": "application/json",
                             "Stripe-Signature": sign(payload, "whsec_forged_secret")})
                statuses.append(status)
                if status == 429:
                    retry_after.append(headers.get("retry-after"))
                    self.assertEqual(json.loads(body)["error"]["code"], "rate_limited", body)
        finally:
            conn.close()
        self.assertEqual(statuses.count(400) + statuses.count(429), 40, statuses)
        self.assertGreaterEqual(statuses.count(429), 30, statuses)
        self.assertTrue(all(r and int(r) >= 1 for r in retry_after), retry_after)
        # One record per account, address and reason a minute, not one per request.
        self.assertEqual(self.audit_rejections() - before, 1)
        # An unknown account is refused by the limiter too, before any database read.
        status, headers, _ = self.srv.request("api", "POST", "/psp-webhooks/ca_unknown",
                                              body=payload)
        self.assertEqual(status, 429)
        status, _, metrics = self.srv.request("ops", "GET", "/metrics")
        self.assertRegex(metrics.decode(),
                         r'liasonpay_psp_webhooks_total\{outcome="rate_limited"\} [1-9]')


class StripeWebhookTest(StripeCase):
    """Without the recovery loop (a one-hour interval): only webhooks settle payments here."""

    RECOVERY_MS = "3600000"

    def processing_payment(self) -> dict:
        r = self.m.post("/v1/payments", {"amount": 4200, "currency": "EUR",
                                         "payment_method": "pm_fake_timeout", "confirm": True,
                                         "routing": {"connector_account": self.account}},
                        idem=unique_key("wh"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "processing", r.json)
        return r.json

    def event_for(self, payment: dict, type_: str) -> tuple[str, str]:
        """The (payload, Stripe-Signature) the fake signed for this payment's attempt."""
        attempt = payment["attempts"][0]["id"]
        for e in self.fake_events():
            ev = json.loads(e["payload"])
            obj = ev["data"]["object"]
            if ev["type"] == type_ and obj.get("metadata", {}).get("lp_attempt") == attempt:
                return e["payload"], e["stripe_signature"]
        self.fail(f"no {type_} event for {attempt}")

    def fake_events(self) -> list:
        with urllib.request.urlopen(self.fake.base_url + "/__fake/events", context=self.fake.ctx,
                                    timeout=10) as r:
            return json.loads(r.read())

    def post(self, payload: str, signature: str, account: str | None = None):
        status, headers, body = self.srv.request(
            "api", "POST", f"/psp-webhooks/{account or self.account}", body=payload,
            headers={"Content-Type": "application/json; charset=utf-8",
                     "Stripe-Signature": signature})
        return status, body

    def payment_events(self, pid: str) -> list:
        return [e["type"] for e in self.m.events_for(pid)]

    def test_webhook_settles_a_processing_payment_once(self):
        p = self.processing_payment()
        payload, sig = self.event_for(p, "payment_intent.succeeded")
        status, body = self.post(payload, sig)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"received": True})
        q = self.m.payment(p["id"])
        self.assertEqual(q["status"], "succeeded", q)
        self.assertEqual(q["amount_received"], 4200, q)
        self.assertEqual(q["attempts"][0]["status"], "succeeded", q)
        # Stripe resends until acknowledged: the same event again changes nothing.
        status, body = self.post(payload, sig)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.payment_events(p["id"]).count("payment.succeeded"), 1)
        # The merchant's idempotent retry of the create now replays the settled payment.
        self.assertEqual(self.m.payment(p["id"])["status"], "succeeded")

    def test_forged_signature_is_400_audited_counted_and_changes_nothing(self):
        p = self.processing_payment()
        payload, sig = self.event_for(p, "payment_intent.succeeded")
        forged = [
            ("another secret", payload, sign(payload, "whsec_not_the_accounts_secret")),
            ("tampered body", payload.replace("4200", "4201"), sig),
            ("stale timestamp", payload, sign(payload, WEBHOOK_SECRET, int(time.time()) - 3600)),
            ("no signature", payload, ""),
        ]
        for name, body_, sig_ in forged:
            with self.subTest(name):
                status, body = self.post(body_, sig_)
                self.assertEqual(status, 400, body)
                err = json.loads(body)["error"]
                self.assertEqual(err["code"], "webhook_signature_invalid", err)
                self.assertNotIn(WEBHOOK_SECRET, body.decode())
        self.assertEqual(self.m.payment(p["id"])["status"], "processing")
        con = sqlite3.connect(f"file:{self.srv.db_path}?mode=ro", uri=True, timeout=10)
        try:
            n = con.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'psp_webhook.rejected' "
                            "AND target = ? AND outcome = 'denied'", (self.account,)).fetchone()[0]
        finally:
            con.close()
        # Audited once per account, address and reason a minute (a flood cannot flood the audit
        # log); the log line and the counter below see every one.
        self.assertGreaterEqual(n, 1)
        status, _, metrics = self.srv.request("ops", "GET", "/metrics")
        self.assertEqual(status, 200)
        m = re.search(rb'liasonpay_psp_webhooks_total\{outcome="webhook_signature_invalid"\} (\d+)',
                      metrics)
        self.assertIsNotNone(m, metrics[-2000:])
        self.assertGreaterEqual(int(m.group(1)), len(forged))

    def test_an_event_never_moves_a_final_status_back(self):
        r = self.m.post("/v1/payments", {"amount": 900, "currency": "EUR",
                                         "payment_method": "pm_card_visa", "confirm": True,
                                         "routing": {"connector_account": self.account}},
                        idem=unique_key("wh"))
        self.assertEqual(r.json["status"], "succeeded", r.json)
        attempt = r.json["attempts"][0]["id"]
        failed = {"id": "evt_" + unique_key("late"), "object": "event", "livemode": False,
                  "created": int(time.time()), "type": "payment_intent.payment_failed",
                  "data": {"object": {
                      "id": r.json["psp_reference"], "object": "payment_intent", "amount": 900,
                      "currency": "eur", "status": "requires_payment_method", "livemode": False,
                      "metadata": {"lp_attempt": attempt, "lp_payment": r.json["id"]},
                      "last_payment_error": {"type": "card_error", "code": "card_declined",
                                             "decline_code": "generic_decline"}}}}
        payload = json.dumps(failed)
        status, body = self.post(payload, sign(payload, WEBHOOK_SECRET))
        self.assertEqual(status, 200, body)
        q = self.m.payment(r.json["id"])
        self.assertEqual(q["status"], "succeeded", q)
        self.assertNotIn("payment.failed", self.payment_events(r.json["id"]))

    def test_an_event_at_another_accounts_url_does_not_touch_this_accounts_payments(self):
        other_secret = "whsec_other_0123456789abcdef"
        other = self.add_account(other_secret)
        p = self.processing_payment()
        payload, _ = self.event_for(p, "payment_intent.succeeded")
        status, body = self.post(payload, sign(payload, other_secret), account=other)
        self.assertEqual(status, 200, body)  # verified for that account: acknowledged, unmatched
        self.assertEqual(self.m.payment(p["id"])["status"], "processing")

    def test_unknown_and_sandbox_accounts_are_404(self):
        status, body = self.post("{}", sign("{}", WEBHOOK_SECRET), account="ca_nope")
        self.assertEqual(status, 404, body)
        r = self.m.post("/v1/connector_accounts", {"connector": "sandbox"})
        self.assertEqual(r.status, 200, r)
        status, body = self.post("{}", sign("{}", WEBHOOK_SECRET), account=r.json["id"])
        self.assertEqual(status, 404, body)


if __name__ == "__main__":
    unittest.main()
