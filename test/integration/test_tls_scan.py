"""An external TLS scan (testssl.sh) of the api listener (PRODUCT.md §7): only TLS 1.2 and 1.3,
only Mozilla "intermediate" cipher suites, HSTS of at least a year.

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
SCAN_TIMEOUT = 240


def testssl_binary():
    for name in ("testssl.sh", "testssl"):
        path = shutil.which(name)
        if path:
            return path
    return None


class TlsScanTest(unittest.TestCase):
    """One scan of one server (protocols, ciphers per protocol, HTTP headers); each test reads
    its part of the JSON findings."""

    findings: list = []
    problem: str | None = None

    @classmethod
    def setUpClass(cls):
        cls.binary = testssl_binary()
        if cls.binary is None:
            cls.problem = ("testssl.sh is not installed (neither `testssl.sh` nor `testssl` is on "
                           "PATH): install the Debian package with `apt-get install -y testssl.sh` "
                           "(scripts/setup does this). The TLS scan cannot run.")
            return
        cls.srv = harness.Server()
        cls.tmp = tempfile.mkdtemp(prefix="lp-testssl-")
        try:
            jsonfile = os.path.join(cls.tmp, "scan.json")
            cmd = [cls.binary, "--quiet", "--color", "0", "--warnings", "off",
                   "--ip", "127.0.0.1", "--jsonfile", jsonfile, "-p", "-E", "-h",
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
    def test_scan_had_no_fatal_problem(self):
        fatal = [f for f in self.findings if f.get("severity") == "FATAL" or
                 f.get("id") in ("scanProblem", "engine_problem")]
        self.assertEqual(fatal, [], fatal)

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


if __name__ == "__main__":
    unittest.main()
