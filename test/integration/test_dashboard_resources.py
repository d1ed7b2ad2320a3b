"""The dashboard's merchant resources over real HTTPS (docs/dashboard-api.md §5, §2 "Masking",
§6 invitations; docs/webhooks.md `user.invited`): the /v1 bodies through a session, a person's
capture and refund audited as `actor_type` user, a user's Idempotency-Key scoped to that user,
PII masked for a role without pii:read, the API-key allowlist PATCH, an endpoint's deliveries,
the merchant itself, and the `user.invited` webhook whose invite_url is only in the signed
delivery."""

from __future__ import annotations

import json
import os
import time
import unittest

import harness
from people_helpers import Person, strong_password
from webhook_receiver import WebhookReceiver


class DashboardResourcesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()
        creds = cls.srv.credentials()
        cls.merchant = creds["merchant_id"]
        cls.key = creds["api_key"]
        cls.owner = Person(cls.srv)
        s, _, b = cls.owner.sign_in(creds["dashboard_user"]["email"],
                                    creds["dashboard_user"]["password"])
        assert s == 200, b
        cls.owner.enroll()
        cls.people = {}
        for role in ("developer", "support"):
            s, _, inv = cls.owner.call("POST", f"/merchants/{cls.merchant}/invitations",
                                       {"email": f"{role}@resources.example", "role": role})
            assert s == 200, inv
            p = Person(cls.srv)
            s, _, b = p.call("POST", "/invitations/accept",
                             {"token": inv["invite_url"].split("#", 1)[1],
                              "password": strong_password()})
            assert s == 200, b
            cls.people[role] = p
        cls.base = f"/merchants/{cls.merchant}"

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def v1(self, method, path, body=None):
        s, _, raw = self.srv.request("api", method, path, body=body,
                                     headers={"Authorization": f"Bearer {self.key}"})
        return s, json.loads(raw)

    def manual_payment(self, amount=1500, **extra):
        s, b = self.v1("POST", "/v1/payments",
                       {"amount": amount, "currency": "EUR", "payment_method": "tok_visa",
                        "confirm": True, "capture_method": "manual", **extra})
        self.assertEqual((s, b["status"]), (200, "requires_capture"), b)
        return b

    def audit(self):
        r = harness.run_cli(["audit", "export", "--data-dir", self.srv.data_dir])
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def user_id(self, person: Person) -> str:
        s, _, me = person.call("GET", "/me")
        self.assertEqual(s, 200, me)
        return me["user"]["id"]

    def test_payment_detail_and_list_are_the_v1_bodies(self):
        pay = self.manual_payment(description="Order for Jane Roe")
        s, _, b = self.owner.call("GET", f"{self.base}/payments/{pay['id']}")
        _, v1 = self.v1("GET", f"/v1/payments/{pay['id']}")
        self.assertEqual((s, b), (200, v1))
        s, _, lst = self.owner.call("GET", f"{self.base}/payments?limit=2")
        _, v1l = self.v1("GET", "/v1/payments?limit=2")
        self.assertEqual((s, lst), (200, v1l))
        # /v1 validation, unchanged: an unknown query parameter and a bad status.
        s, _, b = self.owner.call("GET", f"{self.base}/payments?colour=red")
        self.assertEqual((s, b["error"]["code"]), (400, "parameter_unknown"), b)
        s, _, b = self.owner.call("GET", f"{self.base}/payments?status=nope")
        self.assertEqual((s, b["error"]["param"]), (400, "status"), b)

    def test_capture_and_refund_by_a_person_are_audited_as_that_user(self):
        dev = self.people["developer"]
        pay = self.manual_payment()
        s, _, b = dev.call("POST", f"{self.base}/payments/{pay['id']}/capture",
                           {"amount_to_capture": 1000})
        self.assertEqual((s, b["status"]), (200, "succeeded"), b)
        s, _, r = dev.call("POST", f"{self.base}/refunds", {"payment": pay["id"], "amount": 300})
        self.assertEqual((s, r["status"]), (200, "succeeded"), r)
        s, _, got = dev.call("GET", f"{self.base}/refunds/{r['id']}")
        self.assertEqual((s, got["amount"]), (200, 300), got)
        uid = self.user_id(dev)
        rows = {(x["action"], x["target"]): x for x in self.audit()}
        cap = rows[("payment.capture", pay["id"])]
        ref = rows[("refund.create", r["id"])]
        for row in (cap, ref):
            self.assertEqual((row["actor_type"], row["actor_id"], row["merchant_id"],
                              row["outcome"]), ("user", uid, self.merchant, "success"), row)
        # An API key's own capture is not a person's action: no payment.capture record.
        pay2 = self.manual_payment()
        s, b = self.v1("POST", f"/v1/payments/{pay2['id']}/capture", {})
        self.assertEqual(s, 200, b)
        self.assertNotIn(("payment.capture", pay2["id"]),
                         {(x["action"], x["target"]) for x in self.audit()})

    def test_a_users_idempotency_key_replays_for_that_user_only(self):
        pay = self.manual_payment()
        s, _, b = self.owner.call("POST", f"{self.base}/payments/{pay['id']}/capture", {})
        self.assertEqual(s, 200, b)
        hdr = {"Idempotency-Key": "dashboard-refund-form-submission"}
        s, h1, r1 = self.owner.call("POST", f"{self.base}/refunds",
                                    {"payment": pay["id"], "amount": 100}, headers=hdr)
        self.assertEqual(s, 200, r1)
        s, _, r2 = self.owner.call("POST", f"{self.base}/refunds",
                                   {"payment": pay["id"], "amount": 100}, headers=hdr)
        self.assertEqual((s, r2["id"]), (200, r1["id"]), "a double click refunds once")
        s, _, r3 = self.people["developer"].call(
            "POST", f"{self.base}/refunds", {"payment": pay["id"], "amount": 100}, headers=hdr)
        self.assertEqual(s, 200, r3)
        self.assertNotEqual(r3["id"], r1["id"], "another user's key is another key")
        _, v1 = self.v1("GET", f"/v1/payments/{pay['id']}")
        self.assertEqual(v1["amount_refunded"], 200)

    def test_support_sees_personal_data_masked_and_the_same_shape(self):
        pay = self.manual_payment(description="Gift for Jane Roe",
                                  metadata={"customer_name": "Jane Roe"})
        s, _, full = self.people["developer"].call("GET", f"{self.base}/payments/{pay['id']}")
        self.assertEqual((s, full["description"], full["metadata"]),
                         (200, "Gift for Jane Roe", {"customer_name": "Jane Roe"}))
        s, _, masked = self.people["support"].call("GET", f"{self.base}/payments/{pay['id']}")
        self.assertEqual(s, 200, masked)
        self.assertEqual(masked["description"], "•••")
        self.assertEqual(masked["metadata"], {"customer_name": "•••"})
        self.assertEqual(set(masked), set(full))
        self.assertEqual(masked["amount"], full["amount"])
        s, _, lst = self.people["support"].call("GET", f"{self.base}/payments?limit=100")
        [row] = [p for p in lst["data"] if p["id"] == pay["id"]]
        self.assertEqual(row["description"], "•••")
        s, _, users = self.people["support"].call("GET", f"{self.base}/users")
        self.assertTrue(all("•••@" in u["email"] for u in users["data"]), users)
        # Support cannot act: refunds need refunds:write.
        s, _, b = self.people["support"].call("POST", f"{self.base}/refunds",
                                              {"payment": pay["id"]})
        self.assertEqual((s, b["error"]["code"]), (403, "permission_denied"), b)
        # The refusal is audited (written without delaying the answer: poll briefly).
        uid = self.user_id(self.people["support"])
        deadline = time.monotonic() + 5
        while True:
            rows = [x for x in self.audit() if x["action"] == "security.permission_denied"
                    and x["actor_id"] == uid]
            if rows or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertTrue(rows, "no security.permission_denied record")
        self.assertEqual((rows[0]["actor_type"], rows[0]["merchant_id"], rows[0]["outcome"]),
                         ("user", self.merchant, "denied"))

    def test_api_key_allowlist_patch_is_validated_and_audited(self):
        s, _, k = self.owner.call("POST", f"{self.base}/api_keys", {"type": "secret"})
        self.assertEqual(s, 200, k)
        kid = k["id"]
        s, _, b = self.owner.call("PATCH", f"{self.base}/api_keys/{kid}",
                                  {"allowed_cidrs": ["203.0.113.0/24", "not-a-cidr"]})
        self.assertEqual((s, b["error"]["param"]), (400, "allowed_cidrs[1]"), b)
        s, _, b = self.owner.call("PATCH", f"{self.base}/api_keys/{kid}",
                                  {"allowed_cidrs": ["203.0.113.0/24"]})
        self.assertEqual((s, b["allowed_cidrs"]), (200, ["203.0.113.0/24"]), b)
        self.assertNotIn("secret", b)
        # The key now refuses the loopback address the test calls from.
        s, _, raw = self.srv.request("api", "GET", "/v1/payments",
                                     headers={"Authorization": f"Bearer {k['secret']}"})
        self.assertEqual(s, 403, raw)
        rows = [x for x in self.audit() if x["action"] == "api_key.update" and x["target"] == kid]
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0]["actor_type"], rows[0]["actor_id"]),
                         ("user", self.user_id(self.owner)))
        s, _, b = self.owner.call("DELETE", f"{self.base}/api_keys/{kid}")
        self.assertEqual((s, b["status"]), (200, "revoked"), b)

    def test_the_merchant_itself_and_its_rename(self):
        s, _, m = self.owner.call("GET", self.base)
        self.assertEqual((s, m["object"], m["id"], m["frozen"]), (200, "merchant", self.merchant,
                                                                  False), m)
        s, _, b = self.owner.call("PATCH", self.base, {"name": ""})
        self.assertEqual((s, b["error"]["param"]), (400, "name"), b)
        s, _, b = self.owner.call("PATCH", self.base, {"name": "Renamed merchant"})
        self.assertEqual((s, b["name"]), (200, "Renamed merchant"), b)
        s, _, b = self.owner.call("PATCH", self.base, {"name": m["name"]})
        self.assertEqual(s, 200, b)
        self.assertIn("merchant.update", {x["action"] for x in self.audit()})

    def test_a_frozen_merchant_answers_403_merchant_frozen_on_its_resources(self):
        creds = self.srv.credentials()
        op = Person(self.srv, "ops")
        s, _, b = op.sign_in(creds["operator"]["email"], creds["operator"]["password"])
        self.assertEqual(s, 200, b)
        op.enroll()
        s, _, b = op.call("POST", f"/merchants/{self.merchant}/freeze", {"reason": "chargebacks"})
        self.assertEqual((s, b["frozen"]), (200, True), b)
        try:
            for method, path in (("GET", "/payments"), ("GET", "/api_keys"), ("GET", ""),
                                 ("POST", "/refunds")):
                s, _, b = self.owner.call(method, self.base + path,
                                          {} if method == "POST" else None)
                self.assertEqual((s, b["error"]["code"]), (403, "merchant_frozen"), (path, b))
        finally:
            s, _, b = op.call("POST", f"/merchants/{self.merchant}/unfreeze", {"reason": "cleared"})
            self.assertEqual((s, b["frozen"]), (200, False), b)
        s, _, b = self.owner.call("GET", self.base + "/payments")
        self.assertEqual(s, 200, b)

    def test_user_invited_webhook_carries_the_link_and_the_events_api_does_not(self):
        with WebhookReceiver() as rx:
            s, _, ep = self.owner.call("POST", f"{self.base}/webhook_endpoints?mode=live",
                                       {"url": rx.url(), "enabled_events": ["user.invited"]})
            self.assertEqual((s, ep["livemode"]), (200, True), ep)
            s, _, inv = self.owner.call("POST", f"{self.base}/invitations",
                                        {"email": "sam@resources.example", "role": "analyst"})
            self.assertEqual(s, 200, inv)
            got = rx.wait_for(lambda reqs: [r for r in reqs if b"user.invited" in r.body])
            self.assertTrue(got, "no user.invited webhook")
            event = json.loads(got[0].body)
            self.assertEqual((event["type"], event["livemode"]), ("user.invited", True))
            obj = event["data"]["object"]
            self.assertEqual((obj["id"], obj["email"], obj["role"]["id"], obj["merchant"]),
                             (inv["id"], "sam@resources.example", "analyst", self.merchant))
            self.assertEqual(obj["invite_url"], inv["invite_url"])
            # Through the API the link is gone (events:read is not users:write).
            for who in (self.owner, self.people["support"]):
                s, _, e = who.call("GET", f"{self.base}/events/{event['id']}?mode=live")
                self.assertEqual(s, 200, e)
                self.assertIsNone(e["data"]["object"]["invite_url"])
            s, _, lst = self.owner.call("GET",
                                        f"{self.base}/events?mode=live&type=user.invited")
            self.assertTrue(lst["data"])
            self.assertTrue(all(e["data"]["object"]["invite_url"] is None for e in lst["data"]))
            token = inv["invite_url"].split("#", 1)[1]
            self.assertNotIn(token, self.srv.log_text())
            # Nor is it in the database in clear (database and WAL files): the delivered body
            # is sealed (events.data_sealed).
            for path in (self.srv.db_path, self.srv.db_path + "-wal"):
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        self.assertNotIn(token.encode(), f.read(), path)
            # The endpoint's deliveries (dashboard only), newest first.
            s, _, d = self.owner.call(
                "GET", f"{self.base}/webhook_endpoints/{ep['id']}/deliveries?mode=live")
            self.assertEqual(s, 200, d)
            self.assertEqual(d["url"], f"/dashboard/api/merchants/{self.merchant}"
                                       f"/webhook_endpoints/{ep['id']}/deliveries")
            self.assertIn(event["id"], [x["event"] for x in d["data"]])
            s, _, d = self.owner.call(
                "GET", f"{self.base}/webhook_endpoints/{ep['id']}/deliveries?mode=live"
                       "&status=bogus")
            self.assertEqual((s, d["error"]["param"]), (400, "status"), d)
            # The endpoint is live-mode: in test mode it does not exist.
            s, _, d = self.owner.call("GET", f"{self.base}/webhook_endpoints/{ep['id']}")
            self.assertEqual(s, 404, d)
            s, _, b = self.owner.call("DELETE", f"{self.base}/webhook_endpoints/{ep['id']}"
                                                "?mode=live")
            self.assertEqual(s, 200, b)


if __name__ == "__main__":
    unittest.main()
