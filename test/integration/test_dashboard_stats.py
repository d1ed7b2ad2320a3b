"""The dashboard's home-page aggregates (docs/dashboard-api.md §8): `stats/payments`,
`stats/declines`, `stats/webhooks`, computed in SQL and mode-scoped.

Payments are made through /v1 with the sandbox (successes in two currencies, declines with
decline codes); the expected numbers are derived from those payments' own attempts as /v1 shows
them, then compared with the aggregates: attempts, succeeded, failed, processing and volume per
currency per connector account; declines by code, most frequent first; webhook deliveries and
attempts per endpoint (one healthy receiver, one that fails its first request) and per bucket.
Buckets are aligned to UTC hours/days, every one present (zeros included), oldest first; more
than 500 buckets is `400 parameter_invalid` naming `interval`; `mode` picks test or live;
permissions (`payments:read`, `webhooks:read`) and another merchant's 404 hold.
"""

from __future__ import annotations

import collections
import time
import unittest

import harness
from payments_helpers import dev_merchant
from people_helpers import Person, strong_password
from webhook_receiver import WebhookReceiver

HOUR = 3600
DAY = 86400


class DashboardStatsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(extra_args=["--webhook-retry-scale", "0.01"])
        creds = cls.srv.credentials()
        cls.m = creds["merchant_id"]
        cls.key = dev_merchant(cls.srv)
        cls.ok_rx = WebhookReceiver()
        cls.flaky_rx = WebhookReceiver()
        cls.flaky_rx.fail_times(1, 500)
        cls.endpoints = {}
        for name, rx in (("ok", cls.ok_rx), ("flaky", cls.flaky_rx)):
            r = cls.key.post("/v1/webhook_endpoints", {"url": rx.url(),
                                                       "enabled_events": ["payment.succeeded"]})
            assert r.status == 200, r
            cls.endpoints[name] = r.json["id"]

        cls.start = int(time.time())
        cls.payments = []
        plan = ([("tok_visa", 1000, "usd")] * 3 + [("tok_visa", 550, "eur")] +
                [("tok_decline_insufficient_funds", 700, "usd")] * 2 +
                [("tok_decline_stolen", 900, "usd")])
        for token, amount, currency in plan:
            r = cls.key.create_payment(amount=amount, currency=currency, payment_method=token,
                                       confirm=True)
            assert r.status == 200, r  # a decline is a 200 `failed` payment
            cls.payments.append(cls.key.payment(r.json["id"]))
        cls.end = int(time.time()) + 1

        cls.owner = Person(cls.srv)
        s, _, b = cls.owner.sign_in(creds["dashboard_user"]["email"],
                                    creds["dashboard_user"]["password"])
        assert s == 200, b
        cls.owner.enroll()

    @classmethod
    def tearDownClass(cls):
        cls.ok_rx.close()
        cls.flaky_rx.close()
        cls.srv.cleanup()

    def stats(self, kind: str, query: str = "", person: Person | None = None,
              merchant: str | None = None):
        p = person or self.owner
        return p.call("GET", f"/merchants/{merchant or self.m}/stats/{kind}"
                      + (("?" + query) if query else ""))

    def authorize_attempts(self):
        return [a for p in self.payments for a in p["attempts"] if a["operation"] == "authorize"]

    def assertBuckets(self, body, interval: int, frm: int, to: int):
        starts = [b["start"] for b in body]
        self.assertTrue(starts)
        self.assertTrue(all(s % interval == 0 for s in starts), starts)
        self.assertEqual(starts, list(range(starts[0], starts[-1] + 1, interval)))
        self.assertLessEqual(starts[0], frm)
        self.assertGreater(starts[0] + interval, frm)
        self.assertLess(starts[-1], to)
        self.assertGreaterEqual(starts[-1] + interval, to)

    # ---- payments ----

    def test_payment_stats_count_attempts_and_volume_per_connector_account(self):
        frm, to = self.start - 2 * HOUR, self.end + HOUR
        s, _, b = self.stats("payments", f"from={frm}&to={to}")
        self.assertEqual(s, 200, b)
        self.assertEqual((b["object"], b["from"], b["to"], b["interval"]),
                         ("payment_stats", frm, to, "hour"))
        expected = collections.defaultdict(lambda: collections.Counter())
        volume = collections.defaultdict(lambda: collections.Counter())
        currency = {p["id"]: p["currency"].upper() for p in self.payments}
        for p in self.payments:
            for a in p["attempts"]:
                if a["operation"] != "authorize":
                    continue
                c = expected[a["connector_account"]]
                c["attempts"] += 1
                key = a["status"] if a["status"] in ("succeeded", "failed") else "processing"
                c[key] += 1
                if a["status"] == "succeeded":
                    volume[a["connector_account"]][currency[p["id"]]] += a["amount"]
        self.assertGreaterEqual(sum(c["succeeded"] for c in expected.values()), 4)
        self.assertGreaterEqual(sum(c["failed"] for c in expected.values()), 3)
        seen = {}
        for acct in b["connector_accounts"]:
            self.assertBuckets(acct["buckets"], HOUR, frm, to)
            totals = collections.Counter()
            vol = collections.Counter()
            for bucket in acct["buckets"]:
                for k in ("attempts", "succeeded", "failed", "processing"):
                    totals[k] += bucket[k]
                self.assertEqual(bucket["attempts"], bucket["succeeded"] + bucket["failed"]
                                 + bucket["processing"])
                for cur, amount in bucket["volume"].items():
                    vol[cur] += amount
            seen[acct["connector_account"]] = (totals, vol)
            self.assertTrue(acct["label"])
            self.assertEqual(acct["connector"], "sandbox")
        for acct_id, counts in expected.items():
            totals, vol = seen[acct_id]
            for k in ("attempts", "succeeded", "failed", "processing"):
                self.assertEqual(totals[k], counts[k], (acct_id, k))
            self.assertEqual(dict(vol), dict(volume[acct_id]))
        all_volume = sum((v for _, v in seen.values()), collections.Counter())
        self.assertEqual(all_volume["USD"], 3000)
        self.assertEqual(all_volume["EUR"], 550)

    def test_day_buckets_include_empty_days_and_live_mode_is_separate(self):
        frm, to = self.start - 9 * DAY, self.end
        s, _, b = self.stats("payments", f"from={frm}&to={to}&interval=day")
        self.assertEqual(s, 200, b)
        self.assertEqual(b["interval"], "day")
        for acct in b["connector_accounts"]:
            self.assertBuckets(acct["buckets"], DAY, frm, to)
            self.assertGreaterEqual(len(acct["buckets"]), 10)
            self.assertTrue(all(x["attempts"] == 0 and x["volume"] == {}
                                for x in acct["buckets"][:-2]))
        total = sum(x["attempts"] for a in b["connector_accounts"] for x in a["buckets"])
        self.assertEqual(total, len(self.authorize_attempts()))
        # The default range (the last 7 days) is by day and holds them too.
        s, _, d = self.stats("payments")
        self.assertEqual((s, d["interval"]), (200, "day"))
        self.assertEqual(d["to"] - d["from"], 7 * DAY)
        self.assertEqual(sum(x["attempts"] for a in d["connector_accounts"] for x in a["buckets"]),
                         total)
        s, _, live = self.stats("payments", "mode=live")
        self.assertEqual(s, 200, live)
        self.assertEqual(sum(x["attempts"] for a in live["connector_accounts"]
                             for x in a["buckets"]), 0)
        s, _, b = self.stats("payments", "mode=staging")
        self.assertEqual((s, b["error"]["param"]), (400, "mode"), b)

    def test_more_than_500_buckets_is_refused_naming_interval(self):
        frm = (self.start // HOUR) * HOUR - 400 * HOUR
        s, _, b = self.stats("payments", f"from={frm}&to={frm + 500 * HOUR}&interval=hour")
        self.assertEqual(s, 200, b)
        self.assertEqual(len(b["connector_accounts"][0]["buckets"]), 500)
        for kind in ("payments", "declines", "webhooks"):
            s, _, b = self.stats(kind, f"from={frm}&to={frm + 500 * HOUR + 1}&interval=hour")
            self.assertEqual((s, b["error"]["code"], b["error"]["param"]),
                             (400, "parameter_invalid", "interval"), b)
        s, _, b = self.stats("payments", "from=1&to=100000000")
        self.assertEqual((s, b["error"]["param"]), (400, "interval"), b)
        s, _, b = self.stats("payments", "interval=week")
        self.assertEqual((s, b["error"]["param"]), (400, "interval"), b)
        s, _, b = self.stats("payments", f"from={self.end}&to={self.start}")
        self.assertEqual((s, b["error"]["param"]), (400, "to"), b)
        s, _, b = self.stats("payments", "from=yesterday")
        self.assertEqual((s, b["error"]["param"]), (400, "from"), b)

    # ---- declines ----

    def test_declines_by_code_most_frequent_first(self):
        s, _, b = self.stats("declines", f"from={self.start - HOUR}&to={self.end + HOUR}")
        self.assertEqual(s, 200, b)
        self.assertEqual(b["object"], "decline_stats")
        failed = [a for a in self.authorize_attempts() if a["status"] == "failed"]
        expected = collections.Counter(a["decline_code"] for a in failed)
        self.assertEqual(b["total"], len(failed))
        self.assertEqual({r["decline_code"]: r["count"] for r in b["data"]}, dict(expected))
        counts = [r["count"] for r in b["data"]]
        self.assertEqual(counts, sorted(counts, reverse=True))
        self.assertGreaterEqual(expected["insufficient_funds"], 2)
        self.assertGreaterEqual(expected["stolen_card"], 1)
        self.assertEqual(b["data"][0]["decline_code"], "insufficient_funds")
        s, _, empty = self.stats("declines", f"from={self.end + HOUR}&to={self.end + 2 * HOUR}")
        self.assertEqual((s, empty["total"], empty["data"]), (200, 0, []))

    # ---- webhooks ----

    def test_webhook_stats_per_endpoint_and_bucket(self):
        succeeded = sum(p["status"] == "succeeded" for p in self.payments)
        self.assertEqual(succeeded, 4)
        query = f"from={self.start - HOUR}&to={int(time.time()) + HOUR}"
        deadline = time.monotonic() + 30
        while True:
            s, _, b = self.stats("webhooks", query)
            self.assertEqual(s, 200, b)
            by_id = {e["endpoint"]: e for e in b["endpoints"]}
            done = all(by_id[eid]["deliveries"]["succeeded"] == succeeded
                       for eid in self.endpoints.values())
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(b["object"], "webhook_stats")
        self.assertEqual(b["interval"], "hour")
        ok, flaky = by_id[self.endpoints["ok"]], by_id[self.endpoints["flaky"]]
        for e in (ok, flaky):
            self.assertEqual(e["deliveries"], {"succeeded": succeeded, "failed": 0, "pending": 0})
            self.assertEqual(e["status"], "enabled")
            self.assertIsNotNone(e["avg_latency_ms"])
            self.assertGreaterEqual(e["last_success_at"], self.start)
        self.assertEqual(ok["attempts"], {"total": succeeded, "failed": 0})
        self.assertIsNone(ok["last_failure_at"])
        self.assertEqual(flaky["attempts"], {"total": succeeded + 1, "failed": 1})
        self.assertGreaterEqual(flaky["last_failure_at"], self.start)
        self.assertEqual(len(self.ok_rx.requests), succeeded)
        self.assertBuckets(b["buckets"], HOUR, b["from"], b["to"])
        self.assertEqual(sum(x["attempts"] for x in b["buckets"]), 2 * succeeded + 1)
        self.assertEqual(sum(x["failed"] for x in b["buckets"]), 1)
        s, _, live = self.stats("webhooks", "mode=live")
        self.assertEqual((s, live["endpoints"]), (200, []))
        self.assertTrue(all(x["attempts"] == 0 for x in live["buckets"]))

    # ---- authorization ----

    def test_permissions_and_another_merchant(self):
        s, _, role = self.owner.call("POST", f"/merchants/{self.m}/roles",
                                     {"name": "Webhooks only", "permissions": ["webhooks:read"]})
        self.assertEqual(s, 200, role)
        s, _, inv = self.owner.call("POST", f"/merchants/{self.m}/invitations",
                                    {"email": "hooks@example.net", "role": role["id"]})
        self.assertEqual(s, 200, inv)
        p = Person(self.srv)
        s, _, b = p.call("POST", "/invitations/accept",
                         {"token": inv["invite_url"].split("#", 1)[1],
                          "password": strong_password()})
        self.assertEqual(s, 200, b)
        for kind in ("payments", "declines"):
            s, _, b = self.stats(kind, person=p)
            self.assertEqual((s, b["error"]["code"]), (403, "permission_denied"), b)
            self.assertIn("payments:read", b["error"]["message"])
        s, _, b = self.stats("webhooks", person=p)
        self.assertEqual(s, 200, b)
        for kind in ("payments", "declines", "webhooks"):
            s, _, b = self.stats(kind, merchant="mer_doesnotexistatall")
            self.assertEqual((s, b["error"]["code"]), (404, "resource_missing"), b)
        s, _, b = self.owner.call("POST", f"/merchants/{self.m}/stats/payments")
        self.assertEqual(s, 405, b)


if __name__ == "__main__":
    unittest.main()
