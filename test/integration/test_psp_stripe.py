"""Payments through the Stripe connector, end to end (issue 18, PRODUCT.md §2).

The real `liasonpay serve` reaches test/psp/fake_stripe.py (a small fake of Stripe's
PaymentIntents/Refunds API, with Stripe's idempotency semantics) over real TLS: the fake's
certificate is issued by a throwaway CA made here with `openssl`, which the server trusts only
through `--psp-ca-file` (certificate and host-name verification stay on). A merchant adds a Stripe
connector account in test mode with its credentials (sealed at rest) and takes, captures, cancels
and refunds payments through it; declines keep Stripe's decline codes; a PSP that never answers
leaves the payment `processing` until the recovery sync settles it from the PSP's record, charged
once; a wrong secret key fails the payment as `connector_authentication_failed`, not as a decline.

Not covered here: Adyen end to end (its payment method is an encrypted-card object the API does
not take yet), inbound PSP webhooks (not wired yet); both are tested at the connector level in
test/psp/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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


class StripeConnectorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lp-it-stripe-")
        ca, cert, key = make_pki(cls.tmp)
        cls.fake = FakeStripe(cert, key)
        cls.srv = Server(extra_args=["--psp-ca-file", ca, "--psp-timeout-ms", "1500",
                                     "--recovery-interval-ms", "300"])
        cls.m = dev_merchant(cls.srv)
        r = cls.m.post("/v1/connector_accounts", {
            "connector": "stripe", "label": "Stripe (test)", "base_url": cls.fake.base_url,
            "credentials": {"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}})
        assert r.status == 200, r
        cls.account = r.json["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

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

    def test_wrong_secret_key_is_connector_authentication_failed_not_a_decline(self):
        r = self.m.post("/v1/connector_accounts", {
            "connector": "stripe", "label": "Stripe (wrong key)", "base_url": self.fake.base_url,
            "credentials": {"secret_key": "sk_test_wrong_0123456789abcdef",
                            "webhook_secret": WEBHOOK_SECRET}})
        self.assertEqual(r.status, 200, r)
        p = self.pay(routing={"connector_account": r.json["id"]})
        self.assertEqual(p["status"], "failed", p)
        self.assertEqual(p["last_error"]["code"], "connector_authentication_failed", p)
        self.assertFalse(p["last_error"].get("decline_code"), p)
        self.assertIn("Stripe", p["last_error"]["message"], p)

    def test_secret_key_never_in_logs_or_database_plaintext(self):
        self.pay()
        self.assertNotIn(SECRET_KEY, self.srv.log_text())
        with open(self.srv.db_path, "rb") as f:
            self.assertNotIn(SECRET_KEY.encode(), f.read())


if __name__ == "__main__":
    unittest.main()
