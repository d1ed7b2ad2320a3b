"""Structured logs: one JSON access line per request with the documented fields; secrets (the
dev API key) never reach the log."""

import json
import re
import time
import unittest

from harness import Server

ACCESS_FIELDS = ("time", "listener", "method", "route", "status", "duration_us", "request_id",
                 "client_ip")


class LogsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.creds = cls.server.credentials()
        cls.key = cls.creds["api_key"]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_every_stderr_line_is_json_with_time_level_and_msg(self):
        # Logs are JSON lines on stderr: nothing else (e.g. a human-readable banner) may be
        # mixed into that stream, or log shippers choke on it.
        self.server.request("ops", "GET", "/healthz")
        time.sleep(1.5)  # the logger flushes at least every second
        try:
            records = self.server.log_records(strict=True)
        except ValueError as e:
            self.fail(str(e))
        self.assertTrue(records, "no log lines at all")
        for rec in records:
            self.assertIsInstance(rec, dict)
            for field in ("time", "level", "msg"):
                self.assertIn(field, rec, rec)

    def test_access_line_per_request_with_fields(self):
        cases = [
            ("ops", "GET", "/healthz", None, {}, 200),
            ("ops", "GET", "/metrics", None, {}, 200),
            ("ops", "DELETE", "/healthz", None, {}, 405),
            ("api", "GET", "/no/such/thing", None, {}, 404),
            ("dashboard", "GET", "/dashboard/api/no/such/thing", None, {}, 404),
            ("dashboard", "GET", "/no/such/page", None, {}, 200),  # the SPA's index.html
            ("api", "POST", "/v1/payments", b"{}", {"Content-Type": "application/json"}, 401),
            ("api", "POST", "/v1/payments", b"{oops",
             {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}, 400),
        ]
        sent = {}
        for listener, method, path, body, headers, expect in cases:
            status, h, data = self.server.request(listener, method, path, body=body,
                                                  headers=headers)
            self.assertEqual(status, expect, (listener, method, path, data[:300]))
            sent[h["request-id"]] = (listener, method, path, status)
        found = self.server.wait_for_access_lines(sent.keys())
        missing = set(sent) - set(found)
        self.assertFalse(missing, f"no access line for {[sent[m] for m in missing]}; "
                                  f"log tail:\n{self.server.log_tail()}")
        for rid, (listener, method, path, status) in sent.items():
            rec = found[rid]
            with self.subTest(request=(listener, method, path)):
                for field in ACCESS_FIELDS:
                    self.assertIn(field, rec, rec)
                self.assertEqual(rec["msg"], "access")
                self.assertEqual(rec["listener"], listener)
                self.assertEqual(rec["method"], method)
                self.assertEqual(int(rec["status"]), status)
                self.assertEqual(rec["client_ip"], "127.0.0.1")
                self.assertIsInstance(rec["duration_us"], int)
                self.assertGreaterEqual(rec["duration_us"], 0)
                self.assertLess(rec["duration_us"], 10_000_000)
                self.assertIsInstance(rec["time"], str)
                self.assertRegex(rec["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
                self.assertIsInstance(rec["route"], str)
                self.assertTrue(rec["route"])
                if status == 404:
                    # The route label of an unmatched request is not the raw path.
                    self.assertNotIn("no/such/thing", rec["route"])
                elif listener == "dashboard":
                    # The SPA's pages share one route label (no raw paths as labels).
                    self.assertEqual(rec["route"], "/*")
                elif status != 405:
                    self.assertEqual(rec["route"], path)

    def test_exactly_one_access_line_per_request(self):
        rids = []
        for _ in range(3):
            status, h, _ = self.server.request("ops", "GET", "/healthz")
            rids.append(h["request-id"])
        self.server.wait_for_access_lines(rids)
        time.sleep(1.2)
        counts = {r: 0 for r in rids}
        for rec in self.server.log_records():
            if rec.get("msg") == "access" and rec.get("request_id") in counts:
                counts[rec["request_id"]] += 1
        self.assertEqual(set(counts.values()), {1}, counts)

    def test_api_key_never_logged(self):
        key = self.key
        secret_part = key.split("_", 2)[-1]
        self.assertGreaterEqual(len(secret_part), 16, "suspiciously short api key")
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        rids = []
        requests = [
            ("api", "POST", "/v1/payments", b"{broken " + key.encode(), auth),
            ("api", "POST", "/v1/payments", json.dumps({"amount": 100, "currency": "usd",
                                                        "description": key}).encode(), auth),
            ("api", "GET", "/v1/payments?api_key=" + key, None, auth),
            ("api", "GET", "/v1/" + key, None, auth),
            ("api", "POST", "/v1/payments", b"{}", {"Authorization": f"Bearer {key}x"}),
            ("api", "POST", "/v1/payments", b"{}", {"Authorization": f"Basic {key}"}),
            ("ops", "GET", "/healthz?token=" + key, None, {"X-Api-Key": key}),
            ("dashboard", "GET", "/" + key, None, auth),
        ]
        for listener, method, path, body, headers in requests:
            status, h, _ = self.server.request(listener, method, path, body=body, headers=headers)
            rids.append(h["request-id"])
        found = self.server.wait_for_access_lines(rids)
        self.assertEqual(len(found), len(rids), "access lines missing")
        time.sleep(1.2)
        text = self.server.log_text()
        self.assertNotIn(key, text, "the API key appears in the log")
        self.assertNotIn(secret_part, text, "the secret part of the API key appears in the log")
        # Also not in a JSON-escaped or lower-cased form.
        self.assertNotIn(secret_part.lower(), text.lower())
        self.assertIsNone(re.search(r"sk_(test|live)_[A-Za-z0-9]{16,}", text),
                          "something that looks like a secret key appears in the log")


if __name__ == "__main__":
    unittest.main()


class LogFileTest(unittest.TestCase):
    """With --log-file, lines go through a buffered file sink: an access line must still reach
    the file within about a second while the server keeps running (the periodic flush)."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.log_dir = tempfile.mkdtemp(prefix="lp-it-logfile-")
        cls.log_file = cls.log_dir + "/server.log"
        cls.server = Server(extra_args=["--log-file", cls.log_file])

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        import shutil
        shutil.rmtree(cls.log_dir, ignore_errors=True)

    def access_line(self, request_id):
        try:
            with open(self.log_file, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return None
        for line in text.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("msg") == "access" and rec.get("request_id") == request_id:
                return rec
        return None

    def test_access_line_reaches_the_file_within_about_a_second(self):
        status, h, _ = self.server.request("ops", "GET", "/healthz")
        self.assertEqual(status, 200)
        sent = time.monotonic()
        rec = None
        while rec is None and time.monotonic() - sent < 5:
            time.sleep(0.05)
            rec = self.access_line(h["request-id"])
        self.assertIsNotNone(rec, "access line not in the log file after 5 s")
        self.assertLess(time.monotonic() - sent, 2.5, "access line flushed too late")
        self.assertIsNone(self.server.proc.poll(), "the server must still be running")
