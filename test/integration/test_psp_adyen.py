"""Payments through the Adyen connector, end to end (issue 18, PRODUCT.md §2).

The real `liasonpay serve` reaches test/psp/fake_adyen.py (a small fake of Adyen's Checkout API
v71 with Adyen's idempotency and asynchronous modifications) over real TLS, trusted only through
`--psp-ca-file` (the throwaway CA of test_psp_stripe.make_pki). A merchant adds an Adyen
connector account (api_key, merchant_account, hmac_key; `options.return_url`) and pays with the
encrypted card fields Adyen's Web Components give it (`payment_method` as an object): authorise,
capture (the payment stays `processing`, its capture attempt unsettled, until Adyen's CAPTURE
notification), refund (`pending` until the REFUND notification). Notifications are HMAC-signed
by the fake with the account's hmac_key, posted to `POST /psp-webhooks/{account}` and answered
`[accepted]`; a forged signature is refused. The encrypted fields never appear in responses, logs
or the database. The recovery loop is off (one hour) so that only notifications settle.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.request

from harness import Server
from payments_helpers import dev_merchant, unique_key
from test_psp_stripe import make_pki

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "psp", "fake_adyen.py")
API_KEY = "AQE_fake_api_key_0123"
MERCHANT_ACCOUNT = "LiasonPayECOM"
HMAC_KEY = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00"
RETURN_URL = "https://shop.example/checkout/return"
# What Adyen's Web Components produce looks like "adyenjs_0_1_25$<base64>"; the fake reads the
# behaviour after the last "$". No digit runs that could look like a card number.
BLOB = "adyenjs_0_1_25$QWxhZGRpbjpvcGVuIHNlc2FtZQ+abcXYZ/encryptedPayloadOpaque"


def card(script: str) -> dict:
    return {"type": "scheme",
            "encryptedCardNumber": f"{BLOB}Number${script}",
            "encryptedExpiryMonth": f"{BLOB}Month",
            "encryptedExpiryYear": f"{BLOB}Year",
            "encryptedSecurityCode": f"{BLOB}Cvc"}


class FakeAdyen:
    def __init__(self, cert: str, key: str):
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--cert", cert, "--key", key, "--api-key", API_KEY,
             "--merchant-account", MERCHANT_ACCOUNT, "--hmac-key", HMAC_KEY],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise AssertionError(f"fake_adyen.py did not start: {line!r}")
        self.port = int(line.split()[1])
        self.ctx = ssl.create_default_context(cafile=cert.replace("leaf.pem", "ca.pem"))

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/v71"

    def get(self, path: str):
        with urllib.request.urlopen(f"https://127.0.0.1:{self.port}{path}", context=self.ctx,
                                    timeout=10) as r:
            return json.loads(r.read())

    def notification(self, event_code: str, **match) -> str:
        """The (signed) notification body the fake queued for this event."""
        for body in self.get("/__fake/notifications"):
            item = json.loads(body)["notificationItems"][0]["NotificationRequestItem"]
            if item["eventCode"] == event_code and all(item.get(k) == v for k, v in match.items()):
                return body
        raise AssertionError(f"no {event_code} notification matching {match}")

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


class AdyenEndToEndTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lp-it-adyen-")
        ca, cert, key = make_pki(cls.tmp)
        cls.fake = FakeAdyen(cert, key)
        cls.srv = Server(extra_args=["--psp-ca-file", ca, "--psp-timeout-ms", "1500",
                                     "--recovery-interval-ms", "3600000"])
        cls.m = dev_merchant(cls.srv)
        r = cls.m.post("/v1/connector_accounts", {
            "connector": "adyen", "base_url": cls.fake.base_url,
            "options": {"return_url": RETURN_URL},
            "credentials": {"api_key": API_KEY, "merchant_account": MERCHANT_ACCOUNT,
                            "hmac_key": HMAC_KEY}})
        assert r.status == 200, r
        assert r.json["options"] == {"return_url": RETURN_URL}, r.json
        cls.account = r.json["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def pay(self, script="fake-authorised", **fields):
        body = {"amount": 2500, "currency": "EUR", "payment_method": card(script),
                "confirm": True}
        body.update(fields)
        r = self.m.post("/v1/payments", body, idem=unique_key("adyen"))
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("encrypted", r.body.decode())
        return r.json

    def notify(self, body: str):
        status, headers, data = self.srv.request(
            "api", "POST", f"/psp-webhooks/{self.account}", body=body,
            headers={"Content-Type": "application/json"})
        return status, headers, data

    def requests_to(self, suffix: str) -> list:
        return [x for x in self.fake.get("/__fake/state")["requests"]
                if x["path"].endswith(suffix)]

    def test_authorise_capture_refund_settled_by_signed_notifications(self):
        p = self.pay(capture_method="manual")
        self.assertEqual(p["status"], "requires_capture", p)
        self.assertEqual(p["connector"], "adyen", p)
        self.assertEqual(p["payment_method"], {"type": "scheme"}, p)
        sent = json.loads(self.requests_to("/v71/payments")[-1]["body"])
        self.assertEqual(sent["returnUrl"], RETURN_URL)
        self.assertEqual(sent["reference"], p["attempts"][0]["id"])
        self.assertTrue(sent["paymentMethod"]["encryptedCardNumber"].endswith("fake-authorised"))
        auth = self.fake.notification("AUTHORISATION", pspReference=p["psp_reference"])
        status, headers, data = self.notify(auth)
        self.assertEqual((status, data), (200, b"[accepted]"))
        self.assertEqual(self.m.payment(p["id"])["status"], "requires_capture")

        # Capture: Adyen answers "received"; the payment waits for the CAPTURE notification.
        c = self.m.post(f"/v1/payments/{p['id']}/capture", {"amount_to_capture": 2000},
                        idem=unique_key("cap"))
        self.assertEqual(c.status, 200, c)
        self.assertEqual(c.json["status"], "processing", c.json)
        cap = c.json["attempts"][-1]
        self.assertEqual((cap["operation"], cap["status"]), ("capture", "processing"), cap)
        self.assertEqual(self.m.payment(p["id"])["status"], "processing")
        body = self.fake.notification("CAPTURE", originalReference=p["psp_reference"])
        status, _, data = self.notify(body)
        self.assertEqual((status, data), (200, b"[accepted]"))
        q = self.m.payment(p["id"])
        self.assertEqual(q["status"], "succeeded", q)
        self.assertEqual(q["amount_received"], 2000, q)
        self.assertEqual(q["attempts"][-1]["status"], "succeeded", q)
        # Resent by Adyen: acknowledged, nothing changes twice.
        status, _, data = self.notify(body)
        self.assertEqual((status, data), (200, b"[accepted]"))
        self.assertEqual([e["type"] for e in self.m.events_for(p["id"])].count("payment.captured"),
                         1)

        # Refund: pending until the REFUND notification; the reason goes to Adyen.
        rf = self.m.post("/v1/refunds", {"payment": p["id"], "amount": 500, "reason": "fraudulent"},
                         idem=unique_key("ref"))
        self.assertEqual(rf.status, 200, rf)
        self.assertEqual(rf.json["status"], "pending", rf.json)
        sent = json.loads(self.requests_to(f"/payments/{p['psp_reference']}/refunds")[-1]["body"])
        self.assertEqual(sent["merchantRefundReason"], "FRAUD", sent)
        self.assertEqual(sent["reference"], rf.json["id"], sent)
        body = self.fake.notification("REFUND", originalReference=p["psp_reference"])
        status, _, data = self.notify(body)
        self.assertEqual((status, data), (200, b"[accepted]"))
        g = self.m.get(f"/v1/refunds/{rf.json['id']}")
        self.assertEqual(g.json["status"], "succeeded", g.json)
        self.assertEqual(self.m.payment(p["id"])["amount_refunded"], 500)

    def test_automatic_capture_succeeds_and_refusals_keep_adyens_reason(self):
        p = self.pay()
        self.assertEqual(p["status"], "succeeded", p)
        self.assertEqual(p["amount_received"], 2500, p)
        f = self.pay("fake-refused-12")
        self.assertEqual(f["status"], "failed", f)
        self.assertEqual(f["last_error"]["decline_code"], "insufficient_funds", f)

    def test_redirect_is_requires_action_with_the_redirect_url_only(self):
        p = self.pay("fake-redirect", return_url="https://shop.example/other-return")
        self.assertEqual(p["status"], "requires_action", p)
        self.assertEqual(p["next_action"],
                         {"type": "redirect",
                          "redirect_url": "https://checkoutshopper-test.adyen.com/threeDS/redirect"})
        sent = json.loads(self.requests_to("/v71/payments")[-1]["body"])
        self.assertEqual(sent["returnUrl"], "https://shop.example/other-return")

    def test_forged_notification_is_refused_and_changes_nothing(self):
        p = self.pay(capture_method="manual")
        c = self.m.post(f"/v1/payments/{p['id']}/capture", {}, idem=unique_key("cap"))
        self.assertEqual(c.json["status"], "processing", c.json)
        body = self.fake.notification("CAPTURE", originalReference=p["psp_reference"])
        forged = body.replace('"success": "true"', '"success": "false"')
        self.assertNotEqual(forged, body)
        status, _, data = self.notify(forged)
        self.assertEqual(status, 400, data)
        self.assertEqual(json.loads(data)["error"]["code"], "webhook_signature_invalid")
        self.assertEqual(self.m.payment(p["id"])["status"], "processing")

    def test_card_object_is_validated_and_an_adyen_payment_needs_a_return_url(self):
        bad = card("fake-authorised")
        bad["number"] = "raw"
        r = self.m.post("/v1/payments", {"amount": 100, "currency": "EUR", "payment_method": bad,
                                         "confirm": True}, idem=unique_key("bad"))
        self.assertEqual((r.status, r.error["param"]), (400, "payment_method.number"), r)
        missing = card("fake-authorised")
        del missing["encryptedExpiryYear"]
        r = self.m.post("/v1/payments", {"amount": 100, "currency": "EUR",
                                         "payment_method": missing, "confirm": True},
                        idem=unique_key("bad"))
        self.assertEqual((r.status, r.error["param"]),
                         (400, "payment_method.encryptedExpiryYear"), r)
        other = self.m.post("/v1/connector_accounts", {
            "connector": "adyen", "base_url": self.fake.base_url,
            "credentials": {"api_key": API_KEY, "merchant_account": MERCHANT_ACCOUNT,
                            "hmac_key": HMAC_KEY}})
        self.assertEqual(other.status, 200, other)
        before = len(self.requests_to("/v71/payments"))
        r = self.m.post("/v1/payments", {"amount": 100, "currency": "EUR",
                                         "payment_method": card("fake-authorised"),
                                         "confirm": True,
                                         "routing": {"connector_account": other.json["id"]}},
                        idem=unique_key("nourl"))
        self.assertEqual((r.status, r.error["code"], r.error["param"]),
                         (400, "parameter_missing", "return_url"), r)
        self.assertEqual(len(self.requests_to("/v71/payments")), before, "nothing sent")
        # A later confirmation must bring the encrypted card again (it is never stored).
        created = self.m.post("/v1/payments", {"amount": 100, "currency": "EUR",
                                               "payment_method": card("fake-authorised")},
                              idem=unique_key("later"))
        self.assertEqual(created.status, 200, created)
        self.assertEqual(created.json["status"], "requires_confirmation", created.json)
        r = self.m.post(f"/v1/payments/{created.json['id']}/confirm", {}, idem=unique_key("conf"))
        self.assertEqual((r.status, r.error["param"]), (400, "payment_method"), r)
        r = self.m.post(f"/v1/payments/{created.json['id']}/confirm",
                        {"payment_method": card("fake-authorised")}, idem=unique_key("conf"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "succeeded", r.json)

    def test_a_card_number_in_an_encrypted_field_is_refused_as_a_pan(self):
        # The PAN detector keeps watching these fields: a raw number is not an encrypted blob.
        pan = "-".join(["4242"] * 4)
        bad = card("fake-authorised")
        bad["encryptedCardNumber"] = pan
        before = len(self.requests_to("/v71/payments"))
        r = self.m.post("/v1/payments", {"amount": 100, "currency": "EUR", "payment_method": bad,
                                         "confirm": True}, idem=unique_key("pan"))
        self.assertEqual((r.status, r.error["code"]), (400, "pan_detected"), r)
        self.assertNotIn(pan, r.body.decode())
        self.assertEqual(len(self.requests_to("/v71/payments")), before, "nothing sent")
        self.assertNotIn(pan, self.srv.log_text())

    def test_encrypted_fields_never_in_logs_or_database(self):
        self.pay()
        self.assertNotIn("encryptedPayloadOpaque", self.srv.log_text())
        self.assertNotIn(API_KEY, self.srv.log_text())
        with open(self.srv.db_path, "rb") as f:
            data = f.read()
        self.assertNotIn(b"encryptedPayloadOpaque", data)
        self.assertNotIn(API_KEY.encode(), data)
        con = sqlite3.connect(f"file:{self.srv.db_path}?mode=ro", uri=True, timeout=10)
        try:
            methods = {r[0] for r in con.execute(
                "SELECT payment_method FROM payments WHERE connector = 'adyen'")}
        finally:
            con.close()
        self.assertEqual(methods, {'{"type":"scheme"}'})


if __name__ == "__main__":
    unittest.main()
