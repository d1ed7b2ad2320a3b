"""Routing configuration on the payment path (PRODUCT.md §2; issue 19).

`GET/PUT /v1/routing`, `GET /v1/routing/versions`, `POST /v1/routing/versions/{n}/activate`,
`POST /v1/routing/simulate`, against a fresh merchant whose default sandbox account is disabled
and three sandbox accounts A, B, C (B soft-declines everything in one test):
- validation names the offending path; an account the merchant does not have is refused;
- a rule sends EUR payments to B, others use the fallback C; attempts record the rule and the
  version (`rule:<name>@v1`, `fallback[0]@v1`); simulate shows the same candidates;
- a soft decline on the rule's account cascades to the next candidate of the decision;
- every PUT is a new version; activating an earlier one rolls back; changes are audited;
- `customer_country` (a new optional payment parameter, ISO alpha-2) is matched by rules;
- `max_attempts` (1-5, default 3) is validated, versioned, shown by GET and the versions list,
  and cuts simulate's candidates (the rest listed in `skipped` as `beyond_max_attempts`);
- scopes: `routing:read` reads and simulates, `routing:write` changes; `connectors:*` alone no
  longer reaches routing; keys made before the routing scopes existed were given them by
  migration `routing_scopes` (re-applied here on a key made without them).
"""

from __future__ import annotations

import sqlite3
import unittest

from harness import Server, run_cli
from payments_helpers import Merchant, new_merchant, unique_key

ACCOUNTS = "/v1/connector_accounts"


class RoutingApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        self.m = new_merchant(self.srv, name="Routing " + unique_key("m"))
        for a in self.m.get(ACCOUNTS).json["data"]:
            self.m.call("PATCH", f"{ACCOUNTS}/{a['id']}", body={"status": "disabled"})
        self.ids = []
        for label, opts in (("A", None), ("B", None), ("C", None)):
            body = {"connector": "sandbox", "label": label}
            r = self.m.post(ACCOUNTS, body)
            self.assertEqual(r.status, 200, r)
            self.ids.append(r.json["id"])

    def put(self, cfg, m=None):
        return (m or self.m).call("PUT", "/v1/routing", body=cfg)

    def pay(self, currency="eur", token="tok_visa"):
        r = self.m.post("/v1/payments", {"amount": 2000, "currency": currency,
                                         "payment_method": token, "confirm": True},
                        idem=unique_key("rt"))
        self.assertEqual(r.status, 200, r)
        return r.json

    def eur_rule(self, account):
        return {"rules": [{"name": "eur", "conditions": {"currency": ["EUR"]},
                           "action": {"connector_account": account}}],
                "fallback": [self.ids[2]]}

    def test_unconfigured_is_creation_order(self):
        r = self.m.get("/v1/routing")
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json["version"], r.json)
        self.assertEqual((r.json["rules"], r.json["fallback"]), ([], []))
        p = self.pay()
        self.assertEqual(p["attempts"][0]["connector_account"], self.ids[0], p)
        self.assertEqual(p["attempts"][0]["routing_reason"], "default_order", p)

    def test_invalid_configurations_name_the_path_and_store_nothing(self):
        a = self.ids[0]
        cases = [
            ({"rules": [{"name": "x", "conditions": {"currency": "EUR"},
                         "action": {"connector_account": a}}]},
             "rules[0].conditions.currency"),
            ({"rules": [{"name": "x", "conditions": {}, "action": {"teleport": a}}]},
             "rules[0].action.teleport"),
            ({"fallback": ["ca_not_mine"]}, "fallback[0]"),
            ({"rules": [], "color": "blue"}, "color"),
        ]
        for body, param in cases:
            with self.subTest(param=param):
                r = self.put(body)
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.error["param"], param, r)
        self.assertEqual(self.m.get("/v1/routing/versions").json["data"], [])

    def test_rules_and_fallback_decide_and_attempts_record_rule_and_version(self):
        a, b, c = self.ids
        r = self.put(self.eur_rule(b))
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["version"], r.json["active"]), (1, True), r.json)
        self.assertEqual(self.m.get("/v1/routing").json["rules"][0]["name"], "eur")
        p = self.pay("eur")
        self.assertEqual(p["attempts"][0]["connector_account"], b, p)
        self.assertEqual(p["attempts"][0]["routing_reason"], "rule:eur@v1", p)
        q = self.pay("usd")
        self.assertEqual(q["attempts"][0]["connector_account"], c, q)
        self.assertEqual(q["attempts"][0]["routing_reason"], "fallback[0]@v1", q)
        s = self.m.post("/v1/routing/simulate", {"amount": 2000, "currency": "eur",
                                                 "payment_method": "tok_visa"})
        self.assertEqual(s.status, 200, s)
        self.assertEqual(s.json["rule"], "eur", s.json)
        self.assertEqual(s.json["version"], 1, s.json)
        self.assertEqual(s.json["candidates"][0]["connector_account"], b, s.json)
        # Simulating charges nothing and creates no payment.
        self.assertEqual(len(self.m.get("/v1/payments?limit=100").json["data"]), 2)

    def test_customer_country_is_a_payment_parameter_rules_use(self):
        a, b, c = self.ids
        cfg = {"rules": [{"name": "de", "conditions": {"customer_country": ["DE"]},
                          "action": {"connector_account": a}}], "fallback": [c]}
        self.assertEqual(self.put(cfg).status, 200)
        r = self.m.post("/v1/payments", {"amount": 900, "currency": "eur", "confirm": True,
                                         "payment_method": "tok_visa", "customer_country": "de"},
                        idem=unique_key("cc"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["customer_country"], "DE", r.json)
        self.assertEqual(r.json["attempts"][0]["routing_reason"], "rule:de@v1", r.json)
        self.assertEqual(self.pay("eur")["attempts"][0]["connector_account"], c)
        for bad in ("DEU", "d1", 49):
            r = self.m.post("/v1/payments", {"amount": 900, "currency": "eur",
                                             "customer_country": bad})
            self.assertEqual(r.status, 400, r)
            self.assertEqual(r.error["param"], "customer_country", r)
        s = self.m.post("/v1/routing/simulate", {"amount": 1, "currency": "eur",
                                                 "payment_method": "tok_visa",
                                                 "customer_country": "DE"})
        self.assertEqual(s.json["rule"], "de", s.json)

    def test_soft_decline_on_the_rules_account_cascades_to_the_next_candidate(self):
        r = self.m.post(ACCOUNTS, {"connector": "sandbox", "label": "soft",
                                   "options": {"simulate": "soft_decline"}})
        soft = r.json["id"]
        self.assertEqual(self.put(self.eur_rule(soft)).status, 200)
        p = self.pay("eur")
        self.assertEqual(p["status"], "succeeded", p)
        self.assertEqual([x["connector_account"] for x in p["attempts"]], [soft, self.ids[2]], p)
        self.assertEqual(p["attempts"][1]["routing_reason"], "cascade_after_soft_decline", p)

    def test_versions_and_rollback_are_audited(self):
        a, b, c = self.ids
        self.assertEqual(self.put(self.eur_rule(b)).json["version"], 1)
        self.assertEqual(self.put(self.eur_rule(a)).json["version"], 2)
        self.assertEqual(self.pay("eur")["attempts"][0]["connector_account"], a)
        vs = self.m.get("/v1/routing/versions").json["data"]
        self.assertEqual([(v["version"], v["active"]) for v in vs], [(2, True), (1, False)])
        r = self.m.post("/v1/routing/versions/1/activate", {})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["version"], r.json["active"]), (1, True), r.json)
        self.assertEqual(self.pay("eur")["attempts"][0]["connector_account"], b)
        self.assertEqual(self.m.post("/v1/routing/versions/9/activate", {}).status, 404)
        out = run_cli(["audit", "export", "--data-dir", self.srv.data_dir,
                       "--merchant", self.m.merchant_id])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.count('"action":"routing.update"'), 2, out.stdout)
        self.assertEqual(out.stdout.count('"action":"routing.activate"'), 1, out.stdout)

    def test_max_attempts_is_validated_versioned_and_cuts_simulate(self):
        a, b, c = self.ids
        self.assertEqual(self.m.get("/v1/routing").json["max_attempts"], 3)
        for bad in (0, 6, -1, "2", 2.5, None, True):
            with self.subTest(max_attempts=bad):
                r = self.put({"fallback": [a], "max_attempts": bad})
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.error["param"], "max_attempts", r)
        self.assertEqual(self.m.get("/v1/routing/versions").json["data"], [])
        r = self.put({"fallback": [a, b, c], "max_attempts": 2})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["version"], r.json["max_attempts"]), (1, 2), r.json)
        self.assertEqual(self.m.get("/v1/routing").json["max_attempts"], 2)
        sim = {"amount": 2000, "currency": "eur", "payment_method": "tok_visa"}
        s = self.m.post("/v1/routing/simulate", sim)
        self.assertEqual(s.status, 200, s)
        self.assertEqual(s.json["max_attempts"], 2, s.json)
        self.assertEqual([x["connector_account"] for x in s.json["candidates"]], [a, b], s.json)
        self.assertEqual(s.json["skipped"],
                         [{"connector_account": c, "reason": "beyond_max_attempts"}], s.json)
        # Absent: the default, rendered in the stored version.
        r = self.put({"fallback": [a, b, c]})
        self.assertEqual((r.json["version"], r.json["max_attempts"]), (2, 3), r.json)
        s = self.m.post("/v1/routing/simulate", sim)
        self.assertEqual(len(s.json["candidates"]), 3, s.json)
        self.assertEqual(s.json["skipped"], [], s.json)
        vs = self.m.get("/v1/routing/versions").json["data"]
        self.assertEqual([(v["version"], v["max_attempts"]) for v in vs], [(2, 3), (1, 2)])
        # Rolling back brings its max_attempts back.
        self.assertEqual(self.m.post("/v1/routing/versions/1/activate", {}).status, 200)
        s = self.m.post("/v1/routing/simulate", sim)
        self.assertEqual((s.json["version"], s.json["max_attempts"]), (1, 2), s.json)
        self.assertEqual(len(s.json["candidates"]), 2, s.json)

    def key(self, scopes):
        r = self.m.post("/v1/api_keys", {"type": "restricted", "scopes": scopes})
        self.assertEqual(r.status, 200, r)
        return Merchant(self.srv, r.json["secret"], self.m.merchant_id)

    def test_routing_scopes_guard_the_routing_api(self):
        sim = {"amount": 2000, "currency": "eur", "payment_method": "tok_visa"}
        ro = self.key(["routing:read"])
        self.assertEqual(ro.get("/v1/routing").status, 200)
        self.assertEqual(ro.get("/v1/routing/versions").status, 200)
        self.assertEqual(ro.post("/v1/routing/simulate", sim).status, 200)
        self.assertEqual(self.put(self.eur_rule(self.ids[1]), m=ro).status, 403)
        self.assertEqual(ro.post("/v1/routing/versions/1/activate", {}).status, 403)
        rw = self.key(["routing:write"])
        r = self.put(self.eur_rule(self.ids[1]), m=rw)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(rw.post("/v1/routing/versions/1/activate", {}).status, 200)
        self.assertEqual(rw.get("/v1/routing").status, 200)  # write includes read
        # routing:write does not reach the connector accounts, nor connectors:* routing.
        self.assertEqual(rw.get(ACCOUNTS).status, 403)
        cw = self.key(["connectors:write"])
        self.assertEqual(cw.get(ACCOUNTS).status, 200)
        self.assertEqual(cw.get("/v1/routing").status, 403)
        self.assertEqual(self.put(self.eur_rule(self.ids[0]), m=cw).status, 403)
        self.assertEqual(self.key(["connectors:read"]).post("/v1/routing/simulate", sim).status,
                         403)


class RoutingScopeMigrationTest(unittest.TestCase):
    def test_keys_made_before_the_routing_scopes_keep_their_routing_access(self):
        srv = Server()
        try:
            m = new_merchant(srv, name="Routing scope migration")
            made = {}
            for name, scopes in (("write", ["connectors:write"]), ("read", ["connectors:read"]),
                                 ("other", ["payments:read"])):
                r = m.post("/v1/api_keys", {"type": "restricted", "scopes": scopes})
                self.assertEqual(r.status, 200, r)
                made[name] = Merchant(srv, r.json["secret"], m.merchant_id)
            self.assertEqual(made["write"].get("/v1/routing").status, 403)
            # As if they were made before the migration: it runs again at the next start.
            srv.stop()
            conn = sqlite3.connect(srv.db_path)
            with conn:
                n = conn.execute("DELETE FROM schema_migrations WHERE name LIKE "
                                 "'%routing_scopes%'").rowcount
            conn.close()
            self.assertEqual(n, 1)
            srv.start()
            w, r, o = made["write"], made["read"], made["other"]
            self.assertEqual(w.call("PUT", "/v1/routing", body={"fallback": []}).status, 200)
            self.assertEqual(w.get("/v1/connector_accounts").status, 200)
            self.assertEqual(r.get("/v1/routing").status, 200)
            self.assertEqual(r.call("PUT", "/v1/routing", body={"fallback": []}).status, 403)
            self.assertEqual(o.get("/v1/routing").status, 403)
            keys = {k["id"]: k["scopes"] for k in m.get("/v1/api_keys?limit=100").json["data"]
                    if k.get("scopes")}
            self.assertIn(["connectors:write", "routing:write"], list(keys.values()), keys)
            self.assertIn(["connectors:read", "routing:read"], list(keys.values()), keys)
        finally:
            srv.cleanup()

if __name__ == "__main__":
    unittest.main()
