"""One authorization matrix over real HTTPS (docs/dashboard-api.md §2, §5, §6, §7, §9): every
dashboard route and every ops route × every built-in role, expected "allowed" (the answer is
neither 401 nor 403: a 404 for a made-up object id or a 400 for an empty body is past
authorization) or 403 permission_denied, driven from ROLE_PERMISSIONS — the role→permission
table of §2, typed in here as the truth, not read from the server. Plus: a user of merchant A
gets 404 for merchant B's id and for B's objects on A's routes, and `?mode=` keeps test and live
apart.

Routes that end the caller's own session (DELETE /sessions, /sessions/current), MFA removal and
recovery-code regeneration need no permission and are covered by test_dashboard_sessions.py."""

from __future__ import annotations

import json
import unittest

import harness
from people_helpers import Person, strong_password

# docs/dashboard-api.md §2 "Built-in roles" (a …:write includes the matching …:read).
ROLE_PERMISSIONS = {
    "owner": {"payments:read", "payments:write", "refunds:write", "events:read", "webhooks:read",
              "webhooks:write", "api_keys:read", "api_keys:write", "connectors:read",
              "connectors:write", "users:read", "users:write", "roles:write", "settings:read",
              "settings:write", "audit:read", "pii:read"},
    "admin": {"payments:read", "payments:write", "refunds:write", "events:read", "webhooks:read",
              "webhooks:write", "api_keys:read", "api_keys:write", "connectors:read",
              "connectors:write", "users:read", "users:write", "roles:write", "settings:read",
              "settings:write", "audit:read", "pii:read"},
    "developer": {"payments:read", "payments:write", "refunds:write", "events:read",
                  "webhooks:read", "webhooks:write", "api_keys:read", "api_keys:write",
                  "connectors:read", "connectors:write", "users:read", "settings:read",
                  "pii:read"},
    "analyst": {"payments:read", "events:read", "webhooks:read", "api_keys:read",
                "connectors:read", "users:read", "settings:read", "pii:read"},
    "support": {"payments:read", "events:read", "webhooks:read", "users:read", "settings:read"},
}
# §9 "Operator roles".
OPERATOR_PERMISSIONS = {
    "platform_admin": {"merchants:read", "merchants:write", "audit:read", "pii:read"},
    "support": {"merchants:read"},
    "security_auditor": {"merchants:read", "audit:read", "pii:read"},
}

# Made-up object ids: an allowed caller gets 404 (or 400), never 401/403.
FAKE = {"pay": "pay_matrixnoSuchObjectAa", "re": "re_matrixnoSuchObjectAa",
        "evt": "evt_matrixnoSuchObjectAa", "key": "key_matrixnoSuchObjectAa",
        "ca": "ca_matrixnoSuchObjectAa", "we": "we_matrixnoSuchObjectAa",
        "usr": "usr_matrixnoSuchObjectAa", "inv": "inv_matrixnoSuchObjectAa",
        "role": "role_matrixnoSuchObjectAa", "ses": "ses_matrixnoSuchObjectAa"}

# (method, path under /dashboard/api, permission or "none", body). {m} is the caller's
# merchant. Bodies are empty or harmless: a request past authorization fails validation or
# finds no object, except creating an API key (a real key is made: allowed means allowed).
DASHBOARD_ROUTES = [
    # §3 account routes: any signed-in user.
    ("GET", "/me", "none", None),
    ("GET", "/sessions", "none", None),
    ("DELETE", "/sessions/{ses}", "none", None),
    ("POST", "/sessions/current/reauthenticate", "none", {}),
    ("POST", "/password", "none", {}),
    ("GET", "/permissions", "none", None),
    # §5 merchant resources.
    ("GET", "/merchants/{m}", "settings:read", None),
    ("PATCH", "/merchants/{m}", "settings:write", {}),
    ("GET", "/merchants/{m}/payments", "payments:read", None),
    ("GET", "/merchants/{m}/payments/{pay}", "payments:read", None),
    ("POST", "/merchants/{m}/payments/{pay}/capture", "payments:write", {}),
    ("POST", "/merchants/{m}/payments/{pay}/cancel", "payments:write", {}),
    ("GET", "/merchants/{m}/refunds", "payments:read", None),
    ("GET", "/merchants/{m}/refunds/{re}", "payments:read", None),
    ("POST", "/merchants/{m}/refunds", "refunds:write", {}),
    ("GET", "/merchants/{m}/events", "events:read", None),
    ("GET", "/merchants/{m}/events/{evt}", "events:read", None),
    ("GET", "/merchants/{m}/events/{evt}/deliveries", "events:read", None),
    ("POST", "/merchants/{m}/events/{evt}/redeliver", "webhooks:write", {}),
    ("GET", "/merchants/{m}/api_keys", "api_keys:read", None),
    ("POST", "/merchants/{m}/api_keys", "api_keys:write", {"type": "publishable"}),
    ("PATCH", "/merchants/{m}/api_keys/{key}", "api_keys:write", {"allowed_cidrs": []}),
    ("POST", "/merchants/{m}/api_keys/{key}/roll", "api_keys:write", {}),
    ("DELETE", "/merchants/{m}/api_keys/{key}", "api_keys:write", None),
    ("GET", "/merchants/{m}/connector_accounts", "connectors:read", None),
    ("GET", "/merchants/{m}/connector_accounts/{ca}", "connectors:read", None),
    ("POST", "/merchants/{m}/connector_accounts", "connectors:write", {}),
    ("PATCH", "/merchants/{m}/connector_accounts/{ca}", "connectors:write", {}),
    ("DELETE", "/merchants/{m}/connector_accounts/{ca}", "connectors:write", None),
    ("GET", "/merchants/{m}/webhook_endpoints", "webhooks:read", None),
    ("GET", "/merchants/{m}/webhook_endpoints/{we}", "webhooks:read", None),
    ("POST", "/merchants/{m}/webhook_endpoints", "webhooks:write", {}),
    ("PATCH", "/merchants/{m}/webhook_endpoints/{we}", "webhooks:write", {}),
    ("DELETE", "/merchants/{m}/webhook_endpoints/{we}", "webhooks:write", None),
    ("POST", "/merchants/{m}/webhook_endpoints/{we}/rotate_secret", "webhooks:write", None),
    ("GET", "/merchants/{m}/webhook_endpoints/{we}/deliveries", "webhooks:read", None),
    # §6 team.
    ("GET", "/merchants/{m}/users", "users:read", None),
    ("PATCH", "/merchants/{m}/users/{usr}", "users:write", {"role": "analyst"}),
    ("DELETE", "/merchants/{m}/users/{usr}", "users:write", None),
    ("DELETE", "/merchants/{m}/users/{usr}/sessions", "users:write", None),
    ("GET", "/merchants/{m}/invitations", "users:read", None),
    ("POST", "/merchants/{m}/invitations", "users:write", {}),
    ("DELETE", "/merchants/{m}/invitations/{inv}", "users:write", None),
    ("GET", "/merchants/{m}/roles", "users:read", None),
    ("POST", "/merchants/{m}/roles", "roles:write", {}),
    ("PATCH", "/merchants/{m}/roles/{role}", "roles:write", {}),
    ("DELETE", "/merchants/{m}/roles/{role}", "roles:write", None),
    # §7 security policy.
    ("GET", "/merchants/{m}/security_policy", "settings:read", None),
    ("PATCH", "/merchants/{m}/security_policy", "settings:write", {}),
]

# (method, path under /ops/api, permission, body); {m} is a merchant id.
OPS_ROUTES = [
    ("GET", "/me", "none", None),
    ("GET", "/sessions", "none", None),
    ("GET", "/merchants", "merchants:read", None),
    ("GET", "/merchants/{m}", "merchants:read", None),
    ("POST", "/merchants/{m}/freeze", "merchants:write", {}),
    ("POST", "/merchants/{m}/unfreeze", "merchants:write", {}),
    # Incident containment (an empty body: 400 reason, nothing changes).
    ("POST", "/merchants/{m}/api_keys/revoke", "merchants:write", {}),
    ("POST", "/merchants/{m}/sessions/revoke", "merchants:write", {}),
    ("POST", "/users/usr_nosuchuser/sessions/revoke", "merchants:write", {}),
    ("POST", "/connector_accounts/mca_nosuchaccount/suspend", "merchants:write", {}),
    ("POST", "/connector_accounts/mca_nosuchaccount/enable", "merchants:write", {}),
    ("POST", "/merchants/{m}/webhook_endpoints/rotate_secrets", "merchants:write", {}),
]


def holds(perms: set[str], permission: str) -> bool:
    if permission == "none" or permission in perms:
        return True
    if permission.endswith(":read"):
        return permission[:-len("read")] + "write" in perms
    return False


def fill(path: str, merchant: str) -> str:
    out = path.replace("{m}", merchant)
    for k, v in FAKE.items():
        out = out.replace("{" + k + "}", v)
    return out


class AuthorizationMatrixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()
        creds = cls.srv.credentials()
        cls.merchant = creds["merchant_id"]
        # Merchant B (with its own owner) and the other operator roles, made by the CLI.
        cls.srv.stop()
        data = ["--data-dir", cls.srv.data_dir]
        r = harness.run_cli(["merchant", "create", "--name", "Other merchant", "--owner-email",
                             "boss@other.example", *data])
        assert r.returncode == 0, r.stderr
        other = json.loads(r.stdout)
        cls.other_merchant = other["merchant_id"]
        cls.other_key = other["api_key"]
        ops = {"platform_admin": (creds["operator"]["email"], creds["operator"]["password"])}
        for role in ("support", "security_auditor"):
            email = f"{role.replace('_', '-')}@ops.example"
            r = harness.run_cli(["operator", "create", "--email", email, "--role", role, *data])
            assert r.returncode == 0, r.stderr
            ops[role] = (email, json.loads(r.stdout)["password"])
        cls.srv.start()
        # Merchant A's owner enrols MFA (owners must) and invites one user per other role.
        owner = Person(cls.srv)
        s, _, b = owner.sign_in(creds["dashboard_user"]["email"],
                                creds["dashboard_user"]["password"])
        assert s == 200, b
        if b["mfa"] == "enroll":
            owner.enroll()
        cls.users = {"owner": owner}
        for role in ("admin", "developer", "analyst", "support"):
            s, _, inv = owner.call("POST", f"/merchants/{cls.merchant}/invitations",
                                   {"email": f"{role}@matrix.example", "role": role})
            assert s == 200, inv
            p = Person(cls.srv)
            s, _, b = p.call("POST", "/invitations/accept",
                             {"token": inv["invite_url"].split("#", 1)[1],
                              "password": strong_password()})
            assert s == 200, b
            if b["mfa"] == "enroll":  # admins must have MFA
                p.enroll()
            cls.users[role] = p
        # Merchant B's owner, and objects of B that A's users must not see.
        cls.other_owner = Person(cls.srv)
        s, _, b = cls.other_owner.sign_in("boss@other.example", other["owner"]["password"])
        assert s == 200, b
        cls.other_owner.enroll()
        s, _, b = cls.other_owner.call("POST", f"/merchants/{cls.other_merchant}/connector_accounts",
                                       {"connector": "sandbox", "label": "Other sandbox"})
        assert s == 200, b
        s, _, b = cls.other_owner.call(
            "POST", f"/merchants/{cls.other_merchant}/webhook_endpoints",
            {"url": "http://127.0.0.1:9/hooks", "enabled_events": ["security.alert"]})
        assert s == 200, b
        cls.other_endpoint = b["id"]
        s, _, b = cls.srv.request(
            "api", "POST", "/v1/payments",
            body={"amount": 500, "currency": "USD", "payment_method": "tok_visa",
                  "confirm": True, "capture_method": "manual"},
            headers={"Authorization": f"Bearer {cls.other_key}"})
        assert s == 200, b
        cls.other_payment = json.loads(b)["id"]
        cls.operators = {}
        for role, (email, password) in ops.items():
            p = Person(cls.srv, "ops")
            s, _, b = p.sign_in(email, password)
            assert s == 200, b
            p.enroll()
            cls.operators[role] = p

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def check(self, who: str, person: Person, perms: set[str], routes, merchant: str):
        for method, path, permission, body in routes:
            with self.subTest(who=who, method=method, path=path):
                s, _, b = person.call(method, fill(path, merchant), body)
                code = (b or {}).get("error", {}).get("code") if isinstance(b, dict) else None
                if holds(perms, permission):
                    self.assertNotIn(s, (401, 403), (who, method, path, b))
                else:
                    self.assertEqual((s, code), (403, "permission_denied"), (who, method, path, b))
                    self.assertIn(permission, b["error"]["message"])

    def test_every_dashboard_route_for_every_merchant_role(self):
        self.assertEqual(set(self.users), set(ROLE_PERMISSIONS))
        for role, person in self.users.items():
            self.check(role, person, ROLE_PERMISSIONS[role], DASHBOARD_ROUTES, self.merchant)

    def test_every_ops_route_for_every_operator_role(self):
        self.assertEqual(set(self.operators), set(OPERATOR_PERMISSIONS))
        for role, person in self.operators.items():
            self.check(role, person, OPERATOR_PERMISSIONS[role], OPS_ROUTES, self.merchant)

    def test_another_merchant_is_404_on_every_merchant_route_for_every_role(self):
        for role, person in self.users.items():
            for method, path, _, body in DASHBOARD_ROUTES:
                if "{m}" not in path:
                    continue
                with self.subTest(role=role, method=method, path=path):
                    s, _, b = person.call(method, fill(path, self.other_merchant), body)
                    self.assertEqual((s, b["error"]["code"]), (404, "resource_missing"),
                                     (role, path, b))

    def test_another_merchants_objects_are_404_on_ones_own_merchant_routes(self):
        owner = self.users["owner"]
        m, pay, we = self.merchant, self.other_payment, self.other_endpoint
        for method, path, body in [
            ("GET", f"/merchants/{m}/payments/{pay}", None),
            ("POST", f"/merchants/{m}/payments/{pay}/capture", {}),
            ("POST", f"/merchants/{m}/payments/{pay}/cancel", {}),
            ("POST", f"/merchants/{m}/refunds", {"payment": pay}),
            ("GET", f"/merchants/{m}/webhook_endpoints/{we}", None),
            ("PATCH", f"/merchants/{m}/webhook_endpoints/{we}", {"description": "mine now"}),
            ("DELETE", f"/merchants/{m}/webhook_endpoints/{we}", None),
            ("POST", f"/merchants/{m}/webhook_endpoints/{we}/rotate_secret", None),
            ("GET", f"/merchants/{m}/webhook_endpoints/{we}/deliveries", None),
        ]:
            with self.subTest(method=method, path=path):
                s, _, b = owner.call(method, path, body)
                self.assertEqual(s, 404, b)
        # B's objects are untouched and still B's.
        s, _, b = self.other_owner.call(
            "GET", f"/merchants/{self.other_merchant}/payments/{pay}")
        self.assertEqual((s, b["status"]), (200, "requires_capture"), b)
        s, _, b = self.other_owner.call(
            "GET", f"/merchants/{self.other_merchant}/webhook_endpoints/{we}")
        self.assertEqual((s, b["description"]), (200, None), b)

    def test_mode_keeps_test_and_live_apart_and_rejects_other_values(self):
        owner = self.other_owner
        base = f"/merchants/{self.other_merchant}"
        s, _, b = owner.call("GET", f"{base}/payments/{self.other_payment}?mode=live")
        self.assertEqual((s, b["error"]["code"]), (404, "resource_missing"), b)
        s, _, b = owner.call("GET", f"{base}/payments?mode=live")
        self.assertEqual((s, b["data"]), (200, []), b)
        s, _, b = owner.call("GET", f"{base}/payments?mode=test")
        self.assertIn(self.other_payment, [p["id"] for p in b["data"]])
        self.assertEqual(b["url"], "/v1/payments")
        for bad in ("prod", "LIVE", ""):
            s, _, b = owner.call("GET", f"{base}/payments?mode={bad}")
            self.assertEqual((s, b["error"]["code"], b["error"]["param"]),
                             (400, "parameter_invalid", "mode"), b)
        s, _, b = owner.call("GET", f"{base}/payments?mode=test&mode=live")
        self.assertEqual((s, b["error"]["param"]), (400, "mode"), b)


if __name__ == "__main__":
    unittest.main()
