"""An idempotent replay is authorised like the original request (PRODUCT.md §2, issue 12 item 1).

A stored response is replayed only to a key that could have made the request itself: the route's
permission and every handler-level rule (key type, scopes it would grant, the scopes of the key it
acts on). For every POST route, a stronger key makes a request under an Idempotency-Key, then a
weaker key sends the same request under the same key: it must get 403 and never the stored
response. A key as strong as the first one does get the replay (the mechanism still works).
"""

from __future__ import annotations

import json
import unittest

import harness
from payments_helpers import Merchant, Resp, dev_merchant, unique_key

ALL_SCOPES = ["payments:read", "payments:write", "refunds:write", "connectors:read",
              "connectors:write", "routing:read", "routing:write", "webhooks:read",
              "webhooks:write", "events:read", "api_keys:write"]


def without(*drop):
    """Every scope but `drop` (a dropped x:write also drops x:read? no: only what is named)."""
    return [s for s in ALL_SCOPES if s not in drop]


class ReplayAuthorizationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()
        try:
            cls.m = dev_merchant(cls.srv)
            # A second secret key: as strong as the first, so it may replay.
            cls.peer = cls.restricted_or_secret({"type": "secret"})
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    @classmethod
    def restricted_or_secret(cls, body) -> Merchant:
        r = cls.m.post("/v1/api_keys", body)
        if r.status != 200:
            raise AssertionError(f"create key {body} -> {r}")
        return Merchant(cls.srv, r.json["secret"], cls.m.merchant_id)

    def restricted(self, scopes) -> Merchant:
        return self.restricted_or_secret({"type": "restricted", "scopes": scopes})

    # -- fixtures for the routes --------------------------------------------------------------
    def manual_payment(self) -> dict:
        r = self.m.post("/v1/payments", {"amount": 1500, "currency": "usd",
                                         "payment_method": "tok_visa", "confirm": True,
                                         "capture_method": "manual"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "requires_capture", r)
        return r.json

    def unconfirmed_payment(self) -> dict:
        r = self.m.post("/v1/payments", {"amount": 700, "currency": "usd",
                                         "payment_method": "tok_visa"})
        self.assertEqual(r.status, 200, r)
        return r.json

    def succeeded_payment(self) -> dict:
        r = self.m.post("/v1/payments", {"amount": 900, "currency": "usd",
                                         "payment_method": "tok_visa", "confirm": True})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "succeeded", r)
        return r.json

    def endpoint(self) -> dict:
        r = self.m.post("/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/hook",
                                                  "enabled_events": ["*"]})
        self.assertEqual(r.status, 200, r)
        return r.json

    def key(self, body) -> dict:
        r = self.m.post("/v1/api_keys", body)
        self.assertEqual(r.status, 200, r)
        return r.json

    def cases(self):
        """(name, path, body, scopes of the weaker key) for every POST route. Each call sets up
        fresh objects, so the first request of every case succeeds."""
        ep = self.endpoint()
        pay_for_event = self.succeeded_payment()
        events = [e for e in self.m.all_events() if e["data"]["object"]["id"] == pay_for_event["id"]]
        self.assertTrue(events, "the payment emitted no event")
        rk_target = self.key({"type": "restricted", "scopes": ["connectors:write", "events:read"]})
        sk_target = self.key({"type": "secret"})
        return [
            ("create payment", "/v1/payments",
             {"amount": 1000, "currency": "usd", "payment_method": "tok_visa", "confirm": True},
             without("payments:write")),
            ("confirm payment", f"/v1/payments/{self.unconfirmed_payment()['id']}/confirm", {},
             without("payments:write")),
            ("capture payment", f"/v1/payments/{self.manual_payment()['id']}/capture",
             {"amount_to_capture": 1000}, without("payments:write")),
            ("cancel payment", f"/v1/payments/{self.manual_payment()['id']}/cancel", {},
             without("payments:write")),
            ("refund", "/v1/refunds", {"payment": self.succeeded_payment()["id"], "amount": 100},
             without("refunds:write")),
            ("connector account", "/v1/connector_accounts",
             {"connector": "sandbox", "label": "replay"}, without("connectors:write")),
            ("webhook endpoint (carries a whsec_ secret)", "/v1/webhook_endpoints",
             {"url": "http://127.0.0.1:9/other", "enabled_events": ["payment.succeeded"]},
             without("webhooks:write")),
            ("rotate webhook secret", f"/v1/webhook_endpoints/{ep['id']}/rotate_secret", {},
             without("webhooks:write")),
            ("redeliver event", f"/v1/events/{events[0]['id']}/redeliver", {},
             without("webhooks:write")),
            ("create secret key: restricted keys never may", "/v1/api_keys", {"type": "secret"},
             ALL_SCOPES),
            ("create restricted key with scopes the replayer lacks", "/v1/api_keys",
             {"type": "restricted", "scopes": ["payments:write", "webhooks:write"]},
             ["api_keys:write", "payments:write"]),
            ("roll a secret key", f"/v1/api_keys/{sk_target['id']}/roll",
             {"grace_period_hours": 1}, ALL_SCOPES),
            ("roll a restricted key with scopes the replayer lacks",
             f"/v1/api_keys/{rk_target['id']}/roll", {"grace_period_hours": 1},
             ["api_keys:write", "payments:write", "events:read"]),
        ]

    def test_weaker_key_never_receives_a_stronger_keys_stored_response(self):
        for name, path, body, weak_scopes in self.cases():
            with self.subTest(route=name, path=path):
                idem = unique_key("replay")
                first = self.m.post(path, body, idem=idem)
                self.assertEqual(first.status, 200, first)
                weak = self.restricted(weak_scopes)
                # Without the header the weaker key is refused ...
                plain = weak.post(path, body)
                self.assertEqual(plain.status, 403, plain)
                # ... and with the stronger key's Idempotency-Key it is refused alike.
                replay = weak.post(path, body, idem=idem)
                self.assertEqual(replay.status, 403, replay)
                self.assertEqual(replay.error.get("code"), "permission_denied", replay)
                self.assertNotIn("idempotent-replayed", replay.headers)
                self.assertNotEqual(replay.body, first.body)
                for secret_field in ("secret",):
                    if isinstance(first.json, dict) and secret_field in first.json:
                        self.assertNotIn(first.json[secret_field].encode(), replay.body)
                # A key that could have made the request gets the stored answer byte for byte.
                again = self.peer.post(path, body, idem=idem)
                self.assertEqual(again.status, 200, again)
                self.assertEqual(again.headers.get("idempotent-replayed"), "true", again)
                self.assertEqual(again.body, first.body)

    def test_replay_to_a_key_with_the_needed_scopes_works(self):
        # A restricted key holding every grant the request needed may replay it: the rule is
        # "could have made it", not "is the same key".
        idem = unique_key("replay-ok")
        body = {"type": "restricted", "scopes": ["payments:read"]}
        first = self.m.post("/v1/api_keys", body, idem=idem)
        self.assertEqual(first.status, 200, first)
        able = self.restricted(["api_keys:write", "payments:read"])
        again = able.post("/v1/api_keys", body, idem=idem)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(again.body, first.body)

    def test_stored_grants_are_kept_with_the_record(self):
        # The record remembers what the request needed (the design the note documents).
        import sqlite3
        idem = unique_key("grants")
        sk = self.key({"type": "secret"})
        r = self.m.post(f"/v1/api_keys/{sk['id']}/roll", {"grace_period_hours": 0}, idem=idem)
        self.assertEqual(r.status, 200, r)
        conn = sqlite3.connect(f"file:{self.srv.db_path}?mode=ro", uri=True, timeout=10)
        try:
            row = conn.execute("SELECT required_grants FROM idempotency_keys WHERE key = ?",
                               (idem,)).fetchone()
        finally:
            conn.close()
        self.assertIsNotNone(row)
        self.assertEqual(set(row[0].split()), {"api_keys:write", "api_keys:secret"})


class RevokeRuleTest(unittest.TestCase):
    """One rule for create, roll and revoke (issue 12 item 5): a restricted key may revoke only
    keys whose scopes it holds, and never a secret key."""

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

    def key(self, body) -> dict:
        r = self.m.post("/v1/api_keys", body)
        self.assertEqual(r.status, 200, r)
        return r.json

    def as_key(self, doc) -> Merchant:
        return Merchant(self.srv, doc["secret"], self.m.merchant_id)

    def test_restricted_key_cannot_revoke_stronger_keys(self):
        revoker = self.as_key(self.key({"type": "restricted",
                                        "scopes": ["api_keys:write", "payments:read"]}))
        secret = self.key({"type": "secret"})
        stronger = self.key({"type": "restricted", "scopes": ["payments:write"]})
        for target in (secret, stronger):
            with self.subTest(target=target["type"], scopes=target.get("scopes")):
                r = revoker.call("DELETE", f"/v1/api_keys/{target['id']}")
                self.assertEqual(r.status, 403, r)
                self.assertEqual(r.error["code"], "permission_denied")
                # Still works.
                t = self.as_key(target).get("/v1/payments?limit=1")
                self.assertEqual(t.status, 200, t)

    def test_restricted_key_can_revoke_keys_within_its_scopes(self):
        revoker = self.as_key(self.key({"type": "restricted",
                                        "scopes": ["api_keys:write", "payments:write"]}))
        for body in ({"type": "restricted", "scopes": ["payments:read"]},
                     {"type": "restricted", "scopes": ["payments:write"]},
                     {"type": "publishable"}):
            with self.subTest(body=body):
                target = self.key(body)
                r = revoker.call("DELETE", f"/v1/api_keys/{target['id']}")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["status"], "revoked")

    def test_secret_key_revokes_anything(self):
        target = self.key({"type": "secret"})
        r = self.m.call("DELETE", f"/v1/api_keys/{target['id']}")
        self.assertEqual(r.status, 200, r)


if __name__ == "__main__":
    unittest.main()
