"""TLS on every listener: 1.2 and 1.3 accepted with a verifiable dev certificate, 1.1 and below
refused, plain HTTP answered with a 400 and closed."""

import os
import socket
import ssl
import struct
import subprocess
import unittest
import warnings

import harness
from harness import LISTENERS, Server


def tls_client_hello(version: int, ciphers, server_name: str = "localhost") -> bytes:
    """A minimal hand-built ClientHello record offering only `version` (no supported_versions
    extension), so the refusal is decided by the server, not by the local OpenSSL."""
    def ext(ext_type, data):
        return struct.pack("!HH", ext_type, len(data)) + data

    name = server_name.encode()
    sni_list = b"\x00" + struct.pack("!H", len(name)) + name
    exts = ext(0, struct.pack("!H", len(sni_list)) + sni_list)
    groups = struct.pack("!HHH", 0x001D, 0x0017, 0x0018)
    exts += ext(10, struct.pack("!H", len(groups)) + groups)
    exts += ext(11, b"\x01\x00")
    # signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256,
    # ecdsa_sha1, rsa_pkcs1_sha1 (ignored by a TLS 1.1 server, needed by a TLS 1.2 one).
    sigalgs = struct.pack("!HHHHH", 0x0403, 0x0804, 0x0401, 0x0203, 0x0201)
    exts += ext(13, struct.pack("!H", len(sigalgs)) + sigalgs)
    suites = b"".join(struct.pack("!H", c) for c in ciphers)
    body = struct.pack("!H", version) + os.urandom(32) + b"\x00"
    body += struct.pack("!H", len(suites)) + suites + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    handshake = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16" + struct.pack("!HH", 0x0301, len(handshake)) + handshake


# TLS 1.0/1.1-era suites (ECDHE-ECDSA/RSA with AES-CBC-SHA, RSA AES-CBC-SHA).
LEGACY_SUITES = [0xC009, 0xC00A, 0xC013, 0xC014, 0x002F, 0x0035, 0x000A]


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def handshake(self, listener, ctx, server_hostname="localhost"):
        sock = self.server.raw_tcp_socket(listener)
        try:
            s = ctx.wrap_socket(sock, server_hostname=server_hostname)
        except BaseException:
            sock.close()
            raise
        return s

    def test_dev_mode_writes_cert_and_private_key_0600(self):
        self.assertTrue(os.path.isfile(self.server.cert_path))
        self.assertTrue(os.path.isfile(self.server.key_path))
        mode = os.stat(self.server.key_path).st_mode & 0o777
        self.assertEqual(mode & 0o077, 0, f"key.pem mode is {oct(mode)}")

    def test_tls13_accepted_on_every_listener_with_verified_cert(self):
        ctx = self.server.ssl_context(min_version=ssl.TLSVersion.TLSv1_3)
        for listener in LISTENERS:
            with self.subTest(listener=listener):
                with self.handshake(listener, ctx) as s:
                    self.assertEqual(s.version(), "TLSv1.3")
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    resp = harness.read_raw_response(s)
                    self.assertIn(resp.status, (200, 404))  # 200 on ops, 404 elsewhere
                    self.assertEqual(resp.status == 200, listener == "ops")

    def test_tls12_accepted_with_aead_forward_secret_cipher(self):
        ctx = self.server.ssl_context(min_version=ssl.TLSVersion.TLSv1_2,
                                      max_version=ssl.TLSVersion.TLSv1_2)
        for listener in LISTENERS:
            with self.subTest(listener=listener):
                with self.handshake(listener, ctx) as s:
                    self.assertEqual(s.version(), "TLSv1.2")
                    name = s.cipher()[0]
                    self.assertTrue(name.startswith(("ECDHE-", "DHE-")), name)
                    self.assertTrue("GCM" in name or "CHACHA20" in name, name)

    def test_certificate_valid_for_ip_127_0_0_1(self):
        ctx = self.server.ssl_context()
        with self.handshake("ops", ctx, server_hostname="127.0.0.1") as s:
            self.assertIn(s.version(), ("TLSv1.2", "TLSv1.3"))

    def test_tls12_non_intermediate_cbc_cipher_refused(self):
        ctx = self.server.ssl_context(max_version=ssl.TLSVersion.TLSv1_2)
        ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA:@SECLEVEL=0")
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            s = self.handshake("api", ctx)
            s.close()

    def test_tls11_refused_python_client(self):
        for listener in LISTENERS:
            for version in (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1):
                with self.subTest(listener=listener, version=version):
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    ctx.load_verify_locations(self.server.cert_path)
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", DeprecationWarning)
                            ctx.minimum_version = version
                            ctx.maximum_version = version
                        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                    except (ValueError, ssl.SSLError):
                        continue  # the local OpenSSL cannot even offer it: nothing to test here
                    with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                        s = self.handshake(listener, ctx)
                        s.close()

    def test_tls11_and_tls10_client_hello_refused_by_server(self):
        # Independent of the local OpenSSL: send a raw TLS 1.1 / 1.0 ClientHello and check that
        # the server answers with an alert or closes, never with a ServerHello.
        for listener in LISTENERS:
            for version in (0x0302, 0x0301):
                with self.subTest(listener=listener, version=hex(version)):
                    with self.server.raw_tcp_socket(listener, timeout=5) as sock:
                        sock.sendall(tls_client_hello(version, LEGACY_SUITES))
                        try:
                            data = sock.recv(7)
                        except (ConnectionError, socket.timeout) as e:
                            if isinstance(e, socket.timeout):
                                self.fail("server neither answered nor closed within 5 s")
                            data = b""
                        if data:
                            self.assertEqual(data[0], 0x15,
                                             f"expected a TLS alert record, got {data!r}")
                            if len(data) >= 7:
                                # fatal protocol_version (70) or handshake_failure (40)
                                self.assertIn(data[6], (70, 40), data)

    def test_tls12_client_hello_accepted_by_server(self):
        # Control for the test above: the same hand-built hello offering TLS 1.2 with an
        # intermediate suite (ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256) gets a
        # ServerHello.
        hello = tls_client_hello(0x0303, [0xC02B, 0xC02F, 0xC02C, 0xC030])
        with self.server.raw_tcp_socket("api", timeout=5) as sock:
            sock.sendall(hello)
            data = sock.recv(6)
            self.assertGreaterEqual(len(data), 6, data)
            self.assertEqual(data[0], 0x16, f"expected a handshake record, got {data!r}")
            self.assertEqual(data[5], 0x02, f"expected ServerHello, got {data!r}")

    def test_plain_http_gets_400_and_close(self):
        for listener in LISTENERS:
            with self.subTest(listener=listener):
                with self.server.raw_tcp_socket(listener, timeout=5) as sock:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    resp = harness.read_raw_response(sock, timeout=5)
                    self.assertTrue(resp.raw_head.startswith(b"HTTP/1.1 400"), resp.raw_head)
                    self.assertTrue(harness.wait_closed(sock, 5), "connection left open")

    def test_server_healthy_after_refused_handshakes(self):
        status, _, body = self.server.request("ops", "GET", "/healthz")
        self.assertEqual(status, 200, body)


class OpensslSClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.openssl = harness.require_tool("openssl", "openssl")
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def s_client(self, listener, *args):
        cmd = [self.openssl, "s_client", "-connect", f"127.0.0.1:{self.server.port(listener)}",
               "-servername", "localhost", "-CAfile", self.server.cert_path,
               "-verify_return_error", "-brief", *args]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=20)
        return p.returncode, p.stdout + p.stderr

    def test_s_client_tls1_3_connects_and_verifies_on_every_listener(self):
        for listener in LISTENERS:
            with self.subTest(listener=listener):
                rc, out = self.s_client(listener, "-tls1_3")
                self.assertEqual(rc, 0, out)
                self.assertIn("Protocol version: TLSv1.3", out)
                self.assertIn("Verification: OK", out)

    def test_s_client_tls1_2_connects(self):
        rc, out = self.s_client("api", "-tls1_2")
        self.assertEqual(rc, 0, out)
        self.assertIn("Protocol version: TLSv1.2", out)

    def test_s_client_tls1_1_refused(self):
        for listener in LISTENERS:
            with self.subTest(listener=listener):
                rc, out = self.s_client(listener, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
                self.assertNotEqual(rc, 0, out)
                self.assertNotIn("Protocol version: TLSv1.1", out)


if __name__ == "__main__":
    unittest.main()
