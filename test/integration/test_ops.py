"""Ops listener: /healthz, /readyz and Prometheus /metrics."""

import json
import time
import unittest

from harness import Server, parse_metrics


class OpsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def metrics(self):
        status, headers, body = self.server.request("ops", "GET", "/metrics")
        self.assertEqual(status, 200, body[:300])
        self.assertTrue(headers.get("content-type", "").startswith("text/plain"), headers)
        text = body.decode()
        return text, parse_metrics(text)

    def healthz_count(self, samples):
        total = 0.0
        for name, labels, value in samples:
            if name == "liasonpay_http_requests_total" and labels.get("listener") == "ops" and \
                    labels.get("method") == "GET" and labels.get("status") == "200" and \
                    "healthz" in labels.get("route", ""):
                total += value
        return total

    def test_healthz_returns_ok_json(self):
        status, headers, body = self.server.request("ops", "GET", "/healthz")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", headers.get("content-type", ""))
        self.assertEqual(json.loads(body), {"status": "ok"})

    def test_readyz_returns_ready_json(self):
        # Ready may take a moment after ports.json (e.g. while the api key is being created).
        deadline = time.monotonic() + 10
        while True:
            status, headers, body = self.server.request("ops", "GET", "/readyz")
            if status == 200 or time.monotonic() > deadline:
                break
            self.assertEqual(status, 503, body)
            time.sleep(0.2)
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", headers.get("content-type", ""))
        self.assertEqual(json.loads(body), {"status": "ready"})

    def test_healthz_repeated_on_one_keepalive_connection(self):
        conn = self.server.connection("ops")
        try:
            for _ in range(5):
                status, _, body = self.server.request("ops", "GET", "/healthz", conn=conn)
                self.assertEqual(status, 200, body)
        finally:
            conn.close()

    def test_metrics_exposes_required_families(self):
        self.server.request("ops", "GET", "/healthz")
        text, samples = self.metrics()
        names = {s[0] for s in samples}
        self.assertIn("liasonpay_http_requests_total", names, text[:2000])
        self.assertIn("liasonpay_http_request_duration_seconds_bucket", names, text[:2000])
        self.assertIn("process_resident_memory_bytes", names)
        self.assertIn("process_uptime_seconds", names)
        self.assertRegex(text, r"(?m)^# TYPE liasonpay_http_requests_total counter$")
        self.assertRegex(text, r"(?m)^# TYPE liasonpay_http_request_duration_seconds histogram$")
        for name, labels, value in samples:
            if name == "liasonpay_http_requests_total":
                for label in ("listener", "route", "method", "status"):
                    self.assertIn(label, labels, (name, labels))
        rss = [v for n, _, v in samples if n == "process_resident_memory_bytes"]
        self.assertEqual(len(rss), 1)
        self.assertGreater(rss[0], 1024 * 1024)
        # RSS in bytes should roughly agree with /proc (within a factor of 2).
        proc_rss = self.server.rss_kb() * 1024
        self.assertLess(rss[0], proc_rss * 2)
        self.assertGreater(rss[0], proc_rss / 2)
        up = [v for n, _, v in samples if n == "process_uptime_seconds"]
        self.assertEqual(len(up), 1)
        self.assertGreaterEqual(up[0], 0)
        self.assertLess(up[0], time.monotonic() - self.server.started_at + 5)

    def test_store_metrics_show_commits_their_fsyncs_and_the_writer_phases(self):
        # --dev start-up writes (merchant, key, accounts), so there are commits to count.
        _, samples = self.metrics()
        value = {(n, tuple(sorted(l.items()))): v for n, l, v in samples}
        def one(name, **labels):
            return value[(name, tuple(sorted(labels.items())))]
        commits = one("liasonpay_store_commits_total")
        syncs = one("liasonpay_store_syncs_total")
        self.assertGreater(commits, 0)
        self.assertGreater(syncs, 0)
        self.assertLessEqual(syncs, commits, "one fsync may cover several commits, never fewer")
        self.assertGreaterEqual(one("liasonpay_store_transactions_total"), commits)
        self.assertGreaterEqual(one("liasonpay_store_sync_seconds_total"), 0)
        self.assertGreater(one("liasonpay_store_memory_bytes"), 0)
        # The coalescing WAL VFS: each commit's frames reach the file in fewer write calls.
        engine = one("liasonpay_store_wal_writes_total", stage="engine")
        file_writes = one("liasonpay_store_wal_writes_total", stage="file")
        self.assertGreater(file_writes, 0)
        self.assertGreater(engine, file_writes)
        for phase in ("exec", "commit", "checkpoint", "idle"):
            self.assertGreaterEqual(one("liasonpay_store_writer_seconds_total", phase=phase), 0)

    def test_metrics_histogram_is_well_formed(self):
        self.server.request("ops", "GET", "/healthz")
        _, samples = self.metrics()
        buckets = [(l, v) for n, l, v in samples
                   if n == "liasonpay_http_request_duration_seconds_bucket"]
        self.assertTrue(buckets)
        self.assertTrue(any(l.get("le") == "+Inf" for l, _ in buckets), buckets[:5])
        # For each series (labels minus le), bucket counts are non-decreasing in le and the +Inf
        # bucket equals _count.
        series = {}
        for l, v in buckets:
            key = tuple(sorted((k, x) for k, x in l.items() if k != "le"))
            le = float("inf") if l["le"] == "+Inf" else float(l["le"])
            series.setdefault(key, []).append((le, v))
        counts = {tuple(sorted(l.items())): v for n, l, v in samples
                  if n == "liasonpay_http_request_duration_seconds_count"}
        for key, pts in series.items():
            pts.sort()
            values = [v for _, v in pts]
            self.assertEqual(values, sorted(values), key)
            self.assertEqual(pts[-1][0], float("inf"), key)
            if key in counts:
                self.assertEqual(pts[-1][1], counts[key], key)

    def test_request_counter_grows_after_requests(self):
        self.server.request("ops", "GET", "/healthz")
        _, before = self.metrics()
        b = self.healthz_count(before)
        self.assertGreaterEqual(b, 1)
        for _ in range(3):
            self.assertEqual(self.server.request("ops", "GET", "/healthz")[0], 200)
        # The counter is updated after the response is written: allow a moment.
        deadline = time.monotonic() + 3
        while True:
            _, after = self.metrics()
            a = self.healthz_count(after)
            if a >= b + 3 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertGreaterEqual(a, b + 3)

    def test_404_counted_with_status_label(self):
        self.server.request("api", "GET", "/no-such-route-for-metrics")
        deadline = time.monotonic() + 3
        while True:
            _, samples = self.metrics()
            hits = [(l, v) for n, l, v in samples if n == "liasonpay_http_requests_total" and
                    l.get("listener") == "api" and l.get("status") == "404"]
            if hits or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertTrue(hits, "no api 404 sample in /metrics")
        # Unmatched paths must not become label values (cardinality); the raw path is absent.
        self.assertFalse(any("no-such-route" in l.get("route", "") for l, _ in hits), hits)

    def test_uptime_grows(self):
        _, s1 = self.metrics()
        time.sleep(1.1)
        _, s2 = self.metrics()
        u1 = [v for n, _, v in s1 if n == "process_uptime_seconds"][0]
        u2 = [v for n, _, v in s2 if n == "process_uptime_seconds"][0]
        self.assertGreater(u2, u1)


if __name__ == "__main__":
    unittest.main()
