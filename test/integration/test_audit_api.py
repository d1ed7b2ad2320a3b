"""The audit log over the dashboard and ops APIs (docs/dashboard-api.md §8, §9; PRODUCT.md §5).

`GET /dashboard/api/merchants/{m}/audit_events` answers the merchant's own records, newest first,
to roles with `audit:read` (owner, admin, a custom role) and 403 to developer, analyst and support;
another merchant is 404. Filters (`action` exact or `x.*`, `actor`, `outcome`, `created[…]`),
cursor paging with `aud_…` ids, 400 `parameter_invalid` naming the parameter. Masking for a role
without `pii:read`. Exports (`…/export?format=jsonl|csv`): attachment file name, CSV quoting and
the formula-injection guard, and the export itself audited as `audit.export` with its filters.
No method changes or deletes a record (405/404, records unchanged, `audit verify` intact).
Operators with `audit:read` (security_auditor) see every merchant and filter by `merchant`;
an operator without it (support) gets 403.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import string
import unittest

import harness
from payments_helpers import Merchant
from people_helpers import Person, strong_password


def letters(n: int = 10) -> str:
    return "".join(random.SystemRandom().choice(string.ascii_lowercase) for _ in range(n))


def raw_get(person: Person, path: str):
    """(status, headers, body bytes) of a GET with the person's cookie (downloads)."""
    h = {"Cookie": f"{person.cookie_name}={person.cookie}"}
    return person.srv.request(person.listener, "GET", person.prefix + path, headers=h)


class AuditApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()
        creds = cls.srv.credentials()
        cls.a = creds["merchant_id"]
        cls.owner_email = creds["dashboard_user"]["email"]
        # Accounts the CLI creates on the stopped server: a second merchant with its owner, and
        # two operators.
        cls.srv.stop()
        data = ["--data-dir", cls.srv.data_dir]
        r = harness.run_cli(["merchant", "create", "--name", "Beta", "--owner-email",
                             f"boss-{letters()}@beta.example", *data], timeout=60)
        assert r.returncode == 0, r.stderr
        beta = json.loads(r.stdout)
        cls.b = beta["merchant_id"]
        ops = {}
        for role in ("security_auditor", "support"):
            email = f"{role.replace('_', '-')}-{letters()}@ops.example"
            r = harness.run_cli(["operator", "create", "--email", email, "--role", role, *data])
            assert r.returncode == 0, r.stderr
            ops[role] = json.loads(r.stdout)
        cls.srv.start()
        creds = cls.srv.credentials()

        # Records in both merchants: API-key actions through /v1.
        cls.key_a = Merchant(cls.srv, creds["api_key"], cls.a)
        r = cls.key_a.post("/v1/api_keys", {"type": "restricted", "scopes": ["payments:read"]})
        assert r.status == 200, r
        cls.key_b = Merchant(cls.srv, beta["api_key"], cls.b)
        r = cls.key_b.post("/v1/connector_accounts", {"connector": "sandbox", "label": "beta"})
        assert r.status == 200, r

        cls.owner = Person(cls.srv)
        s, _, b = cls.owner.sign_in(cls.owner_email, creds["dashboard_user"]["password"])
        assert s == 200 and b["mfa"] == "enroll", b
        cls.owner.enroll()
        s, _, me = cls.owner.call("GET", "/me")
        cls.owner_id = me["user"]["id"]

        cls.owner_b = Person(cls.srv)
        s, _, b = cls.owner_b.sign_in(beta["owner"]["email"], beta["owner"]["password"])
        assert s == 200 and b["mfa"] == "enroll", b
        cls.owner_b.enroll()

        # A custom role with audit:read and without pii:read (step-up: the owner just signed in).
        s, _, role = cls.owner.call("POST", f"/merchants/{cls.a}/roles",
                                    {"name": "Auditors " + letters(4),
                                     "permissions": ["audit:read"]})
        assert s == 200, role
        cls.people = {}
        for name, role_id in (("admin", "admin"), ("developer", "developer"),
                              ("analyst", "analyst"), ("support", "support"),
                              ("masked", role["id"])):
            cls.people[name] = cls.invite(f"{name}-{letters()}@example.net", role_id)
        # A member whose address starts with '=': a spreadsheet formula if exported unguarded.
        cls.formula_email = f"=cmd-{letters()}@example.net"
        cls.formula_person = cls.invite(cls.formula_email, "analyst")
        s, _, me = cls.formula_person.call("GET", "/me")
        cls.formula_id = me["user"]["id"]

        cls.auditor = cls.operator(ops["security_auditor"])
        cls.ops_support = cls.operator(ops["support"])

    @classmethod
    def invite(cls, email: str, role: str) -> Person:
        s, _, inv = cls.owner.call("POST", f"/merchants/{cls.a}/invitations",
                                   {"email": email, "role": role})
        assert s == 200, inv
        token = inv["invite_url"].split("#", 1)[1]
        p = Person(cls.srv)
        s, _, b = p.call("POST", "/invitations/accept", {"token": token,
                                                         "password": strong_password()})
        assert s == 200, b
        if b["mfa"] == "enroll":
            p.enroll()
        return p

    @classmethod
    def operator(cls, account: dict) -> Person:
        p = Person(cls.srv, "ops")
        s, _, b = p.sign_in(account["email"], account["password"])
        assert s == 200 and b["mfa"] == "enroll", b
        p.enroll()
        return p

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    # ---- helpers ----

    def events(self, person: Person, query: str = "", merchant: str | None = None):
        path = (f"/merchants/{merchant or self.a}/audit_events" if person.listener == "dashboard"
                else "/audit_events")
        return person.call("GET", path + (("?" + query) if query else ""))

    def all_events(self, person: Person, query: str = "", merchant: str | None = None) -> list:
        out, cursor = [], None
        while True:
            q = "limit=100" + (f"&starting_after={cursor}" if cursor else "")
            s, _, b = self.events(person, q + ("&" + query if query else ""), merchant)
            self.assertEqual(s, 200, b)
            out += b["data"]
            if not b["has_more"]:
                return out
            cursor = b["data"][-1]["id"]

    def assertInvalid(self, person: Person, query: str, param: str, code="parameter_invalid"):
        s, _, b = self.events(person, query)
        self.assertEqual((s, b["error"]["code"], b["error"].get("param")), (400, code, param), b)

    # ---- tests ----

    def test_roles_with_audit_read_are_allowed_and_the_others_refused(self):
        for person in (self.owner, self.people["admin"], self.people["masked"]):
            s, _, b = self.events(person)
            self.assertEqual(s, 200, b)
            self.assertEqual(b["object"], "list")
            self.assertEqual(b["url"], f"/dashboard/api/merchants/{self.a}/audit_events")
        for name in ("developer", "analyst", "support"):
            for path in ("", "/export?format=jsonl"):
                s, _, b = self.people[name].call(
                    "GET", f"/merchants/{self.a}/audit_events{path}")
                self.assertEqual((s, b["error"]["code"]), (403, "permission_denied"), (name, b))
                self.assertIn("audit:read", b["error"]["message"])

    def test_a_merchant_sees_only_its_own_records_and_another_merchant_is_404(self):
        mine = self.all_events(self.owner)
        self.assertTrue(mine)
        self.assertEqual({e["merchant"] for e in mine}, {self.a})
        seqs = [e["seq"] for e in mine]
        self.assertEqual(seqs, sorted(seqs, reverse=True))  # newest first
        self.assertTrue(all(e["id"].startswith("aud_") for e in mine))
        theirs = self.all_events(self.owner_b, merchant=self.b)
        self.assertTrue(theirs)
        self.assertEqual({e["merchant"] for e in theirs}, {self.b})
        self.assertFalse({e["id"] for e in mine} & {e["id"] for e in theirs})
        for path in ("", "/export?format=csv"):
            s, _, b = self.owner.call("GET", f"/merchants/{self.b}/audit_events{path}")
            self.assertEqual((s, b["error"]["code"]), (404, "resource_missing"), b)
        # A cursor from the other merchant is not an oracle either: 400 naming the parameter.
        self.assertInvalid(self.owner, f"starting_after={theirs[0]['id']}", "starting_after",
                           "resource_missing")

    def test_records_carry_the_contract_fields_and_the_user_email(self):
        [e] = self.all_events(self.owner, "action=role.create")
        self.assertEqual(e["object"], "audit_event")
        self.assertEqual(e["actor"], {"type": "user", "id": self.owner_id,
                                      "email": self.owner_email})
        self.assertEqual(e["outcome"], "success")
        self.assertTrue(e["target"].startswith("role_"))
        self.assertTrue(e["request_id"].startswith("req_"))
        self.assertIsInstance(e["created"], int)
        self.assertIsNotNone(e["source_ip"])
        self.assertEqual(e["details"]["permissions"], ["audit:read"])

    def test_a_role_without_pii_read_sees_masked_emails_no_details_and_no_ip(self):
        [e] = self.all_events(self.people["masked"], "action=role.create")
        local, domain = self.owner_email.split("@")
        self.assertEqual(e["actor"]["email"], local[0] + "•••@" + domain)
        self.assertEqual(e["details"], {})
        self.assertIsNone(e["source_ip"])

    def test_filters(self):
        every = self.all_events(self.owner)
        exact = self.all_events(self.owner, "action=api_key.create")
        self.assertTrue(exact)
        self.assertEqual({e["action"] for e in exact}, {"api_key.create"})
        self.assertEqual(len(exact), sum(e["action"] == "api_key.create" for e in every))
        prefix = self.all_events(self.owner, "action=invitation.*")
        self.assertEqual({e["action"].split(".")[0] for e in prefix}, {"invitation"})
        self.assertEqual(len(prefix), sum(e["action"].startswith("invitation.") for e in every))
        self.assertGreaterEqual(len(prefix), 6)  # six invitations created
        by_owner = self.all_events(self.owner, f"actor={self.owner_id}")
        self.assertTrue(by_owner)
        self.assertEqual({e["actor"]["id"] for e in by_owner}, {self.owner_id})
        success = self.all_events(self.owner, "outcome=success")
        self.assertEqual({e["outcome"] for e in success}, {"success"})
        self.assertEqual(len(success), sum(e["outcome"] == "success" for e in every))
        newest = every[0]["created"]
        self.assertEqual(self.all_events(self.owner, f"created[gte]={newest + 3600}"), [])
        self.assertEqual(self.all_events(self.owner, "created[lte]=1"), [])
        window = self.all_events(self.owner, f"created[gte]={every[-1]['created']}"
                                 f"&created[lte]={newest}")
        self.assertEqual(len(window), len(every))
        combined = self.all_events(self.owner, f"action=invitation.*&actor={self.owner_id}"
                                   "&outcome=success")
        self.assertEqual(len(combined),
                         sum(e["action"] == "invitation.create" and e["actor"]["id"] == self.owner_id
                             and e["outcome"] == "success" for e in prefix))
        # Accepting an invitation is the invitee's record.
        self.assertGreater(len(prefix), len(combined))

    def test_invalid_filters_are_400_naming_the_parameter(self):
        self.assertInvalid(self.owner, "action=api%20key", "action")
        self.assertInvalid(self.owner, "action=*", "action")
        self.assertInvalid(self.owner, "action=api_key.*.roll", "action")
        self.assertInvalid(self.owner, "actor=usr'--", "actor")
        self.assertInvalid(self.owner, "outcome=maybe", "outcome")
        self.assertInvalid(self.owner, "created[gte]=yesterday", "created[gte]")
        self.assertInvalid(self.owner, "limit=0", "limit")
        self.assertInvalid(self.owner, "limit=101", "limit")
        self.assertInvalid(self.owner, "merchant=" + self.b, "merchant", "parameter_unknown")
        self.assertInvalid(self.owner, "starting_after=aud_nosuchrecord", "starting_after",
                           "resource_missing")
        s, _, b = self.owner.call("GET", f"/merchants/{self.a}/audit_events/export?format=xml")
        self.assertEqual((s, b["error"]["param"]), (400, "format"), b)

    def test_cursor_paging_in_both_directions(self):
        every = self.all_events(self.owner)
        self.assertGreater(len(every), 6)
        pages, cursor = [], None
        while True:
            s, _, b = self.events(self.owner, "limit=3" + (f"&starting_after={cursor}"
                                                          if cursor else ""))
            self.assertEqual(s, 200, b)
            self.assertLessEqual(len(b["data"]), 3)
            pages.append(b["data"])
            if not b["has_more"]:
                break
            cursor = b["data"][-1]["id"]
        # New records may arrive meanwhile (none are written by reading), so compare the ids.
        self.assertEqual([e["id"] for p in pages for e in p], [e["id"] for e in every])
        s, _, b = self.events(self.owner, f"limit=3&ending_before={pages[1][0]['id']}")
        self.assertEqual(s, 200, b)
        self.assertEqual([e["id"] for e in b["data"]], [e["id"] for e in pages[0]])

    def test_jsonl_export_is_an_attachment_of_the_filtered_records(self):
        expected = self.all_events(self.owner, "action=invitation.*")
        lo, hi = expected[-1]["created"], expected[0]["created"]
        s, h, body = raw_get(self.owner, f"/merchants/{self.a}/audit_events/export?format=jsonl"
                                         f"&action=invitation.*&created[gte]={lo}"
                                         f"&created[lte]={hi}")
        self.assertEqual(s, 200, body)
        self.assertEqual(h["content-disposition"],
                         f'attachment; filename="audit-{self.a}-{lo}-{hi}.jsonl"')
        self.assertEqual(h.get("cache-control"), "no-store")
        rows = [json.loads(line) for line in body.decode().splitlines()]
        self.assertEqual([r["id"] for r in rows], [e["id"] for e in expected])
        self.assertEqual(rows, expected)

    def test_csv_export_quotes_cells_and_guards_formulas(self):
        # The formula member's own record in this merchant: accepting the invitation.
        s, h, body = raw_get(self.owner, f"/merchants/{self.a}/audit_events/export?format=csv"
                                         f"&actor={self.formula_id}")
        self.assertEqual(s, 200, body)
        self.assertTrue(h["content-type"].startswith("text/csv"), h)
        self.assertRegex(h["content-disposition"],
                         rf'^attachment; filename="audit-{self.a}-\d+-\d+\.csv"$')
        rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
        self.assertEqual(rows[0][:8], ["id", "seq", "created", "merchant", "actor_type",
                                       "actor_id", "actor_email", "action"])
        self.assertGreater(len(rows), 1)
        col = rows[0].index("actor_email")
        for row in rows[1:]:
            self.assertEqual(row[col], "'" + self.formula_email)
            self.assertEqual(row[rows[0].index("actor_id")], self.formula_id)
        # Details hold commas and quotes: one cell, the JSON intact.
        details = rows[0].index("details")
        for row in rows[1:]:
            self.assertIsInstance(json.loads(row[details]), dict)

    def test_an_export_is_itself_audited_with_its_filters(self):
        s, _, body = raw_get(self.owner, f"/merchants/{self.a}/audit_events/export?format=csv"
                                         "&action=api_key.*&outcome=success")
        self.assertEqual(s, 200, body)
        exported = len(body.decode().splitlines()) - 1
        s, _, b = self.events(self.owner, "action=audit.export&limit=1")
        self.assertEqual(s, 200, b)
        [e] = b["data"]
        self.assertEqual((e["actor"]["id"], e["merchant"], e["outcome"]),
                         (self.owner_id, self.a, "success"))
        self.assertEqual(e["details"]["format"], "csv")
        self.assertEqual(e["details"]["filters"], {"merchant": self.a, "action": "api_key.*",
                                                   "outcome": "success"})
        self.assertEqual(e["details"]["records"], exported)

    def test_no_method_changes_or_deletes_audit_records(self):
        before = self.all_events(self.owner)
        target = before[0]["id"]
        paths = [f"/merchants/{self.a}/audit_events", f"/merchants/{self.a}/audit_events/{target}",
                 f"/merchants/{self.a}/audit_events/export"]
        for method in ("PUT", "PATCH", "DELETE", "POST"):
            for path in paths:
                s, _, b = self.owner.call(method, path, {"outcome": "failure"})
                self.assertIn(s, (404, 405), (method, path, b))
            for path in ("/audit_events", f"/audit_events/{target}", "/audit_events/export"):
                s, _, b = self.auditor.call(method, path, {"outcome": "failure"})
                self.assertIn(s, (404, 405), (method, path, b))
        after = {e["id"]: e for e in self.all_events(self.owner)}
        for e in before:
            self.assertEqual(after.get(e["id"]), e)
        r = harness.run_cli(["audit", "verify", "--data-dir", self.srv.data_dir])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_security_auditor_sees_every_merchant_and_filters_by_merchant(self):
        s, _, b = self.auditor.call("GET", "/audit_events?limit=100")
        self.assertEqual(s, 200, b)
        self.assertEqual(b["url"], "/ops/api/audit_events")
        every = self.all_events(self.auditor)
        merchants = {e["merchant"] for e in every}
        self.assertTrue({self.a, self.b} <= merchants, merchants)
        only_b = self.all_events(self.auditor, f"merchant={self.b}")
        self.assertTrue(only_b)
        self.assertEqual({e["merchant"] for e in only_b}, {self.b})
        self.assertEqual([e["id"] for e in only_b],
                         [e["id"] for e in self.all_events(self.owner_b, merchant=self.b)])
        s, _, b = self.events(self.auditor, "merchant=mer%20x")
        self.assertEqual((s, b["error"]["code"], b["error"]["param"]),
                         (400, "parameter_invalid", "merchant"), b)
        # pii:read: addresses unmasked.
        [e] = self.all_events(self.auditor, f"merchant={self.a}&action=role.create")
        self.assertEqual(e["actor"]["email"], self.owner_email)
        s, h, body = raw_get(self.auditor, f"/audit_events/export?format=jsonl&merchant={self.b}")
        self.assertEqual(s, 200, body)
        self.assertRegex(h["content-disposition"],
                         rf'^attachment; filename="audit-{self.b}-\d+-\d+\.jsonl"$')
        rows = [json.loads(line) for line in body.decode().splitlines()]
        self.assertEqual({r["merchant"] for r in rows}, {self.b})
        s, _, b = self.events(self.auditor, "action=audit.export&limit=1")
        [e] = b["data"]
        self.assertEqual((e["actor"]["type"], e["details"]["filters"]["merchant"]),
                         ("operator", self.b))

    def test_an_operator_without_audit_read_is_refused(self):
        for path in ("/audit_events", "/audit_events/export?format=csv"):
            s, _, b = self.ops_support.call("GET", path)
            self.assertEqual((s, b["error"]["code"]), (403, "permission_denied"), b)
        # A dashboard session is not an operator's.
        s, _, b = self.srv.get_json("ops", "/ops/api/audit_events",
                                    headers={"Cookie": f"__Host-lp_ops_session={self.owner.cookie}"})
        self.assertEqual(s, 401, b)


if __name__ == "__main__":
    unittest.main()
