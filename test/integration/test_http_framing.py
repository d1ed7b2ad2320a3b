"""HTTP/1.1 framing on every listener (RFC 9112 §3.2, §5.2, §6; issue 12 item 6): a request whose
body length is ambiguous, or whose head repeats a header that must be single, is answered once
with the JSON error and the connection is closed. A second request smuggled into the first one's
body bytes is never served. Also: the API listener's security headers (X-Content-Type-Options)."""

import re
import socket
import ssl
import time
import unittest

from harness import LISTENERS, Server, assert_error_shape

STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) ")


def read_until_close(sock, timeout=10.0):
    """Everything the server sends until it closes the connection; (data, closed)."""
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return data, False
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionError, ssl.SSLError, OSError):
            return data, True
        if not chunk:
            return data, True
        data += chunk


def first_response(data: bytes):
    """(status, headers with lower-case names, body) of the first response in `data`."""
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest[:int(headers.get("content-length", "0"))]


class HttpFramingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.key = cls.server.api_key()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def smuggled(self, listener):
        """A request that succeeds on `listener` if it is ever served."""
        if listener == "api":
            return (b"GET /v1/payments HTTP/1.1\r\nHost: localhost\r\n"
                    b"Authorization: Bearer " + self.key.encode() + b"\r\n\r\n")
        return b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"

    def exchange(self, listener, data):
        s = self.server.raw_tls_socket(listener)
        try:
            try:
                s.sendall(data)
            except (ConnectionError, ssl.SSLError, OSError):
                pass  # the server may answer and close before reading everything
            return read_until_close(s)
        finally:
            s.close()

    # The table: (name, head up to the blank line, status, error code). The head is followed by
    # the smuggled request twice, as body bytes.
    CASES = [
        ("te gzip", b"Transfer-Encoding: gzip\r\n", 400, "invalid_request_framing"),
        ("te xchunked", b"Transfer-Encoding: xchunked\r\n", 400, "invalid_request_framing"),
        ("te identity", b"Transfer-Encoding: identity\r\n", 400, "invalid_request_framing"),
        ("te chunked, gzip", b"Transfer-Encoding: chunked, gzip\r\n", 400,
         "invalid_request_framing"),
        ("te gzip, chunked", b"Transfer-Encoding: gzip, chunked\r\n", 501,
         "unsupported_transfer_coding"),
        ("te obs-fold", b"Transfer-Encoding:\r\n chunked\r\n", 400, "invalid_request_framing"),
        ("te obs-fold tab", b"Transfer-Encoding: gzip\r\n\tchunked\r\n", 400,
         "invalid_request_framing"),
        ("te twice", b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", 400,
         "invalid_request_framing"),
        ("te chunked twice", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400,
         "invalid_request_framing"),
        ("te and cl", b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", 400,
         "invalid_request_framing"),
        ("cl and te", b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", 400,
         "invalid_request_framing"),
        ("te gzip and cl", b"Transfer-Encoding: gzip\r\nContent-Length: 4\r\n", 400,
         "invalid_request_framing"),
        ("cl list", b"Content-Length: 5, 6\r\n", 400, "invalid_request_framing"),
        ("cl equal list", b"Content-Length: 4, 4\r\n", 400, "invalid_request_framing"),
        ("cl two lines", b"Content-Length: 4\r\nContent-Length: 6\r\n", 400,
         "invalid_request_framing"),
        ("cl two equal lines", b"Content-Length: 4\r\nContent-Length: 4\r\n", 400,
         "invalid_request_framing"),
        ("cl plus", b"Content-Length: +4\r\n", 400, "invalid_request_framing"),
        ("cl junk after", b"Content-Length: 4;\r\n", 400, "invalid_request_framing"),
        ("cl junk before", b"Content-Length: 0x4\r\n", 400, "invalid_request_framing"),
        ("two hosts", b"Host: other\r\nContent-Length: 0\r\n", 400, "duplicate_header"),
        ("two authorizations",
         b"Authorization: Bearer a\r\nAuthorization: Bearer b\r\nContent-Length: 0\r\n", 400,
         "duplicate_header"),
        ("two idempotency keys",
         b"Idempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: 0\r\n", 400,
         "duplicate_header"),
        ("two content types",
         b"Content-Type: application/json\r\ncontent-type: application/json\r\n"
         b"Content-Length: 0\r\n", 400, "duplicate_header"),
    ]

    def assert_one_error_then_close(self, listener, data, status, code):
        got, closed = self.exchange(listener, data)
        statuses = [int(s) for s in STATUS_LINE.findall(got)]
        self.assertEqual(len(statuses), 1, f"expected exactly one response, got {got[:3000]!r}")
        st, headers, body = first_response(got)
        err = assert_error_shape(self, st, headers, body, expect_status=status)
        self.assertEqual(err["code"], code, err)
        self.assertEqual(headers.get("connection", "").lower(), "close", headers)
        self.assertTrue(closed, "the connection stayed open after a framing error")

    def test_refused_framing_is_answered_once_then_closed_on_every_listener(self):
        for listener in LISTENERS:
            path = b"/v1/payments" if listener == "api" else b"/healthz"
            for name, head, status, code in self.CASES:
                with self.subTest(listener=listener, case=name):
                    data = (b"POST " + path + b" HTTP/1.1\r\nHost: localhost\r\n" + head +
                            b"\r\n" + self.smuggled(listener) * 2)
                    self.assert_one_error_then_close(listener, data, status, code)

    def test_missing_host_is_refused_on_every_listener(self):
        for listener in LISTENERS:
            for version in (b"HTTP/1.1", b"HTTP/1.0"):
                with self.subTest(listener=listener, version=version):
                    data = b"GET /healthz " + version + b"\r\n\r\n" + self.smuggled(listener)
                    self.assert_one_error_then_close(listener, data, 400, "missing_host")

    def test_transfer_encoding_in_http_1_0_is_refused(self):
        data = (b"POST /healthz HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"0\r\n\r\n" + self.smuggled("ops"))
        self.assert_one_error_then_close("ops", data, 400, "invalid_request_framing")

    def test_well_framed_pipelined_requests_are_all_served(self):
        # The control: the same connection handling does serve a second request when the first
        # is well framed (chunked, any case), so the refusals above are about framing.
        body = b'{"amount":1099,"currency":"usd","payment_method":"tok_visa"}'
        first = (b"POST /v1/payments HTTP/1.1\r\nHost: localhost\r\n"
                 b"Authorization: Bearer " + self.key.encode() + b"\r\n"
                 b"Content-Type: application/json\r\nTransfer-Encoding: Chunked\r\n\r\n" +
                 b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        last = b"GET /v1/payments?limit=1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + \
            self.key.encode() + b"\r\nConnection: close\r\n\r\n"
        got, closed = self.exchange("api", first + self.smuggled("api") + last)
        statuses = [int(s) for s in STATUS_LINE.findall(got)]
        self.assertEqual(statuses, [200, 200, 200], got[:3000])
        self.assertTrue(closed)

    def test_transfer_encoding_gzip_body_is_not_served_as_a_request(self):
        # The reported defect: the body of a `Transfer-Encoding: gzip` request was read as the
        # next request. It must be answered 400 and never reach a handler.
        marker = "smuggled-" + str(time.monotonic_ns())
        payload = ('{"amount":100,"currency":"usd","description":"%s"}' % marker).encode()
        inner = (b"POST /v1/payments HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
                 self.key.encode() + b"\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
        data = (b"POST /v1/payments HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n"
                + inner)
        self.assert_one_error_then_close("api", data, 400, "invalid_request_framing")
        status, _, body = self.server.request(
            "api", "GET", "/v1/payments?limit=100",
            headers={"Authorization": f"Bearer {self.key}"})
        self.assertEqual(status, 200, body)
        self.assertNotIn(marker.encode(), body, "the smuggled payment was created")

    def test_api_listener_sends_nosniff_like_the_others(self):
        for listener, path in (("api", "/v1/nothing"), ("api", "/v1/payments"),
                               ("dashboard", "/nothing"), ("ops", "/healthz")):
            with self.subTest(listener=listener, path=path):
                _, headers, _ = self.server.request(listener, "GET", path)
                self.assertEqual(headers.get("x-content-type-options"), "nosniff", headers)
        # Framing errors carry the listener's headers too.
        got, _ = self.exchange("api", b"GET /v1/payments HTTP/1.1\r\n\r\n")
        _, headers, _ = first_response(got)
        self.assertEqual(headers.get("x-content-type-options"), "nosniff", headers)


if __name__ == "__main__":
    unittest.main()
