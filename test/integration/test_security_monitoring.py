"""Security monitoring and incident tools (PRODUCT.md §5, docs/security-monitoring.md).

Against a dev server with low thresholds (a TOML config): a credential-stuffing run and a
card-testing run each become security events that an operator sees on the ops API
(`GET /ops/api/security_events`), that count in `liasonpay_security_events_total{event}`, that
are audited, and that the merchant receives as `security.alert` events. With the merchant's
policy `auto_block_ip`, card testing blocks the address for that merchant (403 ip_blocked) and
the containment is audited. A revoked key's use is an event. `liasonpay merchant freeze` refuses
the merchant's keys (403 merchant_frozen) and `unfreeze` restores them; `liasonpay incident
export` prints the window's audit records, security events and payments with the chain intact,
and is itself audited.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import string
import subprocess
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone

import harness
from payments_helpers import Merchant
from people_helpers import Person

CONFIG = """
detect_window_s = 120
detect_cooldown_s = 600
detect_signin_failures_per_account = 3
detect_signin_failures_per_ip = 5
detect_card_declines_per_ip = 4
detect_card_declines_per_key = 50
detect_distinct_cards_per_ip = 0
contain_block_s = 600
"""


def letters(n: int = 10) -> str:
    return "".join(random.SystemRandom().choice(string.ascii_lowercase) for _ in range(n))


def alert_rules(path: str) -> dict:
    """{alert name: {"labels": {...}, "annotations": {...}}} from alerts.yml, whose label and
    annotation values are one-line double-quoted strings or bare words (no YAML library)."""
    rules, current, section = {}, None, None
    with open(path) as f:
        for line in f:
            text = line.strip()
            if text.startswith("- alert:"):
                current = rules.setdefault(text.split(":", 1)[1].strip(),
                                           {"labels": {}, "annotations": {}})
                section = None
            elif current is not None and text in ("labels:", "annotations:"):
                section = text[:-1]
            elif current is not None and section and ":" in text and not text.startswith("#"):
                key, value = (x.strip() for x in text.split(":", 1))
                if not value or key in ("expr", "for"):
                    section = None
                    continue
                current[section][key] = json.loads(value) if value.startswith('"') else value
            elif text.startswith(("expr:", "for:")):
                section = None
    return rules


def rfc3339(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class SecurityMonitoringTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fd, cls.config_path = tempfile.mkstemp(suffix=".toml")
        with os.fdopen(fd, "w") as f:
            f.write(CONFIG)
        cls.srv = harness.Server(extra_args=["--config", cls.config_path])
        creds = cls.srv.credentials()
        cls.a = creds["merchant_id"]
        cls.owner_email = creds["dashboard_user"]["email"]
        cls.srv.stop()
        # A second merchant (with its owner) for the card-testing run, whose containment blocks
        # 127.0.0.1 for that merchant only.
        r = harness.run_cli(["merchant", "create", "--name", "Beta", "--owner-email",
                             f"boss-{letters()}@beta.example", "--data-dir", cls.srv.data_dir],
                            timeout=60)
        assert r.returncode == 0, r.stderr
        cls.beta = json.loads(r.stdout)
        cls.b = cls.beta["merchant_id"]
        cls.srv.start()
        creds = cls.srv.credentials()
        cls.key_a = Merchant(cls.srv, creds["api_key"], cls.a)
        cls.key_b = Merchant(cls.srv, cls.beta["api_key"], cls.b)
        cls.op = Person(cls.srv, "ops")
        s, _, b = cls.op.sign_in(creds["operator"]["email"], creds["operator"]["password"])
        assert s == 200, b
        if b["mfa"] == "enroll":
            cls.op.enroll()
        cls.creds = creds
        cls.scrape_before = cls.security_counters()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        os.unlink(cls.config_path)

    # ---- helpers ----

    @classmethod
    def security_counters(cls) -> dict:
        """liasonpay_security_events_total by event, from one /metrics scrape."""
        _, _, body = cls.srv.request("ops", "GET", "/metrics")
        out = {}
        prefix = 'liasonpay_security_events_total{event="'
        for line in body.decode().splitlines():
            if line.startswith(prefix):
                event = line[len(prefix):line.index('"', len(prefix))]
                out[event] = float(line.split()[-1])
        return out

    def events(self, **filters) -> list[dict]:
        q = "&".join(f"{k}={v}" for k, v in filters.items())
        s, _, b = self.op.call("GET", "/security_events?limit=100" + ("&" + q if q else ""))
        self.assertEqual(s, 200, b)
        return b["data"]

    def wait_events(self, **filters) -> list[dict]:
        deadline = time.monotonic() + 10
        while True:
            found = self.events(**filters)
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def alerts(self, m: Merchant) -> list[dict]:
        r = m.get("/v1/events?type=security.alert&limit=100")
        self.assertEqual(r.status, 200, r)
        return [e["data"]["object"] for e in r.json["data"]]

    def metric(self, event: str) -> float:
        _, _, body = self.srv.request("ops", "GET", "/metrics")
        for line in body.decode().splitlines():
            if line.startswith(f'liasonpay_security_events_total{{event="{event}"}} '):
                return float(line.split()[-1])
        return 0.0

    def audit_actions(self, merchant: str | None = None) -> list[dict]:
        args = ["audit", "export", "--data-dir", self.srv.data_dir]
        if merchant:
            args += ["--merchant", merchant]
        r = harness.run_cli(args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines()]

    # ---- the runs ----

    def test_1_credential_stuffing_is_an_event_per_account_and_per_address(self):
        for _ in range(3):
            s, _, b = Person(self.srv).sign_in(self.owner_email, "wrong-" + letters(20))
            self.assertEqual(s, 401, b)
        found = self.wait_events(kind="signin_failure_burst")
        account = [e for e in found if e["subject_type"] == "account"]
        self.assertEqual(len(account), 1, found)
        self.assertEqual(account[0]["merchant"], self.a)
        self.assertEqual(account[0]["details"]["count"], 3)
        # Two more failures (unknown addresses) from the same client: the per-address burst.
        for _ in range(2):
            Person(self.srv).sign_in(f"nobody-{letters()}@example.org", "wrong-" + letters(20))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            by_ip = [e for e in self.events(kind="signin_failure_burst")
                     if e["subject_type"] == "ip"]
            if by_ip:
                break
            time.sleep(0.1)
        self.assertEqual(len(by_ip), 1)
        self.assertIsNone(by_ip[0]["merchant"], "an address burst is a platform event")
        self.assertEqual(by_ip[0]["subject"], "127.0.0.1")
        self.assertGreaterEqual(self.metric("signin_failure_burst"), 2)
        # The owner's merchant hears it in both modes' event streams (test shown here).
        alerts = [a for a in self.alerts(self.key_a) if a["kind"] == "signin_failure_burst"]
        self.assertEqual(len(alerts), 1, alerts)
        self.assertEqual(alerts[0]["object"], "security_alert")
        actions = [r["action"] for r in self.audit_actions()]
        self.assertEqual(actions.count("security.signin_failure_burst"), 2, actions[-20:])

    def test_2_card_testing_blocks_the_address_when_the_policy_says_so(self):
        owner = Person(self.srv)
        s, _, b = owner.sign_in(self.beta["owner"]["email"], self.beta["owner"]["password"])
        self.assertEqual(s, 200, b)
        owner.enroll()
        s, _, pol = owner.call("PATCH", f"/merchants/{self.b}/security_policy",
                               {"auto_block_ip": True})
        self.assertEqual(s, 200, pol)
        self.assertTrue(pol["auto_block_ip"])
        self.assertFalse(pol["auto_revoke_key"])
        ok = self.key_b.create_payment(payment_method="tok_visa", confirm=True)
        self.assertEqual(ok.status, 200, ok)
        for i in range(4):
            r = self.key_b.create_payment(payment_method="tok_decline_insufficient_funds",
                                            confirm=True)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["status"], "failed", r.json)
        found = self.wait_events(kind="card_testing", merchant=self.b)
        self.assertEqual(len(found), 1, found)
        ev = found[0]
        self.assertEqual((ev["subject_type"], ev["subject"], ev["details"]["reason"]),
                         ("ip", "127.0.0.1", "declines"))
        self.assertIsNotNone(ev["containment"]["ip_blocked_until"])
        self.assertFalse(ev["containment"]["api_key_revoked"])
        # Contained: this address is refused for merchant B (applied once the event committed)...
        deadline = time.monotonic() + 5
        while True:
            r = self.key_b.get("/v1/payments?limit=1")
            if r.status == 403 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json["error"]["code"], "ip_blocked")
        # ... and only for merchant B.
        self.assertEqual(self.key_a.get("/v1/payments?limit=1").status, 200)
        self.assertGreaterEqual(self.metric("card_testing"), 1)
        alerts = self.alerts_of_blocked_merchant()
        self.assertEqual([a["kind"] for a in alerts].count("card_testing"), 1, alerts)
        actions = [r["action"] for r in self.audit_actions(self.b)]
        self.assertIn("security.card_testing", actions)
        self.assertIn("security.containment.ip_blocked", actions)
        self.assertIn("security_policy.update", actions)

    def alerts_of_blocked_merchant(self) -> list[dict]:
        # Merchant B's key is refused from this address now: read its events from the database
        # through the operator's incident export instead.
        now = datetime.now(timezone.utc)
        r = harness.run_cli(["incident", "export", "--data-dir", self.srv.data_dir,
                             "--from", rfc3339(now - timedelta(hours=1)),
                             "--to", rfc3339(now + timedelta(minutes=5)), "--merchant", self.b])
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(l) for l in r.stdout.splitlines()
                if json.loads(l)["type"] == "security_event"]

    def test_3_a_revoked_key_used_is_an_event(self):
        r = self.key_a.post("/v1/api_keys", {"type": "restricted", "scopes": ["payments:read"]})
        self.assertEqual(r.status, 200, r)
        key_id, secret = r.json["id"], r.json["secret"]
        r = self.key_a.call("DELETE", f"/v1/api_keys/{key_id}")
        self.assertEqual(r.status, 200, r)
        revoked = Merchant(self.srv, secret, self.a)
        r = revoked.get("/v1/payments?limit=1")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json["error"]["code"], "invalid_api_key", "same answer as an unknown key")
        found = [e for e in self.wait_events(kind="revoked_key_used") if e["subject"] == key_id]
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["details"]["reason"], "revoked")
        self.assertEqual(found[0]["merchant"], self.a)
        self.assertIn("revoked_key_used", [a["kind"] for a in self.alerts(self.key_a)])

    def test_4_freeze_from_the_command_line_refuses_the_merchants_keys(self):
        data = ["--data-dir", self.srv.data_dir]
        r = harness.run_cli(["merchant", "freeze", self.a, "--reason", "incident drill", *data])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(json.loads(r.stdout)["frozen"])
        time.sleep(5.2)  # the API key cache's TTL
        r = self.key_a.get("/v1/payments?limit=1")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json["error"]["code"], "merchant_frozen")
        r = harness.run_cli(["merchant", "unfreeze", self.a, "--reason", "drill over", *data])
        self.assertEqual(r.returncode, 0, r.stderr)
        time.sleep(5.2)
        self.assertEqual(self.key_a.get("/v1/payments?limit=1").status, 200)
        records = [x for x in self.audit_actions(self.a)
                   if x["action"] in ("merchant.freeze", "merchant.unfreeze")]
        self.assertEqual([x["action"] for x in records], ["merchant.freeze", "merchant.unfreeze"])
        self.assertTrue(all(x["actor_id"].startswith("cli:") for x in records), records)
        r = harness.run_cli(["merchant", "freeze", "mer_nosuchmerchant", "--reason", "x", *data])
        self.assertNotEqual(r.returncode, 0)

    def test_5_incident_export_is_a_verified_timeline_and_is_audited(self):
        now = datetime.now(timezone.utc)
        r = harness.run_cli(["incident", "export", "--data-dir", self.srv.data_dir,
                             "--from", rfc3339(now - timedelta(hours=1)),
                             "--to", rfc3339(now + timedelta(minutes=5))])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        kinds = {l["type"] for l in lines}
        self.assertEqual(kinds, {"audit_record", "security_event", "payment", "summary"})
        summary = lines[-1]
        self.assertEqual(summary["type"], "summary")
        self.assertTrue(summary["audit_chain"]["intact"], summary)
        self.assertEqual(summary["security_events"],
                         sum(1 for l in lines if l["type"] == "security_event"))
        self.assertIn("card_testing",
                      {l["kind"] for l in lines if l["type"] == "security_event"})
        # No secret in the timeline.
        self.assertNotIn(self.creds["api_key"], r.stdout)
        self.assertIn("incident.export", [x["action"] for x in self.audit_actions()])
        r = harness.run_cli(["audit", "verify", "--data-dir", self.srv.data_dir])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(r.stdout.startswith("intact:"), r.stdout)
        # Bad windows are refused clearly.
        r = harness.run_cli(["incident", "export", "--data-dir", self.srv.data_dir,
                             "--from", "yesterday", "--to", rfc3339(now)])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--from must be an RFC 3339", r.stderr)

    def test_6_only_operators_with_audit_read_see_security_events(self):
        s, _, b = self.srv.request("ops", "GET", "/ops/api/security_events")[0:3]
        self.assertEqual(s, 401)
        s, _, b = self.op.call("GET", "/security_events?kind=bad%20kind")
        self.assertEqual(s, 400, b)
        self.assertEqual(b["error"]["param"], "kind")

    def test_7_the_alerts_fire_from_the_scraped_metrics(self):
        # The shipped rules, evaluated by promtool over the two scrapes (before the runs, now)
        # taken one minute apart: card testing, sign-in burst and revoked-key alerts fire; the
        # allowlist alert (no such event here) does not.
        rules_path = os.path.join(harness.HERE, "..", "..", "deploy", "prometheus", "alerts.yml")
        rules = alert_rules(rules_path)
        before, after = self.scrape_before, self.security_counters()
        instance = "lp:9443"
        series = []
        for event in ("card_testing", "signin_failure_burst", "revoked_key_used",
                      "ip_not_allowed"):
            series.append({
                "series": f'liasonpay_security_events_total{{job="liasonpay",'
                          f'instance="{instance}",event="{event}"}}',
                "values": f"{before.get(event, 0):g} {after.get(event, 0):g}"})
        self.assertGreater(after.get("card_testing", 0), before.get("card_testing", 0))

        def expected(name):
            r = rules[name]
            ann = {k: v.replace("{{ $labels.instance }}", instance)
                   for k, v in r["annotations"].items()}
            return {"exp_labels": {"severity": r["labels"]["severity"], "instance": instance},
                    "exp_annotations": ann}
        tests = [{"interval": "1m", "input_series": series, "alert_rule_test": [
            {"eval_time": "1m", "alertname": n, "exp_alerts": [expected(n)]}
            for n in ("LiasonPayCardTesting", "LiasonPaySignInFailureBurst",
                      "LiasonPayRevokedKeyUsed")] + [
            {"eval_time": "1m", "alertname": "LiasonPayIpNotAllowed", "exp_alerts": []}]}]
        d = tempfile.mkdtemp(prefix="lp-promtool-")
        self.addCleanup(shutil.rmtree, d, True)
        shutil.copy(rules_path, os.path.join(d, "alerts.yml"))
        with open(os.path.join(d, "scrape_test.yml"), "w") as f:
            # JSON is YAML: promtool reads it as is.
            json.dump({"rule_files": ["alerts.yml"], "evaluation_interval": "1m",
                       "tests": tests}, f)
        r = subprocess.run(["promtool", "test", "rules", os.path.join(d, "scrape_test.yml")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
