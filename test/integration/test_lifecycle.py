"""Process lifecycle: graceful SIGTERM, restart on the same data dir, refusal to start without
a certificate, `version` and `--help`."""

import os
import shutil
import signal
import stat
import ssl
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Server, read_raw_response, wait_closed


class GracefulShutdownTest(unittest.TestCase):
    def test_sigterm_on_idle_server_exits_0_quickly(self):
        with Server() as srv:
            self.assertEqual(srv.request("ops", "GET", "/healthz")[0], 200)
            t0 = time.monotonic()
            code = srv.stop(timeout=15)
            self.assertEqual(code, 0, srv.log_tail())
            self.assertLess(time.monotonic() - t0, 5.0, "idle server took long to stop")

    def test_sigterm_finishes_in_flight_request_then_exits_0(self):
        with Server() as srv:
            key = srv.api_key()
            # An idle keep-alive connection: must be closed promptly on SIGTERM.
            idle = srv.raw_tls_socket("ops")
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            self.assertEqual(read_raw_response(idle).status, 200)

            # An in-flight request: head and half of the body sent, the rest after SIGTERM.
            body = b'{"amount": 100, "currency": "usd", "description": "in flight' + b"!" * 64
            half = len(body) // 2
            busy = srv.raw_tls_socket("api", timeout=15)
            busy.sendall(b"POST /v1/payments HTTP/1.1\r\nHost: localhost\r\n"
                         b"Authorization: Bearer " + key.encode() + b"\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:half])
            time.sleep(0.5)

            srv.signal(signal.SIGTERM)
            t_term = time.monotonic()
            self.assertTrue(wait_closed(idle, 3), "idle keep-alive connection not closed on SIGTERM")
            idle.close()

            # New connections are no longer accepted.
            time.sleep(0.3)
            refused = False
            try:
                s = srv.raw_tls_socket("ops", timeout=3)
                try:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    read_raw_response(s, timeout=3)
                except (ConnectionError, ssl.SSLError, OSError, TimeoutError):
                    refused = True
                finally:
                    s.close()
            except (ConnectionError, ssl.SSLError, OSError):
                refused = True
            self.assertTrue(refused, "server still accepted and answered a new connection after "
                                     "SIGTERM")

            self.assertTrue(srv.alive(), "server exited before the in-flight request finished")
            busy.sendall(body[half:])
            resp = read_raw_response(busy, timeout=10)
            busy.close()
            # Invalid JSON (unterminated object) with a valid key: a deterministic 400.
            self.assertEqual(resp.status, 400, resp)
            self.assertIn("request-id", resp.headers)
            self.assertEqual(resp.headers.get("connection", "").lower(), "close", resp.headers)

            code = srv.wait(timeout=12)
            self.assertIsNotNone(code, "server did not exit within the grace period after SIGTERM")
            self.assertEqual(code, 0, srv.log_tail())
            self.assertLess(time.monotonic() - t_term, 12.0)

    def test_sigint_also_exits_0(self):
        with Server() as srv:
            srv.signal(signal.SIGINT)
            code = srv.wait(timeout=15)
            self.assertEqual(code, 0, srv.log_tail())


class RestartTest(unittest.TestCase):
    def test_restart_with_dev_reuses_cert_and_credentials(self):
        first = Server()
        try:
            creds1 = first.credentials()
            self.assertTrue(creds1["merchant_id"])
            self.assertTrue(creds1["api_key"].startswith("sk_test_"), creds1)
            mode = stat.S_IMODE(os.stat(first.credentials_path).st_mode)
            self.assertEqual(mode, 0o600, f"dev-credentials.json mode {oct(mode)}")
            self.assertTrue(os.path.isfile(first.db_path), "no liasonpay.db in the data dir")
            with open(first.cert_path, "rb") as f:
                cert1 = f.read()
            with open(first.key_path, "rb") as f:
                key1 = f.read()
            # The key works before the restart (invalid JSON → 400, not 401).
            status, _, body = first.request("api", "POST", "/v1/payments", body=b"{",
                                            headers={**first.auth(),
                                                     "Content-Type": "application/json"})
            self.assertEqual(status, 400, body)
            self.assertEqual(first.stop(), 0, first.log_tail())

            second = Server(data_dir=first.data_dir)
            try:
                creds2 = second.credentials()
                with open(second.cert_path, "rb") as f:
                    self.assertEqual(f.read(), cert1, "certificate regenerated on restart")
                with open(second.key_path, "rb") as f:
                    self.assertEqual(f.read(), key1, "TLS key regenerated on restart")
                self.assertEqual(creds2["merchant_id"], creds1["merchant_id"])
                self.assertEqual(creds2["api_key"], creds1["api_key"])
                # The old key still authenticates against the reused database.
                status, _, body = second.request("api", "POST", "/v1/payments", body=b"{",
                                                 headers={"Authorization":
                                                          f"Bearer {creds1['api_key']}",
                                                          "Content-Type": "application/json"})
                self.assertEqual(status, 400, body)
                self.assertEqual(second.request("ops", "GET", "/healthz")[0], 200)
                self.assertEqual(second.stop(), 0, second.log_tail())
            finally:
                second.cleanup()
        finally:
            first.cleanup()


class CliTest(unittest.TestCase):
    def test_serve_without_dev_and_without_cert_refuses_to_start(self):
        d = tempfile.mkdtemp(prefix="lp-it-nocert-")
        try:
            try:
                p = harness.run_cli(["serve", "--data-dir", d, "--api-addr", "127.0.0.1:0",
                                     "--dashboard-addr", "127.0.0.1:0",
                                     "--ops-addr", "127.0.0.1:0"], timeout=20, cwd=d)
            except subprocess.TimeoutExpired:
                self.fail("serve without a certificate kept running instead of exiting")
            out = p.stdout + p.stderr
            self.assertNotEqual(p.returncode, 0, out)
            self.assertRegex(out.lower(), r"certificate", out[-2000:])
            self.assertFalse(os.path.exists(os.path.join(d, "ports.json")))
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_version_prints_a_version(self):
        p = harness.run_cli(["version"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"\d+\.\d+(\.\d+)?")

    def test_version_and_dash_dash_version_list_built_and_running_library_versions(self):
        for args in (["version"], ["--version"]):
            with self.subTest(args=args):
                p = harness.run_cli(args)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertRegex(p.stdout, r"^liasonpay \d+\.\d+\.\d+\n")
                for lib in ("OpenSSL", "SQLite", "libsodium", "ICU"):
                    self.assertRegex(p.stdout, rf"(?m)^{lib} +\d+\.\d+\S* +\d+\.\d+", p.stdout)
                self.assertRegex(p.stdout, r"(?m)^Boost +1\.\d+\.\d+ +\(header-only\)$")
                # This build runs with the libraries it was built against: no mismatch warning.
                self.assertNotIn("warning", p.stderr)

    def test_help_exits_0_and_lists_serve(self):
        p = harness.run_cli(["--help"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("serve", p.stdout + p.stderr)

    def test_serve_help_exits_0_and_lists_flags(self):
        p = harness.run_cli(["serve", "--help"])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout + p.stderr
        for flag in ("--dev", "--data-dir", "--api-addr"):
            self.assertIn(flag, out)

    def test_unknown_command_exits_non_zero(self):
        p = harness.run_cli(["no-such-command"])
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
