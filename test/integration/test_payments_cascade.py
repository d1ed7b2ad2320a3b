"""Cascading to the next connector account (PRODUCT.md §2, §8; issue 19).

Each test uses a fresh merchant whose default sandbox account is disabled, then sandbox accounts
created in the order routing tries them, the first ones with `options: {"simulate": …}`:
- a soft decline, or "unavailable" (connection refused before sending: provably no charge), moves
  the payment to the next account as a new attempt with its own idempotency key; the payment
  succeeds there with every attempt on it, one `payment.succeeded` and one charge in the sandbox
  ledger;
- a hard decline stops at once; a timeout never cascades (the first PSP may have charged: the
  payment goes `processing` and recovery settles it, one attempt); a named account is never left;
- at most three attempts per confirmation by default; the routing configuration's
  `max_attempts` (1-5) changes it: 1 never cascades after a soft decline, 2 stops after two, 5
  reaches a fourth account;
- kill -9 while the cascaded attempt is in flight: after restart the payment is final and has at
  most one successful charge;
- circuit breakers: an account that keeps failing (20 calls, all refused) is opened, shown open on
  the ops listener (`/circuit-breakers`, `liasonpay_circuit_breaker_state` 2) and counted as a
  security event, and routing then tries it last: payments go straight to the healthy account with
  one attempt. (Half-open probes and closing are unit-tested with a fake clock in
  test/routing/.)
"""

from __future__ import annotations

import json
import threading
import time
import unittest

from harness import Server, run_cli
from payments_helpers import authorize_count, ledger_entries, new_merchant, unique_key

ACCOUNTS = "/v1/connector_accounts"


def successful_charges(srv, payment_id):
    return [e for e in ledger_entries(srv) if e.get("payment_id") == payment_id
            and e.get("operation") == "authorize" and e.get("outcome") in ("authorized", "captured")]


class CascadeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(extra_args=["--psp-timeout-ms", "700", "--recovery-interval-ms", "300"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def merchant(self, *simulate, srv=None):
        """A fresh merchant with sandbox accounts in this order; None = no simulation."""
        m = new_merchant(srv or self.srv, name="Cascade " + unique_key("m"))
        for a in m.get(ACCOUNTS).json["data"]:
            r = m.call("PATCH", f"{ACCOUNTS}/{a['id']}", body={"status": "disabled"})
            self.assertEqual(r.status, 200, r)
        ids = []
        for i, sim in enumerate(simulate):
            body = {"connector": "sandbox", "label": f"acct{i}"}
            if sim:
                body["options"] = {"simulate": sim}
            r = m.post(ACCOUNTS, body)
            self.assertEqual(r.status, 200, r)
            if sim:
                self.assertEqual(r.json["options"], {"simulate": sim}, r.json)
            ids.append(r.json["id"])
        return m, ids

    def pay(self, m, token="tok_visa", **extra):
        body = {"amount": 1500, "currency": "eur", "payment_method": token, "confirm": True}
        body.update(extra)
        r = m.post("/v1/payments", body, idem=unique_key("cas"))
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_soft_decline_cascades_and_succeeds_on_the_next_account(self):
        m, (a, b) = self.merchant("soft_decline", None)
        p = self.pay(m)
        self.assertEqual(p["status"], "succeeded", p)
        self.assertEqual(p["connector_account"], b, p)
        att = p["attempts"]
        self.assertEqual([x["connector_account"] for x in att], [a, b], att)
        self.assertEqual([x["status"] for x in att], ["failed", "succeeded"], att)
        self.assertEqual(att[0]["decline_code"], "do_not_honor", att)
        self.assertEqual(att[0]["routing_reason"], "default_order", att)
        self.assertEqual(att[1]["routing_reason"], "cascade_after_soft_decline", att)
        self.assertNotEqual(att[0]["id"], att[1]["id"])
        self.assertIsNone(p["last_error"], p)
        self.assertEqual(len(successful_charges(self.srv, p["id"])), 1)
        self.assertEqual(authorize_count(self.srv, p["id"]), 2)  # the decline and the charge
        types = [e["type"] for e in m.events_for(p["id"])]
        self.assertEqual(types.count("payment.succeeded"), 1, types)
        self.assertNotIn("payment.failed", types)
        self.assertEqual(m.payment(p["id"])["attempts"], att)
        # Each PSP call is counted per account and outcome, its latency per connector.
        status, _, metrics = self.srv.request("ops", "GET", "/metrics")
        text = metrics.decode()
        for acct, outcome in ((a, "declined"), (b, "succeeded")):
            self.assertIn('liasonpay_psp_calls_total{connector="sandbox",connector_account="%s",'
                          'operation="authorize",outcome="%s"} 1' % (acct, outcome), text)
        self.assertIn('liasonpay_psp_call_duration_seconds_count{connector="sandbox",'
                      'operation="authorize"}', text)

    def test_unavailable_cascades_without_charging_the_first(self):
        m, (a, b) = self.merchant("unavailable", None)
        p = self.pay(m)
        self.assertEqual(p["status"], "succeeded", p)
        att = p["attempts"]
        self.assertEqual([x["status"] for x in att], ["failed", "succeeded"], att)
        self.assertEqual(att[0]["error_code"], "psp_unavailable", att)
        self.assertEqual(att[1]["routing_reason"], "cascade_after_psp_unavailable", att)
        self.assertEqual(authorize_count(self.srv, p["id"]), 1)  # the first never got it

    def test_every_account_unavailable_fails_with_psp_unavailable(self):
        m, _ = self.merchant(None, None)
        p = self.pay(m, "tok_psp_unavailable")
        self.assertEqual(p["status"], "failed", p)
        self.assertEqual(len(p["attempts"]), 2, p)
        self.assertEqual(p["last_error"]["code"], "psp_unavailable", p)
        self.assertEqual(authorize_count(self.srv, p["id"]), 0)

    def test_hard_decline_stops(self):
        m, (a, _) = self.merchant(None, None)
        p = self.pay(m, "tok_decline_stolen")
        self.assertEqual(p["status"], "failed", p)
        self.assertEqual([x["connector_account"] for x in p["attempts"]], [a], p)
        self.assertEqual(p["last_error"]["decline_code"], "stolen_card", p)

    def test_timeout_never_cascades_and_is_settled_by_recovery(self):
        m, (a, _) = self.merchant("timeout", None)
        p = self.pay(m)
        self.assertEqual(p["status"], "processing", p)
        self.assertEqual([x["connector_account"] for x in p["attempts"]], [a], p)
        q = m.wait_status(p["id"], ["succeeded", "failed"], timeout=20)
        self.assertEqual(q["status"], "succeeded", q)
        self.assertEqual(len(q["attempts"]), 1, q)
        self.assertEqual(len(successful_charges(self.srv, p["id"])), 1)

    def test_a_named_account_is_never_left(self):
        m, (a, _) = self.merchant("soft_decline", None)
        p = self.pay(m, routing={"connector_account": a})
        self.assertEqual(p["status"], "failed", p)
        self.assertEqual(len(p["attempts"]), 1, p)
        self.assertEqual(p["attempts"][0]["routing_reason"], "explicit", p)

    def test_at_most_three_attempts(self):
        m, ids = self.merchant("soft_decline", "soft_decline", "soft_decline", None)
        p = self.pay(m)
        self.assertEqual(p["status"], "failed", p)
        self.assertEqual([x["connector_account"] for x in p["attempts"]], ids[:3], p)
        self.assertEqual(p["last_error"]["decline_code"], "do_not_honor", p)

    def put_routing(self, m, cfg):
        r = m.call("PUT", "/v1/routing", body=cfg)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_max_attempts_one_never_cascades_after_a_soft_decline(self):
        m, (a, b) = self.merchant("soft_decline", None)
        self.assertEqual(self.put_routing(m, {"max_attempts": 1})["max_attempts"], 1)
        p = self.pay(m)
        self.assertEqual(p["status"], "failed", p)
        self.assertEqual([x["connector_account"] for x in p["attempts"]], [a], p)
        self.assertEqual(p["attempts"][0]["routing_reason"], "default_order@v1", p)
        self.assertEqual(p["last_error"]["decline_code"], "do_not_honor", p)
        self.assertEqual(authorize_count(self.srv, p["id"]), 1)
        types = [e["type"] for e in m.events_for(p["id"])]
        self.assertEqual(types.count("payment.failed"), 1, types)

    def test_max_attempts_two_stops_after_two_attempts(self):
        m, ids = self.merchant("soft_decline", "soft_decline", None)
        self.put_routing(m, {"fallback": ids, "max_attempts": 2})
        p = self.pay(m)
        self.assertEqual(p["status"], "failed", p)
        att = p["attempts"]
        self.assertEqual([x["connector_account"] for x in att], ids[:2], p)
        self.assertEqual([x["routing_reason"] for x in att],
                         ["fallback[0]@v1", "cascade_after_soft_decline"], att)
        self.assertEqual(authorize_count(self.srv, p["id"]), 2)
        self.assertEqual(successful_charges(self.srv, p["id"]), [])

    def test_a_configuration_without_max_attempts_keeps_three(self):
        m, ids = self.merchant("soft_decline", "soft_decline", "soft_decline", None)
        self.assertEqual(self.put_routing(m, {"fallback": ids})["max_attempts"], 3)
        p = self.pay(m)
        self.assertEqual(p["status"], "failed", p)
        self.assertEqual([x["connector_account"] for x in p["attempts"]], ids[:3], p)

    def test_max_attempts_five_reaches_a_fourth_account_with_one_charge(self):
        m, ids = self.merchant("soft_decline", "unavailable", "soft_decline", None)
        self.put_routing(m, {"max_attempts": 5})
        p = self.pay(m)
        self.assertEqual(p["status"], "succeeded", p)
        self.assertEqual([x["connector_account"] for x in p["attempts"]], ids, p)
        self.assertEqual([x["status"] for x in p["attempts"]],
                         ["failed", "failed", "failed", "succeeded"], p)
        self.assertEqual(len(successful_charges(self.srv, p["id"])), 1)

    def test_a_failing_account_is_opened_and_then_tried_last(self):
        m, (a, b) = self.merchant("unavailable", None)
        reasons = []
        for _ in range(24):
            p = self.pay(m)
            self.assertEqual(p["status"], "succeeded", p)
            reasons.append([x["connector_account"] for x in p["attempts"]])
        self.assertEqual(reasons[:20], [[a, b]] * 20, reasons)  # min_calls 20, then it opens
        self.assertEqual(reasons[20:], [[b]] * 4, reasons)
        status, _, body = self.srv.request("ops", "GET", "/circuit-breakers")
        self.assertEqual(status, 200, body)
        states = {x["connector_account"]: x for x in json.loads(body)["data"]}
        self.assertEqual(states[a]["state"], "open", states)
        self.assertEqual(states[a]["failures"], 20, states)
        self.assertEqual(states[b]["state"], "closed", states)
        status, _, metrics = self.srv.request("ops", "GET", "/metrics")
        text = metrics.decode()
        self.assertIn(f'liasonpay_circuit_breaker_state{{connector_account="{a}"}} 2', text)
        self.assertIn('liasonpay_security_events_total{event="circuit_breaker_opened"}', text)
        # The merchant hears it as a security.alert event (their webhooks), once, and it is audited.
        alerts = [e for e in m.all_events() if e["type"] == "security.alert"]
        self.assertEqual(len(alerts), 1, alerts)
        obj = alerts[0]["data"]["object"]
        self.assertEqual((obj["object"], obj["kind"], obj["subject_type"], obj["subject"],
                          obj["details"]["failures"]),
                         ("security_alert", "circuit_breaker_opened", "connector_account", a, 20),
                         obj)
        out = run_cli(["audit", "export", "--data-dir", self.srv.data_dir,
                       "--merchant", m.merchant_id])
        self.assertEqual(out.stdout.count('"action":"security.circuit_breaker_opened"'), 1,
                         out.stdout[-2000:])

    def test_options_are_validated_and_for_sandbox_only(self):
        m, _ = self.merchant()
        cases = [({"connector": "sandbox", "options": {"simulate": "explode"}},
                  "parameter_invalid", "options.simulate"),
                 ({"connector": "sandbox", "options": {"speed": "fast"}},
                  "parameter_unknown", "options.speed"),
                 ({"connector": "sandbox", "options": "timeout"}, "parameter_invalid", "options"),
                 ({"connector": "stripe", "options": {"simulate": "timeout"},
                   "credentials": {"secret_key": "sk_test_" + "a" * 24,
                                   "webhook_secret": "whsec_" + "b" * 24}},
                  "parameter_invalid", "options")]
        for body, code, param in cases:
            with self.subTest(body=body):
                r = m.post(ACCOUNTS, body)
                self.assertEqual(r.status, 400, r)
                self.assertEqual((r.error["code"], r.error["param"]), (code, param), r)


class CascadeCrashTest(unittest.TestCase):
    def test_kill_during_the_cascaded_attempt_leaves_at_most_one_charge(self):
        srv = Server()
        try:
            m = new_merchant(srv, name="Crash cascade")
            for a in m.get(ACCOUNTS).json["data"]:
                m.call("PATCH", f"{ACCOUNTS}/{a['id']}", body={"status": "disabled"})
            r = m.post(ACCOUNTS, {"connector": "sandbox", "options": {"simulate": "soft_decline"}})
            self.assertEqual(r.status, 200, r)
            # The second account answers after 4 s: the kill lands while its call is in flight.
            r = m.post(ACCOUNTS, {"connector": "sandbox", "latency_ms": 4000})
            self.assertEqual(r.status, 200, r)
            result = {}

            def pay():
                try:
                    result["r"] = m.post("/v1/payments", {"amount": 700, "currency": "eur",
                                                          "payment_method": "tok_visa",
                                                          "confirm": True},
                                         idem=unique_key("crash"), timeout=15)
                except Exception as e:  # noqa: BLE001 - the connection dies with the server
                    result["e"] = e

            t = threading.Thread(target=pay, daemon=True)
            t.start()
            deadline = time.monotonic() + 10
            pid = None
            while time.monotonic() < deadline and pid is None:
                rows = m.get("/v1/payments?limit=1").json["data"]
                if rows and len(rows[0]["attempts"]) == 2:
                    pid = rows[0]["id"]
                time.sleep(0.05)
            self.assertIsNotNone(pid, "the cascade never started")
            srv.kill()
            t.join(timeout=20)
            srv.start()
            q = m.wait_status(pid, ["succeeded", "failed"], timeout=30)
            charges = successful_charges(srv, pid)
            self.assertLessEqual(len(charges), 1, charges)
            self.assertEqual(q["status"] == "succeeded", len(charges) == 1, (q, charges))
            self.assertEqual(len(q["attempts"]), 2, q)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
