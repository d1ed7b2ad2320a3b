"""The series the alert rules read that issue 16 added or relies on (deploy/prometheus/alerts.yml,
docs/metrics.md): the serving certificate's expiry (and after a SIGHUP reload), the periodic
audit chain verification (intact, records counted, redone on its interval, and a tampered chain
reported), and failed sign-ins as 401s of the session routes."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import Server, parse_metrics, require_tool, run_cli
from payments_helpers import dev_merchant


def scrape(srv: Server) -> dict:
    """{(name, sorted label items): value} of one /metrics scrape."""
    status, _, body = srv.request("ops", "GET", "/metrics")
    assert status == 200, body[:300]
    return {(n, tuple(sorted(l.items()))): v for n, l, v in parse_metrics(body.decode())}


def gauge(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def not_after(cert_path: str) -> int:
    """notAfter of a PEM certificate, in Unix seconds (read by Python, not by the server)."""
    decoded = ssl._ssl._test_decode_cert(cert_path)  # pylint: disable=protected-access
    return int(ssl.cert_time_to_seconds(decoded["notAfter"]))


def wait_for(fn, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


class CertificateExpiryTest(unittest.TestCase):
    def test_gauge_is_the_served_certificates_not_after_and_follows_a_reload(self):
        srv = Server()
        try:
            first = gauge(scrape(srv), "liasonpay_tls_certificate_expiry_timestamp_seconds")
            self.assertEqual(first, not_after(srv.cert_path))
            self.assertGreater(first, time.time() + 300 * 86400)  # --dev: a year ahead
            # A certificate valid for 2 days replaces it; SIGHUP loads it.
            tmp = tempfile.mkdtemp(prefix="lp-it-cert-")
            try:
                cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
                subprocess.run(
                    [require_tool("openssl", "openssl"), "req", "-x509", "-newkey", "ec",
                     "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-subj", "/CN=localhost",
                     "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                     "-keyout", key, "-out", cert], check=True, capture_output=True)
                shutil.copy(cert, srv.cert_path)
                shutil.copy(key, srv.key_path)
                os.chmod(srv.key_path, 0o600)
            finally:
                shutil.rmtree(tmp)
            expected = not_after(srv.cert_path)
            self.assertLess(expected, time.time() + 3 * 86400)
            srv.signal(signal.SIGHUP)
            srv._ctx = None  # trust the new certificate for the scrapes that follow

            def reloaded():
                # Until the server has handled SIGHUP it serves the old certificate, which the
                # new trust anchor refuses.
                try:
                    v = gauge(scrape(srv), "liasonpay_tls_certificate_expiry_timestamp_seconds")
                except ssl.SSLError:
                    return None
                return v if v == expected else None

            after = wait_for(reloaded, timeout=5)
            self.assertEqual(after, expected, srv.log_tail())
            self.assertGreater(after, time.time())
        finally:
            srv.cleanup()


class AuditVerificationTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server(extra_args=["--audit-verify-interval-s", "1"])
        self.m = dev_merchant(self.srv)

    def tearDown(self):
        self.srv.cleanup()

    def audit_gauges(self):
        s = scrape(self.srv)
        return (gauge(s, "liasonpay_audit_verification_ok"),
                gauge(s, "liasonpay_audit_chain_records"),
                gauge(s, "liasonpay_audit_last_verification_timestamp_seconds"))

    def test_chain_is_verified_and_reverified_after_an_audited_action(self):
        # The start-up verification has run by the time the first scrape gets an answer.
        first = wait_for(lambda: self.audit_gauges()[0] is not None and self.audit_gauges(), 5)
        self.assertTrue(first, "no audit gauges after start-up")
        ok, records, verified_at = first
        self.assertEqual(ok, 1)
        self.assertGreaterEqual(records, 0)
        self.assertLessEqual(abs(verified_at - time.time()), 30)
        # Two audited actions (api_key.create); the next verification counts them.
        for _ in range(2):
            r = self.m.post("/v1/api_keys", {"type": "restricted", "scopes": ["payments:read"]})
            self.assertEqual(r.status, 200, r)
        later = wait_for(lambda: (lambda g: g if g[1] >= records + 2 else None)(
            self.audit_gauges()), timeout=10)
        self.assertTrue(later, f"chain records stayed at {self.audit_gauges()[1]}")
        ok, records_after, verified_after = later
        self.assertEqual(ok, 1)
        self.assertGreaterEqual(records_after, 2)
        self.assertGreater(verified_after, verified_at)
        self.assertLessEqual(verified_after, time.time() + 1)

    def test_a_tampered_chain_is_reported(self):
        self.assertTrue(wait_for(lambda: self.audit_gauges()[0] == 1, timeout=5))
        # Someone with the database file drops the append-only triggers and edits a record.
        con = sqlite3.connect(self.srv.db_path, timeout=10)
        try:
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                    "AND tbl_name = 'audit_log'").fetchall():
                con.execute(f'DROP TRIGGER "{t}"')
            changed = con.execute("UPDATE audit_log SET outcome = 'failure' WHERE seq = "
                                  "(SELECT MIN(seq) FROM audit_log)").rowcount
            con.commit()
        finally:
            con.close()
        self.assertEqual(changed, 1, "no audit record to tamper with")
        broken = wait_for(lambda: self.audit_gauges()[0] == 0, timeout=10)
        self.assertTrue(broken, f"verification_ok stayed {self.audit_gauges()[0]}")
        lines = [r for r in self.srv.log_records() if r.get("msg") == "audit_chain_broken"]
        self.assertTrue(lines, self.srv.log_tail())
        self.assertGreaterEqual(lines[-1]["first_bad_seq"], 1)


    def test_interval_out_of_range_is_refused_naming_the_key(self):
        for bad in ("0", "86401", "ten"):
            with self.subTest(value=bad):
                d = tempfile.mkdtemp(prefix="lp-it-")
                try:
                    r = run_cli(["serve", "--dev", "--data-dir", d, "--api-addr", "127.0.0.1:0",
                                 "--dashboard-addr", "127.0.0.1:0", "--ops-addr", "127.0.0.1:0",
                                 "--audit-verify-interval-s", bad], timeout=30)
                finally:
                    shutil.rmtree(d, ignore_errors=True)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("audit_verify_interval_s must be an integer in 1..86400",
                              r.stdout + r.stderr)


class SignInFailureSeriesTest(unittest.TestCase):
    def test_failed_sign_ins_are_401s_of_the_session_route(self):
        srv = Server()
        try:
            origin = f"https://localhost:{srv.port('dashboard')}"
            for _ in range(3):
                status, _, body = srv.request(
                    "dashboard", "POST", "/dashboard/api/sessions",
                    body={"email": "owner@demo.example", "password": "not the password at all"},
                    headers={"Origin": origin})
                self.assertEqual(status, 401, body)
            labels = dict(listener="dashboard", route="/dashboard/api/sessions", method="POST",
                          status="401")
            n = wait_for(lambda: (lambda v: v if v and v >= 3 else None)(
                gauge(scrape(srv), "liasonpay_http_requests_total", **labels)), timeout=3)
            self.assertEqual(n, 3)
            # The password never reaches the log.
            self.assertNotIn("not the password at all", srv.log_text())
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
