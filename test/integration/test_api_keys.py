"""API keys over real HTTPS (PRODUCT.md §2): create (secret, restricted, publishable), list, roll
with a grace period, revoke; scopes enforced per route; every change audited; the key itself is
shown once and stored nowhere (only a keyed hash)."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import sqlite3
import time
import unittest

import harness
from payments_helpers import Merchant, Resp, dev_merchant


def db_rows(srv, sql, params=()):
    """Rows of a read-only query against the server's SQLite database (while it runs)."""
    conn = sqlite3.connect(f"file:{srv.db_path}?mode=ro", uri=True, timeout=10)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def wait_rows(srv, sql, params=(), want=1, timeout=5.0):
    """Polls until the query returns at least `want` rows (writes may be asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = db_rows(srv, sql, params)
        if len(rows) >= want or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


class ApiKeysTest(unittest.TestCase):
    """One dev server for the class; `self.m` holds the dev merchant's secret key."""

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()
        try:
            cls.m = dev_merchant(cls.srv)
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    # -- helpers ----------------------------------------------------------------------------
    def assertError(self, r: Resp, status, code=None, param=None, etype=None):
        err = harness.assert_error_shape(self, r.status, r.headers, r.body, expect_status=status)
        if code is not None:
            self.assertEqual(err["code"], code, r)
        if param is not None:
            self.assertEqual(err.get("param"), param, r)
        if etype is not None:
            self.assertEqual(err["type"], etype, r)
        return err

    def create(self, by: Merchant | None = None, **body) -> dict:
        r = (by or self.m).post("/v1/api_keys", body)
        self.assertEqual(r.status, 200, r)
        return r.json

    def key(self, doc) -> Merchant:
        return Merchant(self.srv, doc["secret"], self.m.merchant_id)

    def listed(self, by: Merchant | None = None) -> dict:
        out, after = {}, None
        while True:
            q = "/v1/api_keys?limit=100" + (f"&starting_after={after}" if after else "")
            r = (by or self.m).get(q)
            self.assertEqual(r.status, 200, r)
            for k in r.json["data"]:
                out[k["id"]] = k
            if not r.json["has_more"]:
                return out
            after = r.json["data"][-1]["id"]

    def assert_works(self, key: Merchant, msg=""):
        r = key.get("/v1/payments?limit=1")
        self.assertEqual(r.status, 200, f"{msg}: {r}")

    def assert_401(self, key: Merchant, msg=""):
        r = key.get("/v1/payments?limit=1")
        self.assertError(r, 401, code="invalid_api_key", etype="authentication_error")

    # -- creation -----------------------------------------------------------------------------
    def test_create_secret_key(self):
        before = time.time()
        r = self.m.post("/v1/api_keys", {"type": "secret"})
        self.assertEqual(r.status, 200, r)
        k = r.json
        self.assertEqual(k["object"], "api_key")
        self.assertEqual(k["type"], "secret")
        self.assertTrue(k["id"].startswith("key_"), k)
        self.assertRegex(k["secret"], r"^sk_test_[A-Za-z0-9]{24,}$")
        self.assertEqual(k["prefix"], "sk_test_")
        self.assertEqual(k["last4"], k["secret"][-4:])
        self.assertIs(k["livemode"], False)
        self.assertEqual(k["status"], "active")
        self.assertIsNone(k["scopes"])
        self.assertEqual(k["allowed_cidrs"], [])
        self.assertLessEqual(abs(k["created"] - before), 5)
        self.assertIsNone(k["expires_at"])
        self.assertIsNone(k["revoked_at"])
        self.assertIsNone(k["last_used_at"])
        self.assertIsNone(k["last_used_ip"])
        self.assert_works(self.key(k))
        # Default type is secret.
        d = self.create()
        self.assertEqual(d["type"], "secret")
        self.assertTrue(d["secret"].startswith("sk_test_"))

    def test_create_restricted_key(self):
        k = self.create(type="restricted", scopes=["payments:read", "events:read"])
        self.assertEqual(k["type"], "restricted")
        self.assertRegex(k["secret"], r"^rk_test_[A-Za-z0-9]{24,}$")
        self.assertEqual(k["prefix"], "rk_test_")
        self.assertEqual(k["scopes"], ["payments:read", "events:read"])
        self.assert_works(self.key(k))

    def test_restricted_key_requires_known_scopes(self):
        r = self.m.post("/v1/api_keys", {"type": "restricted"})
        self.assertError(r, 400, param="scopes", etype="invalid_request_error")
        for bad in (["payments:delete"], ["payments:read", "bogus"], [], "payments:read", [1],
                    ["PAYMENTS:READ"], ["*"]):
            with self.subTest(scopes=bad):
                r = self.m.post("/v1/api_keys", {"type": "restricted", "scopes": bad})
                self.assertError(r, 400, param="scopes", etype="invalid_request_error")
        # Scopes belong to restricted keys only.
        r = self.m.post("/v1/api_keys", {"type": "secret", "scopes": ["payments:read"]})
        self.assertError(r, 400, param="scopes")
        # Every documented scope is accepted.
        every = ["payments:read", "payments:write", "refunds:write", "connectors:read",
                 "connectors:write", "routing:read", "routing:write", "webhooks:read",
                 "webhooks:write", "events:read", "api_keys:write"]
        k = self.create(type="restricted", scopes=every)
        self.assertEqual(sorted(k["scopes"]), sorted(every))

    def test_create_rejects_bad_parameters_and_persists_nothing(self):
        before = set(self.listed())
        for body, param in ((({"type": "admin"}), "type"),
                            ({"type": "secret", "unknown": 1}, "unknown"),
                            ({"allowed_cidrs": ["10.0.0.0/33"]}, "allowed_cidrs[0]"),
                            ({"allowed_cidrs": ["127.0.0.1", "foo"]}, "allowed_cidrs[1]"),
                            ({"allowed_cidrs": "10.0.0.0/8"}, "allowed_cidrs"),
                            ({"expires_at": int(time.time()) - 10}, "expires_at"),
                            ({"expires_at": "tomorrow"}, "expires_at")):
            with self.subTest(body=body):
                r = self.m.post("/v1/api_keys", body)
                self.assertError(r, 400, param=param, etype="invalid_request_error")
        self.assertEqual(set(self.listed()), before)

    def test_create_publishable_key(self):
        k = self.create(type="publishable")
        self.assertEqual(k["type"], "publishable")
        self.assertRegex(k["secret"], r"^pk_test_[A-Za-z0-9]{24,}$")
        self.assertEqual(k["prefix"], "pk_test_")
        self.assertIsNone(k["scopes"])

    def test_allowed_cidrs_are_canonical(self):
        k = self.create(allowed_cidrs=["127.0.0.1", "1.2.3.4/8", "2001:DB8::1/32"])
        self.assertEqual(k["allowed_cidrs"], ["127.0.0.1/32", "1.0.0.0/8", "2001:db8::/32"])
        self.assertEqual(self.listed()[k["id"]]["allowed_cidrs"], k["allowed_cidrs"])

    def test_expires_at_is_kept_and_shown(self):
        exp = int(time.time()) + 3600
        k = self.create(expires_at=exp)
        self.assertEqual(k["expires_at"], exp)
        self.assertEqual(self.listed()[k["id"]]["expires_at"], exp)
        self.assert_works(self.key(k))

    # -- listing ------------------------------------------------------------------------------
    def test_secret_shown_once_and_list_shows_metadata_and_last_use(self):
        k = self.create(type="restricted", scopes=["payments:read"], allowed_cidrs=["127.0.0.0/8"])
        r = self.m.get("/v1/api_keys?limit=100")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["object"], "list")
        self.assertNotIn(k["secret"].encode(), r.body)
        self.assertNotIn(k["secret"][8:].encode(), r.body)
        for item in r.json["data"]:
            self.assertNotIn("secret", item, item)
        listed = self.listed()
        item = listed[k["id"]]
        self.assertEqual(item["prefix"], "rk_test_")
        self.assertEqual(item["last4"], k["secret"][-4:])
        self.assertEqual(item["scopes"], ["payments:read"])
        self.assertEqual(item["allowed_cidrs"], ["127.0.0.0/8"])
        self.assertEqual(item["created"], k["created"])
        self.assertEqual(item["status"], "active")
        self.assertIsNone(item["last_used_at"])
        self.assertIsNone(item["last_used_ip"])
        # The key is used; last use is recorded (asynchronously).
        used_at = time.time()
        self.assert_works(self.key(k))
        deadline = time.monotonic() + 5
        while True:
            item = self.listed()[k["id"]]
            if item["last_used_at"] is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertIsNotNone(item["last_used_at"], item)
        self.assertLessEqual(abs(item["last_used_at"] - used_at), 5, item)
        self.assertEqual(item["last_used_ip"], "127.0.0.1")
        # The secret is never readable again, not even by its own id.
        self.assertNotIn(k["secret"].encode(), self.m.get("/v1/api_keys?limit=100").body)

    def test_list_pagination(self):
        ids = [self.create(type="publishable")["id"] for _ in range(3)]
        r = self.m.get("/v1/api_keys?limit=2")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["data"]), 2)
        self.assertTrue(r.json["has_more"])
        self.assertEqual([d["id"] for d in r.json["data"]], list(reversed(ids))[:2])
        r2 = self.m.get(f"/v1/api_keys?limit=2&starting_after={r.json['data'][-1]['id']}")
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual(r2.json["data"][0]["id"], ids[0])
        # Back again: the page before ids[0], newest first.
        r3 = self.m.get(f"/v1/api_keys?limit=2&ending_before={ids[0]}")
        self.assertEqual(r3.status, 200, r3)
        self.assertEqual([d["id"] for d in r3.json["data"]], [ids[2], ids[1]])
        self.assertError(self.m.get("/v1/api_keys?limit=0"), 400, param="limit")
        self.assertError(self.m.get("/v1/api_keys?starting_after=key_nope"), 400,
                         param="starting_after")
        self.assertError(self.m.get("/v1/api_keys?ending_before=key_nope"), 400,
                         param="ending_before")

    # -- rolling ------------------------------------------------------------------------------
    def test_roll_default_grace_keeps_the_old_key_for_24h(self):
        old = self.create()
        rolled_at = time.time()
        r = self.m.post(f"/v1/api_keys/{old['id']}/roll", {})
        self.assertEqual(r.status, 200, r)
        new = r.json
        self.assertNotEqual(new["id"], old["id"])
        self.assertTrue(new["id"].startswith("key_"))
        self.assertEqual(new["rolled_from"], old["id"])
        self.assertRegex(new["secret"], r"^sk_test_")
        self.assertNotEqual(new["secret"], old["secret"])
        self.assertEqual(new["status"], "active")
        self.assertEqual(new["last4"], new["secret"][-4:])
        self.assert_works(self.key(old), "old key inside its grace period")
        self.assert_works(self.key(new), "new key")
        listed = self.listed()
        o = listed[old["id"]]
        self.assertEqual(o["status"], "rolling")
        self.assertEqual(o["rolled_to"], new["id"])
        self.assertIsNotNone(o["expires_at"])
        self.assertLessEqual(abs(o["expires_at"] - (rolled_at + 24 * 3600)), 5, o)
        self.assertEqual(listed[new["id"]]["status"], "active")
        self.assertNotIn("secret", listed[new["id"]])
        # A key being rolled cannot be rolled again.
        self.assertError(self.m.post(f"/v1/api_keys/{old['id']}/roll", {}), 409,
                         code="invalid_state")

    def test_roll_with_explicit_grace(self):
        old = self.create()
        r = self.m.post(f"/v1/api_keys/{old['id']}/roll", {"grace_period_hours": 168})
        self.assertEqual(r.status, 200, r)
        o = self.listed()[old["id"]]
        self.assertLessEqual(abs(o["expires_at"] - (time.time() + 168 * 3600)), 5, o)
        self.assert_works(self.key(old))

    def test_roll_with_zero_grace_refuses_the_old_key_at_once(self):
        old = self.create()
        self.assert_works(self.key(old))  # cached as valid on the server
        r = self.m.post(f"/v1/api_keys/{old['id']}/roll", {"grace_period_hours": 0})
        self.assertEqual(r.status, 200, r)
        self.assert_401(self.key(old), "old key after a roll with no grace")
        self.assert_works(self.key(r.json), "new key")
        self.assertEqual(self.listed()[old["id"]]["status"], "revoked")

    def test_roll_rejects_bad_grace_naming_grace_period_hours(self):
        old = self.create()
        for bad in (169, -1, 1.5, "24", True, 10 ** 12):
            with self.subTest(grace=bad):
                r = self.m.post(f"/v1/api_keys/{old['id']}/roll", {"grace_period_hours": bad})
                self.assertError(r, 400, param="grace_period_hours",
                                 etype="invalid_request_error")
        # Nothing changed.
        self.assertEqual(self.listed()[old["id"]]["status"], "active")
        self.assert_works(self.key(old))

    def test_roll_and_revoke_unknown_key_is_404(self):
        self.assertError(self.m.post("/v1/api_keys/key_doesnotexist/roll", {}), 404)
        self.assertError(self.m.call("DELETE", "/v1/api_keys/key_doesnotexist"), 404)

    def test_restricted_roll_keeps_scopes(self):
        old = self.create(type="restricted", scopes=["payments:read"])
        r = self.m.post(f"/v1/api_keys/{old['id']}/roll", {"grace_period_hours": 0})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["type"], "restricted")
        self.assertEqual(r.json["scopes"], ["payments:read"])
        self.assertRegex(r.json["secret"], r"^rk_test_")
        new = self.key(r.json)
        self.assert_works(new)
        self.assertError(new.create_payment(), 403, code="permission_denied")

    # -- revocation -----------------------------------------------------------------------------
    def test_delete_revokes_at_once(self):
        k = self.create()
        key = self.key(k)
        self.assert_works(key)  # cached as valid on the server
        r = self.m.call("DELETE", f"/v1/api_keys/{k['id']}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["id"], k["id"])
        self.assertEqual(r.json["status"], "revoked")
        self.assertIsNotNone(r.json["revoked_at"])
        self.assertNotIn("secret", r.json)
        self.assert_401(key, "revoked key")
        self.assertError(key.create_payment(), 401, code="invalid_api_key")
        self.assertEqual(self.listed()[k["id"]]["status"], "revoked")
        # A revoked key cannot be rolled back to life.
        self.assertError(self.m.post(f"/v1/api_keys/{k['id']}/roll", {}), 409,
                         code="invalid_state")

    def test_a_key_can_revoke_itself(self):
        k = self.create()
        key = self.key(k)
        r = key.call("DELETE", f"/v1/api_keys/{k['id']}")
        self.assertEqual(r.status, 200, r)
        self.assert_401(key)

    # -- scopes -------------------------------------------------------------------------------
    def test_restricted_key_allowed_and_refused_routes(self):
        k = self.key(self.create(type="restricted", scopes=["payments:read"]))
        self.assertEqual(k.get("/v1/payments").status, 200)
        pay = self.m.pay(self)
        self.assertEqual(k.get(f"/v1/payments/{pay['id']}").status, 200)
        for method, path, body in (("POST", "/v1/payments", {"amount": 100, "currency": "usd"}),
                                   ("POST", "/v1/refunds", {"payment": "pay_x"}),
                                   ("GET", "/v1/events", None),
                                   ("GET", "/v1/api_keys", None),
                                   ("POST", "/v1/api_keys", {"type": "publishable"})):
            with self.subTest(route=f"{method} {path}"):
                r = k.call(method, path, body=body)
                err = self.assertError(r, 403, code="permission_denied", etype="permission_error")
                self.assertNotIn(k.api_key, err["message"])

    def test_write_scope_implies_read(self):
        k = self.key(self.create(type="restricted", scopes=["payments:write"]))
        self.assertEqual(k.get("/v1/payments").status, 200)
        r = k.create_payment(payment_method="tok_visa", confirm=True)
        self.assertEqual(r.status, 200, r)
        self.assertError(k.post("/v1/refunds", {"payment": r.json["id"]}), 403,
                         code="permission_denied")

    def test_publishable_key_refused_by_secret_key_endpoints(self):
        k = self.key(self.create(type="publishable"))
        for method, path, body in (("GET", "/v1/payments", None),
                                   ("POST", "/v1/payments", {"amount": 100, "currency": "usd"}),
                                   ("GET", "/v1/refunds", None),
                                   ("GET", "/v1/events", None),
                                   ("GET", "/v1/api_keys", None),
                                   ("POST", "/v1/api_keys", {"type": "publishable"})):
            with self.subTest(route=f"{method} {path}"):
                r = k.call(method, path, body=body)
                self.assertError(r, 403, code="permission_denied", etype="permission_error")

    def test_restricted_key_cannot_create_a_stronger_key(self):
        admin = self.key(self.create(type="restricted", scopes=["api_keys:write"]))
        before = set(self.listed())
        r = admin.post("/v1/api_keys", {"type": "secret"})
        self.assertError(r, 403, code="permission_denied", etype="permission_error")
        r = admin.post("/v1/api_keys", {})  # the default type is secret
        self.assertError(r, 403, code="permission_denied")
        r = admin.post("/v1/api_keys", {"type": "restricted", "scopes": ["payments:write"]})
        self.assertError(r, 403, code="permission_denied")
        self.assertEqual(set(self.listed()), before)
        # Within its own scopes it may.
        r = admin.post("/v1/api_keys", {"type": "restricted", "scopes": ["api_keys:write"]})
        self.assertEqual(r.status, 200, r)

    def test_restricted_key_cannot_roll_or_revoke_a_secret_key(self):
        secret = self.create()
        admin = self.key(self.create(type="restricted", scopes=["api_keys:write"]))
        self.assertError(admin.post(f"/v1/api_keys/{secret['id']}/roll", {}), 403,
                         code="permission_denied")
        self.assertError(admin.call("DELETE", f"/v1/api_keys/{secret['id']}"), 403,
                         code="permission_denied")
        self.assert_works(self.key(secret))
        self.assertEqual(self.listed()[secret["id"]]["status"], "active")

    def test_restricted_key_cannot_roll_a_key_with_scopes_it_lacks(self):
        """Rolling must not mint a key stronger than the caller (CreateApiKey's own rule)."""
        strong = self.create(type="restricted", scopes=["payments:write", "refunds:write"])
        weak = self.key(self.create(type="restricted", scopes=["api_keys:write"]))
        r = weak.post(f"/v1/api_keys/{strong['id']}/roll", {"grace_period_hours": 0})
        self.assertError(r, 403, code="permission_denied")
        self.assert_works(self.key(strong))

    # -- audit and storage ----------------------------------------------------------------------
    def test_create_roll_revoke_are_audited(self):
        r = self.m.post("/v1/api_keys", {"type": "restricted", "scopes": ["payments:read"]})
        self.assertEqual(r.status, 200, r)
        k, create_req = r.json, r.headers["request-id"]
        r = self.m.post(f"/v1/api_keys/{k['id']}/roll", {"grace_period_hours": 1})
        self.assertEqual(r.status, 200, r)
        new, roll_req = r.json, r.headers["request-id"]
        r = self.m.call("DELETE", f"/v1/api_keys/{new['id']}")
        self.assertEqual(r.status, 200, r)
        revoke_req = r.headers["request-id"]

        dev_key_id = db_rows(self.srv, "SELECT id FROM api_keys WHERE last4 = ? AND type = 'secret'",
                             (self.m.api_key[-4:],))
        self.assertTrue(dev_key_id)
        for action, target, req in (("api_key.create", k["id"], create_req),
                                    ("api_key.roll", k["id"], roll_req),
                                    ("api_key.revoke", new["id"], revoke_req)):
            with self.subTest(action=action):
                rows = wait_rows(self.srv, "SELECT * FROM audit_log WHERE action = ? AND target = ?",
                                 (action, target))
                self.assertEqual(len(rows), 1, rows)
                row = rows[0]
                self.assertEqual(row["actor_type"], "api_key")
                self.assertIn(row["actor_id"], [d["id"] for d in dev_key_id])
                self.assertEqual(row["merchant_id"], self.m.merchant_id)
                self.assertEqual(row["outcome"], "success")
                self.assertEqual(row["source_ip"], "127.0.0.1")
                self.assertEqual(row["request_id"], req)
                self.assertLessEqual(abs(row["time"] / 1e6 - time.time()), 60)
                details = json.loads(row["details"])
                self.assertIsInstance(details, dict)
                for secret in (k["secret"], new["secret"]):
                    self.assertNotIn(secret[8:], row["details"])
        roll = db_rows(self.srv, "SELECT details FROM audit_log WHERE action = 'api_key.roll' "
                                 "AND target = ?", (k["id"],))[0]
        self.assertEqual(json.loads(roll["details"]).get("new_key"), new["id"])
        # The chain links.
        rows = db_rows(self.srv, "SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq")
        for a, b in zip(rows, rows[1:]):
            self.assertEqual(b["seq"], a["seq"] + 1)
            self.assertEqual(b["prev_hash"], a["hash"])

    def test_refused_changes_are_not_audited_as_success(self):
        secret = self.create()
        admin = self.key(self.create(type="restricted", scopes=["api_keys:write"]))
        r = admin.call("DELETE", f"/v1/api_keys/{secret['id']}")
        self.assertEqual(r.status, 403, r)
        rows = db_rows(self.srv, "SELECT * FROM audit_log WHERE target = ? AND outcome = 'success' "
                                 "AND action != 'api_key.create'", (secret["id"],))
        self.assertEqual(rows, [])

    def test_keys_are_stored_nowhere_in_the_database_or_logs(self):
        secrets = [self.create()["secret"],
                   self.create(type="restricted", scopes=["payments:read"])["secret"],
                   self.create(type="publishable")["secret"]]
        old = self.create()
        r = self.m.post(f"/v1/api_keys/{old['id']}/roll", {})
        self.assertEqual(r.status, 200, r)
        secrets += [old["secret"], r.json["secret"]]
        for s in secrets:  # use them, so last-use bookkeeping runs too
            Merchant(self.srv, s).get("/v1/payments?limit=1")
        # Stored as the keyed hash only: no column of api_keys holds the key.
        rows = db_rows(self.srv, "SELECT * FROM api_keys")
        for s in secrets:
            for row in rows:
                for col, v in row.items():
                    if isinstance(v, str):
                        self.assertNotIn(s[8:], v, f"api_keys.{col}")
                        # Not an unkeyed hash either.
                        self.assertNotEqual(v, hashlib.sha256(s.encode()).hexdigest(), col)
        time.sleep(0.5)  # let asynchronous writes (last use) reach the WAL
        blobs = {}
        for path in glob.glob(self.srv.db_path + "*"):
            with open(path, "rb") as f:
                blobs[os.path.basename(path)] = f.read()
        self.assertTrue(any(name.endswith(".db") for name in blobs), blobs.keys())
        for s in secrets:
            for name, data in blobs.items():
                self.assertNotIn(s.encode(), data, f"{s[:8]}… found in {name}")
                self.assertNotIn(s[8:].encode(), data, f"key body found in {name}")
        log = self.srv.log_text()
        for s in secrets:
            self.assertNotIn(s[8:], log, "a key in the server log")


if __name__ == "__main__":
    unittest.main()
