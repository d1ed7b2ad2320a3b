"""Incident containment tools (issue 16): operators revoke a merchant's API keys and sessions,
suspend a connector account and rotate a merchant's webhook secrets, over the ops API
(platform_admin, merchants:write, step-up) and with `liasonpay incident …` on the host. Every
action is audited (actor_type operator, the reason in the details) and the chain stays intact.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import sqlite3
import string
import time
import unittest

import harness
from payments_helpers import Merchant, new_merchant
from people_helpers import Person
from webhook_receiver import WebhookReceiver


def letters(n: int = 10) -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))


def sign(secret: str, msg_id: str, ts: str, body: bytes) -> str:
    b64 = secret[len("whsec_"):]
    key = base64.b64decode(b64 + "=" * (-len(b64) % 4))
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


ROUTES = [
    "/merchants/{m}/api_keys/revoke",
    "/merchants/{m}/sessions/revoke",
    "/users/{u}/sessions/revoke",
    "/connector_accounts/{a}/suspend",
    "/connector_accounts/{a}/enable",
    "/merchants/{m}/webhook_endpoints/rotate_secrets",
]


class IncidentToolsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()
        creds = cls.srv.credentials()
        cls.a = creds["merchant_id"]
        cls.srv.stop()
        data = ["--data-dir", cls.srv.data_dir]
        ops = {}
        for role in ("security_auditor", "support"):
            email = f"{role.replace('_', '-')}-{letters()}@ops.example"
            r = harness.run_cli(["operator", "create", "--email", email, "--role", role, *data])
            assert r.returncode == 0, r.stderr
            ops[role] = json.loads(r.stdout)
        cls.srv.start()
        creds = cls.srv.credentials()
        cls.creds = creds
        cls.op = Person(cls.srv, "ops")
        s, _, b = cls.op.sign_in(creds["operator"]["email"], creds["operator"]["password"])
        assert s == 200, b
        cls.op_recovery = []
        if b["mfa"] == "enroll":
            _, cls.op_recovery = cls.op.enroll()
        cls.others = {}
        for role, account in ops.items():
            p = Person(cls.srv, "ops")
            s, _, b = p.sign_in(account["email"], account["password"])
            assert s == 200 and b["mfa"] == "enroll", b
            p.enroll()
            cls.others[role] = p
        # The dev merchant's owner, signed in on the dashboard.
        cls.owner = Person(cls.srv)
        s, _, b = cls.owner.sign_in(creds["dashboard_user"]["email"],
                                    creds["dashboard_user"]["password"])
        assert s == 200, b
        cls.owner_recovery = []
        if b["mfa"] == "enroll":
            _, cls.owner_recovery = cls.owner.enroll()
        s, _, me = cls.owner.call("GET", "/me")
        assert s == 200, me
        cls.owner_id = me["user"]["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    # ---- helpers ----

    def cli(self, *args) -> tuple[int, str, str]:
        r = harness.run_cli(["incident", *args, "--data-dir", self.srv.data_dir])
        return r.returncode, r.stdout, r.stderr

    def contain(self, path: str, reason="INC-16: drill", person: Person | None = None):
        return (person or self.op).call("POST", path, {"reason": reason})

    def audit_records(self, action: str) -> list[dict]:
        r = harness.run_cli(["audit", "export", "--data-dir", self.srv.data_dir])
        self.assertEqual(r.returncode, 0, r.stderr)
        return [x for x in map(json.loads, r.stdout.splitlines()) if x["action"] == action]

    def sandbox_account(self, m: Merchant) -> str:
        r = m.get("/v1/connector_accounts")
        self.assertEqual(r.status, 200, r)
        ids = [a["id"] for a in r.json["data"] if a["connector"] == "sandbox"]
        self.assertTrue(ids, r.json)
        return ids[0]

    def sign_owner_in_again(self):
        self.owner.cookie = None
        s, _, b = self.owner.sign_in(self.creds["dashboard_user"]["email"],
                                     self.creds["dashboard_user"]["password"])
        self.assertEqual(s, 200, b)
        s, _, b = self.owner.call("POST", "/sessions/mfa",
                                  {"recovery_code": self.owner_recovery.pop()})
        self.assertEqual(s, 200, b)
        self.assertEqual(self.owner.call("GET", "/me")[0], 200)

    def wait_401(self, m: Merchant, timeout=6.0) -> float:
        """Seconds until the key is refused with 401 (a CLI change: the other process' cache)."""
        start = time.monotonic()
        while True:
            r = m.get("/v1/payments?limit=1")
            if r.status == 401:
                return time.monotonic() - start
            self.assertEqual(r.status, 200, r)
            self.assertLess(time.monotonic() - start, timeout, "key still accepted")
            time.sleep(0.2)

    # ---- the runs (in order) ----

    def test_1_refused_without_the_permission_or_the_step_up(self):
        paths = [p.format(m=self.a, u=self.owner_id, a="mca_x") for p in ROUTES]
        for role, person in self.others.items():
            for path in paths:
                s, _, b = self.contain(path, person=person)
                self.assertEqual((s, b["error"]["code"]), (403, "permission_denied"),
                                 (role, path, b))
        # Step-up older than 5 minutes: age this session's reauthentication in the database.
        with sqlite3.connect(self.srv.db_path, timeout=10) as db:
            db.execute("UPDATE sessions SET reauthenticated_at = reauthenticated_at - 600000000 "
                       "WHERE kind = 'operator' AND revoked_at IS NULL")
        for path in paths:
            s, _, b = self.contain(path)
            self.assertEqual((s, b["error"]["code"]), (401, "reauthentication_required"),
                             (path, b))
        # Nothing changed: the merchant's key still works.
        key_a = Merchant(self.srv, self.creds["api_key"], self.a)
        self.assertEqual(key_a.get("/v1/payments?limit=1").status, 200)
        self.assertTrue(self.op_recovery, "the operator enrolled in this test")
        s, _, b = self.op.call("POST", "/sessions/current/reauthenticate",
                               {"password": self.creds["operator"]["password"],
                                "recovery_code": self.op_recovery.pop()})
        self.assertEqual(s, 200, b)
        # The reason is required, 1–500 characters; unknown targets are 404.
        s, _, b = self.op.call("POST", f"/merchants/{self.a}/api_keys/revoke", {})
        self.assertEqual((s, b["error"]["param"]), (400, "reason"), b)
        s, _, b = self.contain(f"/merchants/{self.a}/api_keys/revoke", reason="x" * 501)
        self.assertEqual((s, b["error"]["param"]), (400, "reason"), b)
        s, _, b = self.contain("/merchants/mer_nosuchmerchant/api_keys/revoke")
        self.assertEqual(s, 404, b)
        s, _, b = self.contain("/connector_accounts/mca_nosuchaccount/suspend")
        self.assertEqual(s, 404, b)
        s, _, b = self.contain("/users/usr_nosuchuser/sessions/revoke")
        self.assertEqual(s, 404, b)
        self.assertEqual(self.audit_records("incident.api_keys_revoke"), [])

    def test_2_revoke_keys_over_the_ops_api_is_immediate(self):
        m = new_merchant(self.srv, "Keys ops")
        r = m.post("/v1/api_keys", {"type": "restricted", "scopes": ["payments:read"]})
        self.assertEqual(r.status, 200, r)
        extra = Merchant(self.srv, r.json["secret"], m.merchant_id)
        for k in (m, extra):
            self.assertEqual(k.get("/v1/payments?limit=1").status, 200)
        s, _, b = self.contain(f"/merchants/{m.merchant_id}/api_keys/revoke", "INC-16: leaked")
        self.assertEqual(s, 200, b)
        self.assertEqual(b["action"], "incident.api_keys_revoke")
        self.assertGreaterEqual(b["revoked"], 2)
        self.assertIn(r.json["id"], b["api_keys"])
        # This node dropped its cache: refused at once.
        for k in (m, extra):
            r2 = k.get("/v1/payments?limit=1")
            self.assertEqual(r2.status, 401, r2)
        s, _, b = self.contain(f"/merchants/{m.merchant_id}/api_keys/revoke", "again")
        self.assertEqual((s, b["revoked"]), (200, 0), b)
        rec = [x for x in self.audit_records("incident.api_keys_revoke")
               if x["merchant_id"] == m.merchant_id]
        self.assertEqual(len(rec), 2, rec)
        self.assertEqual(rec[0]["actor_type"], "operator")
        self.assertTrue(rec[0]["actor_id"].startswith("opr_"), rec[0])
        self.assertEqual(rec[0]["details"]["reason"], "INC-16: leaked")
        self.assertEqual(rec[0]["details"]["via"], "ops_api")

    def test_3_revoke_keys_from_the_command_line_within_the_cache_ttl(self):
        m = new_merchant(self.srv, "Keys cli")
        self.assertEqual(m.get("/v1/payments?limit=1").status, 200)
        rc, out, err = self.cli("revoke-keys", m.merchant_id, "--reason", "INC-16: cli")
        self.assertEqual(rc, 0, err)
        self.assertGreaterEqual(json.loads(out)["revoked"], 1)
        self.assertLess(self.wait_401(m), 6.0)
        rec = [x for x in self.audit_records("incident.api_keys_revoke")
               if x["merchant_id"] == m.merchant_id]
        self.assertEqual(len(rec), 1)
        self.assertTrue(rec[0]["actor_id"].startswith("cli:"), rec[0])
        self.assertEqual(rec[0]["details"]["via"], "cli")
        rc, _, _ = self.cli("revoke-keys", "mer_nosuchmerchant", "--reason", "x")
        self.assertNotEqual(rc, 0)
        rc, _, _ = self.cli("revoke-keys", m.merchant_id)  # --reason is required
        self.assertNotEqual(rc, 0)

    def test_4_revoke_sessions_of_a_merchant_and_of_a_user(self):
        self.assertGreaterEqual(len(self.owner_recovery), 3, "the owner enrolled in this test")
        self.assertEqual(self.owner.call("GET", "/me")[0], 200)
        s, _, b = self.contain(f"/merchants/{self.a}/sessions/revoke")
        self.assertEqual(s, 200, b)
        self.assertGreaterEqual(b["revoked"], 1)
        self.assertEqual(self.owner.call("GET", "/me")[0], 401)
        self.assertEqual(self.op.call("GET", "/me")[0], 200, "the operator's own session stays")

        self.sign_owner_in_again()
        s, _, b = self.contain(f"/users/{self.owner_id}/sessions/revoke")
        self.assertEqual((s, b["revoked"]), (200, 1), b)
        self.assertEqual(self.owner.call("GET", "/me")[0], 401)

        self.sign_owner_in_again()
        rc, out, err = self.cli("revoke-sessions", "--user", self.owner_id, "--reason", "INC-16")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["revoked"], 1)
        self.assertEqual(self.owner.call("GET", "/me")[0], 401)

        self.sign_owner_in_again()
        rc, out, err = self.cli("revoke-sessions", "--merchant", self.a, "--reason", "INC-16")
        self.assertEqual(rc, 0, err)
        self.assertGreaterEqual(json.loads(out)["revoked"], 1)
        self.assertEqual(self.owner.call("GET", "/me")[0], 401)
        rc, _, _ = self.cli("revoke-sessions", "--reason", "INC-16")  # neither --merchant nor --user
        self.assertNotEqual(rc, 0)

        rec = self.audit_records("incident.sessions_revoke")
        self.assertEqual([x["details"]["scope"] for x in rec], ["merchant", "user", "user",
                                                                "merchant"])
        self.assertEqual([x["details"]["via"] for x in rec], ["ops_api", "ops_api", "cli", "cli"])

    def test_5_a_suspended_connector_account_is_skipped_until_an_operator_enables_it(self):
        m = new_merchant(self.srv, "Connector")
        acc = self.sandbox_account(m)
        self.assertEqual(m.create_payment(amount=1000, currency="usd", payment_method="tok_visa",
                                          confirm=True).status, 200)
        s, _, b = self.contain(f"/connector_accounts/{acc}/suspend", "INC-16: PSP creds leaked")
        self.assertEqual(s, 200, b)
        self.assertEqual((b["status"], b["merchant"]), ("suspended", m.merchant_id), b)
        self.assertEqual(m.get(f"/v1/connector_accounts/{acc}").json["status"], "suspended")
        r = m.create_payment(amount=1000, currency="usd", payment_method="tok_visa", confirm=True)
        self.assertEqual((r.status, r.json["error"]["code"]), (400, "no_connector_available"),
                         "routing must skip the suspended account")
        # The merchant cannot lift it.
        r = m.call("PATCH", f"/v1/connector_accounts/{acc}", {"status": "active"})
        self.assertEqual((r.status, r.json["error"]["code"]), (409, "account_suspended"), r)
        s, _, b = self.contain(f"/connector_accounts/{acc}/enable", "INC-16: resolved")
        self.assertEqual((s, b["status"]), (200, "active"), b)
        self.assertEqual(m.create_payment(amount=1000, currency="usd", payment_method="tok_visa",
                                          confirm=True).status, 200)
        s, _, b = self.contain(f"/connector_accounts/{acc}/enable", "again")
        self.assertEqual((s, b["error"]["code"]), (409, "account_not_suspended"), b)

        rc, out, err = self.cli("disable-connector", acc, "--reason", "INC-16: cli")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["status"], "suspended")
        self.assertEqual(m.get(f"/v1/connector_accounts/{acc}").json["status"], "suspended")
        r = m.create_payment(amount=1000, currency="usd", payment_method="tok_visa", confirm=True)
        self.assertEqual((r.status, r.json["error"]["code"]), (400, "no_connector_available"))
        rc, out, err = self.cli("enable-connector", acc, "--reason", "INC-16: cli resolved")
        self.assertEqual(rc, 0, err)
        self.assertEqual(m.get(f"/v1/connector_accounts/{acc}").json["status"], "active")
        rec = self.audit_records("incident.connector_account_suspend") + \
            self.audit_records("incident.connector_account_enable")
        self.assertEqual(len([x for x in rec if x["target"] == acc]), 4, rec)
        self.assertTrue(all(x["merchant_id"] == m.merchant_id for x in rec))

    def delivery_after(self, m: Merchant, rx: WebhookReceiver, seen: set):
        pid = m.pay(self)["id"]
        # A delivery of an event of this payment (signed when sent, after the change above).
        got = rx.wait_for(lambda reqs: [q for q in reqs if q.webhook_id not in seen
                                        and pid.encode() in q.body], 10.0)
        self.assertTrue(got, "no delivery")
        q = got[0]
        seen.add(q.webhook_id)
        sigs = q.headers["webhook-signature"].split()
        return sigs, q.webhook_id, q.headers["webhook-timestamp"], q.body

    def test_6_rotate_webhook_secrets_shows_no_secret_and_drops_the_old_ones(self):
        m = new_merchant(self.srv, "Webhooks")
        rx = WebhookReceiver()
        self.addCleanup(rx.close)
        r = m.post("/v1/webhook_endpoints", {"url": rx.url(), "enabled_events": ["*"]})
        self.assertEqual(r.status, 200, r)
        ep, s1 = r.json["id"], r.json["secret"]
        seen: set = set()
        sigs, mid, ts, body = self.delivery_after(m, rx, seen)
        self.assertIn(sign(s1, mid, ts, body), sigs)

        s, h, b = self.contain(f"/merchants/{m.merchant_id}/webhook_endpoints/rotate_secrets")
        self.assertEqual(s, 200, b)
        self.assertEqual((b["rotated"], b["webhook_endpoints"]), (1, [ep]), b)
        self.assertNotIn("whsec_", json.dumps(b))
        self.assertIsNone(m.get(f"/v1/webhook_endpoints/{ep}").json["previous_secret_expires_at"])
        sigs, mid, ts, body = self.delivery_after(m, rx, seen)
        self.assertNotIn(sign(s1, mid, ts, body), sigs, "the old secret stopped at once")

        # The merchant's path: roll the secret itself and receive it.
        r = m.post(f"/v1/webhook_endpoints/{ep}/rotate_secret")
        self.assertEqual(r.status, 200, r)
        s2 = r.json["secret"]
        sigs, mid, ts, body = self.delivery_after(m, rx, seen)
        self.assertIn(sign(s2, mid, ts, body), sigs)

        rc, out, err = self.cli("rotate-webhook-secrets", m.merchant_id, "--reason", "INC-16")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("whsec_", out + err)
        self.assertEqual(json.loads(out)["rotated"], 1)
        sigs, mid, ts, body = self.delivery_after(m, rx, seen)
        self.assertNotIn(sign(s2, mid, ts, body), sigs)
        self.assertNotIn(sign(s1, mid, ts, body), sigs)
        rec = [x for x in self.audit_records("incident.webhook_secrets_rotate")
               if x["merchant_id"] == m.merchant_id]
        self.assertEqual([x["details"]["via"] for x in rec], ["ops_api", "cli"])
        self.assertNotIn("whsec_", json.dumps(rec))

    def test_7_the_audit_chain_is_intact(self):
        r = harness.run_cli(["audit", "verify", "--data-dir", self.srv.data_dir])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("intact", r.stdout)


if __name__ == "__main__":
    unittest.main()
