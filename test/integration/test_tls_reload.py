"""Certificate reload on SIGHUP without dropping connections (issue 5, PRODUCT.md §7)."""
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import Server, require_tool


def make_cert(directory: str, cn: str):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run([require_tool("openssl", "openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", f"/CN={cn}",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def served_cn(port: int) -> str:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            der = t.getpeercert(binary_form=True)
    text = subprocess.run([require_tool("openssl", "openssl"), "x509", "-inform", "DER", "-noout", "-subject"],
                          input=der, capture_output=True, check=True).stdout.decode()
    return text.strip().split("CN", 1)[1].lstrip(" =")


class TlsReloadTest(unittest.TestCase):
    def test_sighup_serves_the_new_certificate_and_keeps_open_connections(self):
        srv = Server()
        try:
            before = served_cn(srv.port("ops"))
            # A kept-alive connection opened with the old certificate.
            conn = srv.connection("ops")
            conn.request("GET", "/healthz")
            self.assertEqual(conn.getresponse().read(), b'{"status":"ok"}')
            tmp = tempfile.mkdtemp()
            try:
                cert, key = make_cert(tmp, "reloaded.liasonpay.test")
                shutil.copy(cert, srv.cert_path)
                shutil.copy(key, srv.key_path)
                os.chmod(srv.key_path, 0o600)
            finally:
                shutil.rmtree(tmp)
            srv.signal(signal.SIGHUP)
            deadline = time.monotonic() + 5
            after = before
            while time.monotonic() < deadline and after == before:
                time.sleep(0.1)
                after = served_cn(srv.port("ops"))
            self.assertEqual(after, "reloaded.liasonpay.test")
            self.assertNotEqual(before, after)
            # The old connection still works after the reload.
            conn.request("GET", "/healthz")
            self.assertEqual(conn.getresponse().read(), b'{"status":"ok"}')
            conn.close()
            self.assertTrue(srv.alive())
        finally:
            srv.cleanup()

    def test_sighup_with_a_broken_key_keeps_the_old_certificate(self):
        srv = Server()
        try:
            before = served_cn(srv.port("ops"))
            with open(srv.key_path, "w") as f:
                f.write("not a key\n")
            srv.signal(signal.SIGHUP)
            time.sleep(0.5)
            self.assertTrue(srv.alive())
            self.assertEqual(served_cn(srv.port("ops")), before)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
