"""/.well-known/security.txt (RFC 9116, PRODUCT.md §1, STANDARDS VUL-04): served over TLS on the
api and dashboard listeners without authentication, not on ops; Contact and Expires from config
(security_contact, security_txt_expires: flags, LIASONPAY_* env, TOML)."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import tempfile
import unittest

import harness
from harness import Server

PATH = "/.well-known/security.txt"
ONE_YEAR = datetime.timedelta(days=365)
# RFC 3339 date-time (RFC 9116 §2.5.5).
RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                     r"([Zz]|[+-]\d{2}:\d{2})$")


def parse_rfc3339(text: str) -> datetime.datetime:
    if not RFC3339.match(text):
        raise AssertionError(f"not an RFC 3339 date-time: {text!r}")
    return datetime.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))


def fields(body: bytes) -> list:
    """[(field name lower-cased, value)] of a security.txt; comments and blank lines skipped."""
    out = []
    for line in body.decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if not sep or name != name.strip() or not value.startswith(" "):
            raise AssertionError(f"not a `Field: value` line: {line!r}")
        out.append((name.lower(), value.strip()))
    return out


class SecurityTxtDefaultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def check_rfc9116(self, body: bytes) -> dict:
        f = fields(body)
        names = [n for n, _ in f]
        # Required: Contact at least once, Expires exactly once (RFC 9116 §2.5.3, §2.5.5).
        self.assertGreaterEqual(names.count("contact"), 1, body)
        self.assertEqual(names.count("expires"), 1, body)
        self.assertLessEqual(names.count("preferred-languages"), 1, body)
        for name, value in f:
            if name in ("contact", "policy", "canonical"):
                self.assertRegex(value, r"^(mailto:|https://|tel:)\S+$", (name, value))
        expires = parse_rfc3339(dict(f)["expires"])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertGreater(expires, now, body)
        self.assertLessEqual(expires - now, ONE_YEAR, "RFC 9116 recommends less than a year")
        return dict(f)

    def test_api_and_dashboard_serve_it_over_tls_without_authentication(self):
        for listener in ("api", "dashboard"):
            with self.subTest(listener=listener):
                status, headers, body = self.srv.request(listener, "GET", PATH)
                self.assertEqual(status, 200, body)
                self.assertEqual(headers.get("content-type"), "text/plain; charset=utf-8")
                self.assertIn("strict-transport-security", headers)
                f = self.check_rfc9116(body)
                self.assertEqual(f["contact"], "mailto:security@example.com")
                self.assertEqual(f["preferred-languages"], "en")
                self.assertIn(b"placeholder", body)

    def test_the_default_expiry_is_under_a_year_from_start_up(self):
        _, _, body = self.srv.request("api", "GET", PATH)
        expires = parse_rfc3339(dict(fields(body))["expires"])
        left = expires - datetime.datetime.now(datetime.timezone.utc)
        self.assertGreater(left, datetime.timedelta(days=363), left)
        self.assertLess(left, datetime.timedelta(days=364, seconds=5), left)

    def test_ops_listener_does_not_serve_it(self):
        status, _, body = self.srv.request("ops", "GET", PATH)
        self.assertEqual(status, 404, body)

    def test_the_startup_log_warns_about_the_placeholder_contact(self):
        self.assertIn("security_contact is not set", self.srv.log_text())


class SecurityTxtConfiguredTest(unittest.TestCase):
    def test_flags_set_contact_and_expiry(self):
        expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=90)
                   ).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        with Server(extra_args=["--security-contact",
                                "mailto:security@liasonpay.example,https://liasonpay.example/r",
                                "--security-txt-expires", expires]) as srv:
            for listener in ("api", "dashboard"):
                _, _, body = srv.request(listener, "GET", PATH)
                f = fields(body)
                self.assertEqual([v for n, v in f if n == "contact"],
                                 ["mailto:security@liasonpay.example",
                                  "https://liasonpay.example/r"], body)
                self.assertEqual(dict(f)["expires"], expires)
                self.assertNotIn(b"placeholder", body)

    def test_toml_sets_every_field(self):
        d = tempfile.mkdtemp(prefix="lp-sectxt-")
        try:
            cfg = os.path.join(d, "liasonpay.toml")
            with open(cfg, "w") as f:
                f.write('security_contact = ["mailto:security@liasonpay.example"]\n'
                        'security_txt_expires = "2099-01-01T00:00:00+01:00"\n'
                        'security_policy = "https://liasonpay.example/security"\n'
                        'security_txt_canonical = '
                        '["https://api.liasonpay.example/.well-known/security.txt"]\n')
            with Server(extra_args=["--config", cfg]) as srv:
                _, _, body = srv.request("api", "GET", PATH)
                self.assertEqual(fields(body), [
                    ("contact", "mailto:security@liasonpay.example"),
                    ("expires", "2099-01-01T00:00:00+01:00"),
                    ("policy", "https://liasonpay.example/security"),
                    ("canonical", "https://api.liasonpay.example/.well-known/security.txt"),
                    ("preferred-languages", "en"),
                ])
                # Served as configured, with a warning: more than a year ahead.
                self.assertIn("more than a year", srv.log_text())
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_an_invalid_contact_or_expiry_stops_start_up_naming_the_key(self):
        for key, flag, value in (("security_contact", "--security-contact",
                                  "security@liasonpay.example"),
                                 ("security_txt_expires", "--security-txt-expires",
                                  "next year")):
            with self.subTest(key=key):
                d = tempfile.mkdtemp(prefix="lp-sectxt-")
                try:
                    r = harness.run_cli(["serve", "--dev", "--data-dir", d, flag, value],
                                        timeout=20)
                    self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                    self.assertIn(key, r.stderr)
                finally:
                    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
