"""An external TLS scan (testssl.sh) of the api listener (PRODUCT.md §7, STANDARDS TLS-01..10): only
TLS 1.2 and 1.3, only Mozilla "intermediate" cipher suites, no known TLS vulnerability (`-U`), HSTS
of at least a year.

Every finding testssl.sh writes has an id. Each id is classified below as either judging the
SERVER (asserted: its severity must be OK or INFO, and several get a precise check) or being about
the SCANNER itself (its own OpenSSL client, its run time), which says nothing about LiasonPay and
is not asserted. An id in neither list fails the test, so a new testssl.sh version cannot slip a
new server finding past it: decide which list it belongs to and say why.

testssl.sh is required (Debian package `testssl.sh`, installed by scripts/setup): when it is missing
the tests FAIL, they never skip."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness

# Mozilla "intermediate" (server side TLS v5): TLS 1.2 suites, by IANA code point and OpenSSL name.
INTERMEDIATE_TLS12 = {
    0xC02B: "ECDHE-ECDSA-AES128-GCM-SHA256",
    0xC02F: "ECDHE-RSA-AES128-GCM-SHA256",
    0xC02C: "ECDHE-ECDSA-AES256-GCM-SHA384",
    0xC030: "ECDHE-RSA-AES256-GCM-SHA384",
    0xCCA9: "ECDHE-ECDSA-CHACHA20-POLY1305",
    0xCCA8: "ECDHE-RSA-CHACHA20-POLY1305",
    0x009E: "DHE-RSA-AES128-GCM-SHA256",
    0x009F: "DHE-RSA-AES256-GCM-SHA384",
    0xCCAA: "DHE-RSA-CHACHA20-POLY1305",
}
INTERMEDIATE_TLS13 = {
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
}
ONE_YEAR = 31536000
# `-p -E -h -U` takes ~50 s without -U and ~100 s with it on the 2-core machine (measured with
# testssl.sh 3.0.8, Debian 12); the ASan build answers more slowly.
SCAN_TIMEOUT = 420

# Findings about the SCANNER, not the server: not asserted (a FATAL severity or `scanProblem` still
# fails the scan as a whole, in test_scan_completed).
SCANNER_FINDINGS = {
    # "No engine or GOST support via engine with your /usr/bin/openssl": the scanner's OpenSSL
    # has no GOST engine (Debian package libengine-gost-openssl, a Recommends of testssl.sh that
    # scripts/setup does not install). Without it testssl.sh cannot offer GOST suites itself; the
    # server cannot offer them either (OpenSSL 3 without that engine, and -E lists every suite the
    # server accepts from the scanner's list, which the Mozilla check then bounds).
    "engine_problem",
    "scanTime",  # seconds the scan took
}
# Findings that judge the SERVER. Each must have severity OK or INFO; those with a precise
# expectation are checked again in the tests below (protocols, ciphers, HSTS, vulnerabilities).
SERVER_FINDINGS = {
    # protocols (-p)
    "SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "NPN", "ALPN",
    "service",        # the protocol spoken over TLS: HTTP
    "pre_128cipher",  # the server chokes on a ClientHello with more than 128 suites
    # HTTP headers (-h)
    "HTTP_status_code", "HTTP_clock_skew", "HSTS", "HSTS_time", "HSTS_subdomains",
    "HSTS_preload", "HPKP", "banner_server", "banner_application", "banner_reverseproxy",
    "cookie_count", "cookie_secure", "cookie_httponly", "Cache-Control", "Pragma",
    "X-Frame-Options", "X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy",
    # vulnerabilities (-U)
    "heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "secure_client_renego",
    "CRIME_TLS", "BREACH", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN",
    "DROWN_hint", "LOGJAM", "LOGJAM-common_primes", "BEAST", "BEAST_CBC_TLS1", "LUCKY13",
    "RC4", "winshock", "opossum",
}
# Ids with a variable part: every suite offered per protocol (-E), e.g. cipher-tls1_2_xc02c.
SERVER_FINDING_PATTERNS = (re.compile(r"cipher-[a-z0-9_]+_x[0-9a-fA-F]+$"),)
GOOD_SEVERITIES = ("OK", "INFO")
# -U: each of these must say it is not vulnerable (or, for renegotiation, that the secure kind
# is supported).
VULNERABILITIES = ("heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_client_renego",
                   "CRIME_TLS", "BREACH", "POODLE_SSL", "SWEET32", "FREAK", "DROWN", "LOGJAM",
                   "BEAST", "LUCKY13", "RC4")


def judges_server(fid: str) -> bool:
    return fid in SERVER_FINDINGS or any(p.match(fid) for p in SERVER_FINDING_PATTERNS)


def scan_problems(findings) -> list:
    """Findings saying the scan itself failed: it cannot vouch for the server then."""
    return [f for f in findings if f.get("severity") == "FATAL" or f.get("id") == "scanProblem"]


def unclassified(findings) -> list:
    return [f for f in findings
            if f.get("id") not in SCANNER_FINDINGS and f.get("id") != "scanProblem"
            and not judges_server(f.get("id", ""))]


def bad_server_findings(findings) -> list:
    return [f for f in findings
            if judges_server(f.get("id", "")) and f.get("severity") not in GOOD_SEVERITIES]


class TlsScanTest(unittest.TestCase):
    """One scan of one server (protocols, ciphers per protocol, HTTP headers); each test reads
    its part of the JSON findings."""

    findings: list = []
    problem: str | None = None

    @classmethod
    def setUpClass(cls):
        try:
            # Debian's testssl.sh package installs the program as `testssl`.
            cls.binary = harness.require_tool("testssl", "testssl.sh")
        except AssertionError as e:
            cls.problem = f"{e} The TLS scan cannot run."
            return
        cls.srv = harness.Server()
        cls.tmp = tempfile.mkdtemp(prefix="lp-testssl-")
        try:
            jsonfile = os.path.join(cls.tmp, "scan.json")
            cmd = [cls.binary, "--quiet", "--color", "0", "--warnings", "off",
                   "--ip", "127.0.0.1", "--jsonfile", jsonfile, "-p", "-E", "-h", "-U",
                   f"localhost:{cls.srv.port('api')}"]
            t0 = time.monotonic()
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=SCAN_TIMEOUT,
                                      stdin=subprocess.DEVNULL, cwd=cls.tmp)
            except subprocess.TimeoutExpired:
                cls.problem = f"testssl.sh did not finish within {SCAN_TIMEOUT}s: {cmd}"
                return
            cls.scan_seconds = time.monotonic() - t0
            cls.output = proc.stdout + proc.stderr
            try:
                with open(jsonfile) as f:
                    cls.findings = json.load(f)
            except (OSError, ValueError) as e:
                cls.problem = (f"testssl.sh wrote no readable JSON ({e}); exit {proc.returncode}; "
                               f"output tail:\n{cls.output[-3000:]}")
                return
            if not isinstance(cls.findings, list) or not cls.findings:
                cls.problem = f"testssl.sh JSON is empty; output tail:\n{cls.output[-3000:]}"
        finally:
            cls.srv.cleanup()

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "tmp", None):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        if self.problem:
            self.fail(self.problem)

    # -- helpers ----------------------------------------------------------------------------
    def finding(self, fid):
        for f in self.findings:
            if f.get("id") == fid:
                return f
        self.fail(f"testssl.sh reported no {fid!r}; ids: {[f.get('id') for f in self.findings]}")

    def ciphers(self):
        """[(protocol id e.g. 'tls1_2', code point, OpenSSL name)] of every offered suite."""
        out = []
        for f in self.findings:
            m = re.match(r"cipher-([a-z0-9_]+)_x([0-9a-fA-F]+)$", f.get("id", ""))
            if not m:
                continue
            words = f.get("finding", "").split()
            # "TLS 1.2   xc02c   ECDHE-ECDSA-AES256-GCM-SHA384   ECDH 253 ..."
            name = words[3] if len(words) > 3 else ""
            out.append((m.group(1), int(m.group(2), 16), name))
        return out

    # -- tests ------------------------------------------------------------------------------
    def test_scan_completed(self):
        """The scan itself ran to the end: no FATAL finding, no `scanProblem`."""
        broken = scan_problems(self.findings)
        self.assertEqual(broken, [], broken)

    def test_every_finding_is_classified(self):
        """Each id is either about the server or about the scanner (see the lists at the top)."""
        unknown = unclassified(self.findings)
        self.assertEqual(unknown, [], "testssl.sh reported ids this test does not classify: add "
                         "each to SERVER_FINDINGS or SCANNER_FINDINGS (with the reason)")

    def test_no_server_finding_worse_than_info(self):
        bad = bad_server_findings(self.findings)
        self.assertEqual(bad, [], bad)

    def test_no_known_tls_vulnerability(self):
        for fid in VULNERABILITIES:
            with self.subTest(vulnerability=fid):
                f = self.finding(fid)
                self.assertEqual(f.get("severity"), "OK", f)
                self.assertTrue(f["finding"].startswith("not vulnerable"), f)
        renego = self.finding("secure_renego")
        self.assertEqual((renego.get("severity"), renego["finding"]), ("OK", "supported"), renego)
        fallback = self.finding("fallback_SCSV")
        self.assertEqual(fallback.get("severity"), "OK", fallback)

    def test_legacy_protocols_not_offered(self):
        for fid in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
            with self.subTest(protocol=fid):
                f = self.finding(fid)
                self.assertTrue(f["finding"].startswith("not offered"), f)

    def test_tls12_and_tls13_offered(self):
        for fid in ("TLS1_2", "TLS1_3"):
            with self.subTest(protocol=fid):
                f = self.finding(fid)
                self.assertTrue(f["finding"].startswith("offered"), f)
        self.assertIn("final", self.finding("TLS1_3")["finding"])

    def test_every_offered_cipher_is_mozilla_intermediate(self):
        offered = self.ciphers()
        self.assertTrue(offered, "testssl.sh listed no cipher at all")
        by_proto: dict = {}
        for proto, code, name in offered:
            by_proto.setdefault(proto, []).append((code, name))
            with self.subTest(protocol=proto, cipher=name or hex(code)):
                if proto == "tls1_2":
                    self.assertIn(code, INTERMEDIATE_TLS12, (proto, hex(code), name))
                    self.assertEqual(name, INTERMEDIATE_TLS12[code])
                elif proto == "tls1_3":
                    self.assertIn(code, INTERMEDIATE_TLS13, (proto, hex(code), name))
                else:
                    self.fail(f"a cipher offered under {proto}: {hex(code)} {name}")
        self.assertTrue(by_proto.get("tls1_2"), f"no TLS 1.2 cipher offered: {offered}")
        self.assertTrue(by_proto.get("tls1_3"), f"no TLS 1.3 cipher offered: {offered}")
        # Forward secrecy and AEAD only: no RSA key exchange, no CBC, no SHA-1 MACs.
        for proto, code, name in offered:
            self.assertNotRegex(name, r"^(AES|DES|RC4|NULL|EXP)|CBC|-SHA$|MD5", name)

    def test_hsts_at_least_one_year(self):
        f = self.finding("HSTS_time")
        self.assertIn(f.get("severity"), ("OK", "INFO", "LOW"), f)
        m = re.search(r"=\s*(\d+)\s*seconds", f["finding"])
        self.assertIsNotNone(m, f)
        self.assertGreaterEqual(int(m.group(1)), ONE_YEAR, f)


class FindingClassificationTest(unittest.TestCase):
    """The rules above on hand-made findings (no scan): whatever the machine has installed."""

    ENGINE = {"id": "engine_problem", "severity": "WARN",
              "finding": "No engine or GOST support via engine with your /usr/bin/openssl"}

    def test_missing_gost_engine_of_the_scanner_fails_nothing(self):
        findings = [self.ENGINE, {"id": "TLS1_3", "severity": "OK", "finding": "offered"}]
        self.assertEqual(scan_problems(findings), [])
        self.assertEqual(unclassified(findings), [])
        self.assertEqual(bad_server_findings(findings), [])

    def test_a_weak_server_finding_still_fails(self):
        for f in ({"id": "TLS1_1", "severity": "LOW", "finding": "offered (deprecated)"},
                  {"id": "SWEET32", "severity": "LOW", "finding": "VULNERABLE, uses 64 bit"},
                  {"id": "HSTS", "severity": "HIGH", "finding": "not offered"},
                  {"id": "cipher-tls1_2_x000a", "severity": "MEDIUM", "finding": "TLS 1.2 x0a"}):
            with self.subTest(id=f["id"]):
                self.assertEqual(bad_server_findings([self.ENGINE, f]), [f])

    def test_a_failed_scan_or_an_unknown_id_fails(self):
        fatal = {"id": "scanProblem", "severity": "FATAL", "finding": "Scan interrupted"}
        self.assertEqual(scan_problems([fatal]), [fatal])
        new = {"id": "some_new_check", "severity": "INFO", "finding": "x"}
        self.assertEqual(unclassified([self.ENGINE, new]), [new])


if __name__ == "__main__":
    unittest.main()
