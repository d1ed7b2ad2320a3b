"""Dashboard and ops sessions over real HTTPS (docs/dashboard-api.md §1, §3, §6, §9; PRODUCT.md
§1, §4): dev credentials, sign-in, cookie attributes, CSRF and Origin refusals, the MFA gates and
enrolment with an independent TOTP, sign-out and revocation, a role without a permission, another
merchant's 404, lockout after 10 failures, operators on the ops listener, and the CLI."""

from __future__ import annotations

import json
import os
import stat
import time
import unittest

import harness
from people_helpers import Person, secret_of, set_cookies, strong_password, totp


class DashboardSessionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()
        cls.creds = cls.srv.credentials()
        cls.user = cls.creds["dashboard_user"]
        cls.merchant = cls.creds["merchant_id"]
        # The owner enrols MFA once; later tests sign in with a recovery code.
        cls.owner = Person(cls.srv)
        s, _, b = cls.owner.sign_in(cls.user["email"], cls.user["password"])
        assert s == 200, b
        cls.secret, cls.recovery = cls.owner.enroll()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def owner_session(self) -> Person:
        """A fresh, fully signed-in session of the owner (a recovery code as second factor)."""
        p = Person(self.srv)
        s, _, b = p.sign_in(self.user["email"], self.user["password"])
        self.assertEqual((s, b["mfa"]), (200, "required"), b)
        s, _, b = p.call("POST", "/sessions/mfa", {"recovery_code": self.recovery.pop()})
        self.assertEqual((s, b["mfa"]), (200, "satisfied"), b)
        if len(self.recovery) <= 4:
            # A new set (step-up: this session just gave its password and a second factor).
            s, _, b = p.call("POST", "/mfa/recovery_codes")
            self.assertEqual((s, len(b["recovery_codes"])), (200, 10), b)
            self.recovery[:] = b["recovery_codes"]
        return p

    def test_dev_credentials_name_a_dashboard_owner_and_an_operator_in_a_0600_file(self):
        mode = stat.S_IMODE(os.stat(self.srv.credentials_path).st_mode)
        self.assertEqual(mode, 0o600)
        for field in ("dashboard_user", "operator"):
            self.assertIn("@", self.creds[field]["email"])
            self.assertGreaterEqual(len(self.creds[field]["password"]), 15)

    def test_sign_in_sets_a_host_only_secure_httponly_strict_cookie_and_returns_a_csrf_token(self):
        p = Person(self.srv)
        s, h, b = p.sign_in(self.user["email"], self.user["password"])
        self.assertEqual(s, 200, b)
        self.assertEqual(b["object"], "session_status")
        self.assertEqual(b["mfa"], "required")  # MFA enrolled in setUpClass
        self.assertGreaterEqual(len(b["csrf_token"]), 43)
        cookies = set_cookies(h)
        self.assertEqual(len(cookies), 1, h)
        name, _, rest = cookies[0].partition("=")
        self.assertEqual(name, "__Host-lp_session")
        value, *attrs = [x.strip() for x in rest.split(";")]
        self.assertEqual(len(value), 43)
        self.assertEqual(sorted(attrs), sorted(["Path=/", "Secure", "HttpOnly", "SameSite=Strict"]))
        self.assertEqual(h.get("cache-control"), "no-store")
        self.assertNotIn("access-control-allow-origin", h)

    def test_wrong_password_and_unknown_email_give_the_same_answer(self):
        p = Person(self.srv)
        s1, _, b1 = p.sign_in(self.user["email"], "a-wrong-password-of-length")
        s2, _, b2 = p.sign_in("nobody-" + self.user["email"], "a-wrong-password-of-length")
        self.assertEqual((s1, s2), (401, 401))
        for b in (b1, b2):
            b["error"].pop("request_id", None)
        self.assertEqual(b1, b2)
        self.assertEqual(b1["error"]["code"], "invalid_credentials")
        self.assertIsNone(p.cookie)

    def test_sign_in_without_or_with_a_foreign_origin_is_refused(self):
        p = Person(self.srv)
        s, _, b = p.call("POST", "/sessions", {"email": self.user["email"],
                                               "password": self.user["password"]}, origin=False)
        self.assertEqual((s, b["error"]["code"]), (403, "csrf_failed"))
        s, _, b = p.call("POST", "/sessions", {"email": self.user["email"],
                                               "password": self.user["password"]},
                         origin="https://evil.example")
        self.assertEqual((s, b["error"]["code"]), (403, "csrf_failed"))
        self.assertIsNone(p.cookie)

    def test_no_cookie_is_401_and_api_keys_are_not_accepted(self):
        s, _, b = self.srv.get_json("dashboard", "/dashboard/api/me",
                                    headers={"Authorization": f"Bearer {self.creds['api_key']}"})
        self.assertEqual((s, b["error"]["code"]), (401, "authentication_required"))

    def test_mfa_gate_then_me_lists_the_owner_membership(self):
        p = Person(self.srv)
        p.sign_in(self.user["email"], self.user["password"])
        s, _, b = p.call("GET", "/sessions")
        self.assertEqual((s, b["error"]["code"]), (401, "mfa_required"))
        s, _, b = p.call("GET", "/me")
        self.assertEqual((s, b["session"]["mfa"], b["memberships"]), (200, "required", []))
        wrong = str((int(totp(self.secret)) + 500000) % 1000000).zfill(6)
        s, _, b = p.call("POST", "/sessions/mfa", {"code": wrong})
        self.assertEqual(s, 401)
        self.assertIn(b["error"]["code"], ("invalid_code",))
        old_cookie = p.cookie
        s, _, b = p.call("POST", "/sessions/mfa", {"recovery_code": self.recovery.pop()})
        self.assertEqual((s, b["mfa"]), (200, "satisfied"), b)
        self.assertNotEqual(p.cookie, old_cookie)  # a new id after the MFA step
        s, _, b = p.call("GET", "/me")
        self.assertEqual(s, 200, b)
        self.assertEqual(b["user"]["email"], self.user["email"])
        self.assertTrue(b["user"]["mfa"]["enrolled"])
        [m] = b["memberships"]
        self.assertEqual((m["merchant"]["id"], m["role"]["id"]), (self.merchant, "owner"))
        self.assertIn("users:write", m["permissions"])

    def test_state_changing_requests_need_the_csrf_token(self):
        p = self.owner_session()
        for bad in (False, "not-the-token"):
            s, _, b = p.call("DELETE", "/sessions/current", csrf=bad)
            self.assertEqual((s, b["error"]["code"]), (403, "csrf_failed"))
        s, _, b = p.call("DELETE", "/sessions/current", origin="https://evil.example")
        self.assertEqual((s, b["error"]["code"]), (403, "csrf_failed"))
        s, _, b = p.call("GET", "/me")
        self.assertEqual(s, 200, "a refused sign-out must not sign out")

    def test_sign_out_clears_the_cookie_and_the_old_session_is_401(self):
        p = self.owner_session()
        cookie = p.cookie
        s, h, b = p.call("DELETE", "/sessions/current")
        self.assertEqual((s, b["status"]), (200, "revoked"), b)
        self.assertIn("Max-Age=0", h["set-cookie"])
        p.cookie = cookie
        s, _, b = p.call("GET", "/me")
        self.assertEqual((s, b["error"]["code"]), (401, "authentication_required"))

    def test_revoking_another_session_makes_it_401(self):
        a = self.owner_session()
        other = self.owner_session()
        s, _, b = a.call("GET", "/sessions")
        self.assertEqual(s, 200, b)
        ids = [x["id"] for x in b["data"] if not x["current"]]
        s, _, me = other.call("GET", "/me")
        self.assertIn(me["session"]["id"], ids)
        s, _, b = a.call("DELETE", f"/sessions/{me['session']['id']}")
        self.assertEqual((s, b["status"]), (200, "revoked"), b)
        s, _, b = other.call("GET", "/me")
        self.assertEqual((s, b["error"]["code"]), (401, "authentication_required"))

    def test_an_analyst_lacks_users_write_and_another_merchant_is_404(self):
        owner = self.owner_session()
        email = f"analyst-{os.getpid()}@example.net"
        s, _, inv = owner.call("POST", f"/merchants/{self.merchant}/invitations",
                               {"email": email, "role": "analyst"})
        self.assertEqual(s, 200, inv)
        self.assertTrue(inv["invite_url"].startswith(owner.origin + "/invite#"), inv)
        token = inv["invite_url"].split("#", 1)[1]
        analyst = Person(self.srv)
        s, _, b = analyst.call("POST", "/invitations/lookup", {"token": token})
        self.assertEqual((s, b["email"], b["account_exists"]), (200, email, False), b)
        s, _, b = analyst.call("POST", "/invitations/accept",
                               {"token": token, "password": strong_password()})
        self.assertEqual((s, b["mfa"]), (200, "satisfied"), b)
        s, _, b = analyst.call("GET", f"/merchants/{self.merchant}/users")
        self.assertEqual(s, 200, b)
        self.assertIn(email, [u["email"] for u in b["data"]])
        s, _, b = analyst.call("POST", f"/merchants/{self.merchant}/invitations",
                               {"email": "x@example.net", "role": "analyst"})
        self.assertEqual((s, b["error"]["code"]), (403, "permission_denied"), b)
        self.assertIn("users:write", b["error"]["message"])
        s, _, b = analyst.call("GET", "/merchants/mer_doesnotexist000000/users")
        self.assertEqual((s, b["error"]["code"]), (404, "resource_missing"))
        # The owner ends the analyst's sessions: the analyst's next request is 401.
        s, _, users = owner.call("GET", f"/merchants/{self.merchant}/users")
        [uid] = [u["id"] for u in users["data"] if u["email"] == email]
        s, _, b = owner.call("DELETE", f"/merchants/{self.merchant}/users/{uid}/sessions")
        self.assertEqual((s, b["revoked"]), (200, 1), b)
        s, _, b = analyst.call("GET", "/me")
        self.assertEqual((s, b["error"]["code"]), (401, "authentication_required"))

    def test_security_policy_and_custom_roles(self):
        owner = self.owner_session()  # password + second factor: counts as a step-up
        base = f"/merchants/{self.merchant}"
        s, _, b = owner.call("GET", base + "/security_policy")
        self.assertEqual((s, b["idle_timeout_minutes"], b["absolute_timeout_hours"]), (200, 15, 12))
        s, _, b = owner.call("PATCH", base + "/security_policy", {"idle_timeout_minutes": 30})
        self.assertEqual((s, b["error"]["param"]), (400, "idle_timeout_minutes"), b)
        s, _, b = owner.call("PATCH", base + "/security_policy", {"absolute_timeout_hours": 8})
        self.assertEqual((s, b["absolute_timeout_hours"]), (200, 8), b)
        s, _, me = owner.call("GET", "/me")
        self.assertEqual(me["memberships"][0]["policy"]["absolute_timeout_hours"], 8)
        s, _, b = owner.call("POST", base + "/roles",
                             {"name": "Refunds desk", "permissions": ["payments:read", "nope:x"]})
        self.assertEqual((s, b["error"]["param"]), (400, "permissions[1]"), b)
        s, _, role = owner.call("POST", base + "/roles",
                                {"name": "Refunds desk",
                                 "permissions": ["payments:read", "refunds:write"]})
        self.assertEqual((s, role["builtin"]), (200, False), role)
        s, _, inv = owner.call("POST", base + "/invitations",
                               {"email": f"desk-{os.getpid()}@example.net", "role": role["id"]})
        self.assertEqual(s, 200, inv)
        s, _, b = owner.call("DELETE", f"{base}/roles/{role['id']}")
        self.assertEqual((s, b["error"]["code"]), (409, "role_in_use"), b)
        s, _, b = owner.call("DELETE", f"{base}/invitations/{inv['id']}")
        self.assertEqual((s, b["status"]), (200, "revoked"), b)
        s, _, b = owner.call("DELETE", f"{base}/roles/{role['id']}")
        self.assertEqual(s, 200, b)
        s, _, b = owner.call("GET", base + "/roles")
        self.assertEqual([r["id"] for r in b["data"]][:5],
                         ["owner", "admin", "developer", "analyst", "support"])

    def test_reauthenticate_and_a_spent_recovery_code(self):
        p = Person(self.srv)
        p.sign_in(self.user["email"], self.user["password"])
        code = self.recovery.pop()
        s, _, b = p.call("POST", "/sessions/mfa", {"recovery_code": code})
        self.assertEqual(s, 200, b)
        s, _, b = p.call("POST", "/sessions/current/reauthenticate",
                         {"password": self.user["password"], "recovery_code": code})
        self.assertEqual((s, b["error"]["code"]), (401, "invalid_code"), b)
        s, _, b = p.call("POST", "/sessions/current/reauthenticate",
                         {"password": self.user["password"], "recovery_code": self.recovery.pop()})
        self.assertEqual(s, 200, b)
        self.assertGreater(b["reauthenticated_until"], 0)

    def test_sign_out_everywhere_ends_every_session(self):
        a = self.owner_session()
        b_ = self.owner_session()
        s, h, b = a.call("DELETE", "/sessions")
        self.assertEqual(s, 200, b)
        self.assertGreaterEqual(b["revoked"], 2)
        self.assertIn("Max-Age=0", h["set-cookie"])
        for p in (a, b_):
            s, _, _ = p.call("GET", "/me")
            self.assertEqual(s, 401)

    def test_unknown_dashboard_api_paths_are_json_404(self):
        s, h, b = self.srv.request("dashboard", "GET", "/dashboard/api/nothing-here")
        self.assertEqual(s, 404)
        self.assertEqual(json.loads(b)["error"]["code"], "resource_missing")


class LockoutTest(unittest.TestCase):
    def test_ten_failures_lock_the_account_with_the_same_answer(self):
        srv = harness.Server()
        try:
            user = srv.credentials()["dashboard_user"]
            p = Person(srv)
            for _ in range(10):
                s, _, b = p.sign_in(user["email"], "definitely-not-the-password")
                self.assertEqual((s, b["error"]["code"]), (401, "invalid_credentials"))
            s, _, b = p.sign_in(user["email"], user["password"])
            self.assertEqual((s, b["error"]["code"]), (401, "invalid_credentials"))
            self.assertIsNone(p.cookie)
        finally:
            srv.cleanup()


class OpsSessionsTest(unittest.TestCase):
    def test_operator_signs_in_on_the_ops_listener_enrols_and_lists_merchants(self):
        srv = harness.Server()
        try:
            creds = srv.credentials()
            op = Person(srv, "ops")
            s, h, b = op.sign_in(creds["operator"]["email"], creds["operator"]["password"])
            self.assertEqual((s, b["mfa"]), (200, "enroll"), b)
            self.assertTrue(h["set-cookie"].startswith("__Host-lp_ops_session="), h)
            s, _, b = op.call("GET", "/merchants")
            self.assertEqual((s, b["error"]["code"]), (403, "mfa_enrollment_required"))
            # Enrolled by hand, to keep the very code the confirmation consumed (computing it
            # again afterwards could land in the next 30-second step, which is not used yet).
            s, _, b = op.call("POST", "/mfa/enroll")
            self.assertEqual(s, 200, b)
            secret = secret_of(b["otpauth_uri"])
            used = totp(secret)
            s, _, b = op.call("POST", "/mfa/enroll/confirm", {"code": used})
            self.assertEqual(s, 200, b)
            s, _, b = op.call("GET", "/merchants")
            self.assertEqual(s, 200, b)
            self.assertIn(creds["merchant_id"], [m["id"] for m in b["data"]])
            s, _, b = op.call("GET", "/me")
            self.assertEqual(b["operator"]["role"], "platform_admin")
            # A second session: the code already used is refused (replay), the next step's
            # code (within the ±1 window) is accepted.
            op2 = Person(srv, "ops")
            s, _, b = op2.sign_in(creds["operator"]["email"], creds["operator"]["password"])
            self.assertEqual((s, b["mfa"]), (200, "required"), b)
            s, _, b = op2.call("POST", "/sessions/mfa", {"code": used})
            self.assertEqual((s, b["error"]["code"]), (401, "invalid_code"), b)
            s, _, b = op2.call("POST", "/sessions/mfa", {"code": totp(secret, time.time() + 30)})
            self.assertEqual((s, b["mfa"]), (200, "satisfied"), b)
            # The dashboard user's credentials are not an operator's, and the other listener's
            # cookie is not accepted.
            s, _, b = op.sign_in(creds["dashboard_user"]["email"],
                                 creds["dashboard_user"]["password"])
            self.assertEqual((s, b["error"]["code"]), (401, "invalid_credentials"))
            s, _, b = srv.get_json("dashboard", "/dashboard/api/me",
                                   headers={"Cookie": f"__Host-lp_session={op.cookie}"})
            self.assertEqual(s, 401)
        finally:
            srv.cleanup()


class PeopleCliTest(unittest.TestCase):
    def test_operator_create_and_merchant_create_with_owner_print_initial_passwords(self):
        srv = harness.Server()
        try:
            srv.credentials()
            srv.stop()
            data = ["--data-dir", srv.data_dir]
            r = harness.run_cli(["operator", "create", "--email", "ops2@example.org",
                                 "--role", "support", *data])
            self.assertEqual(r.returncode, 0, r.stderr)
            op = json.loads(r.stdout)
            self.assertEqual((op["email"], op["role"]), ("ops2@example.org", "support"))
            self.assertGreaterEqual(len(op["password"]), 15)
            r = harness.run_cli(["operator", "create", "--email", "ops2@example.org", *data])
            self.assertNotEqual(r.returncode, 0)
            r = harness.run_cli(["merchant", "create", "--name", "Acme", "--owner-email",
                                 "boss@acme.example", *data])
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json.loads(r.stdout)
            self.assertTrue(out["merchant_id"].startswith("mer_"))
            self.assertEqual(out["owner"]["email"], "boss@acme.example")
            srv.start()
            p = Person(srv)
            s, _, b = p.sign_in("boss@acme.example", out["owner"]["password"])
            self.assertEqual((s, b["mfa"]), (200, "enroll"), b)
            op_p = Person(srv, "ops")
            s, _, b = op_p.sign_in("ops2@example.org", op["password"])
            self.assertEqual((s, b["mfa"]), (200, "enroll"), b)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
