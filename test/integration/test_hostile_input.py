"""Hostile input: malformed requests, oversized heads and bodies, invalid JSON, a slow-loris
client, 1,000 simultaneous TLS connections; afterwards the server is healthy and its memory is
back near idle.

The tests of this module share one server and run in name order (test_01 … test_99)."""

import os
import re
import asyncio
import json
import ssl
import statistics
import threading
import time
import unittest

import harness
from harness import Server, assert_error_shape, read_raw_response, wait_closed

MiB = 1024 * 1024


class HostileInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.key = cls.server.api_key()
        # Warm up every listener (TLS contexts, allocator arenas, lazy init) before measuring idle.
        for _ in range(5):
            for listener, path in (("ops", "/healthz"), ("ops", "/metrics"), ("api", "/nope"),
                                   ("dashboard", "/nope")):
                cls.server.request(listener, "GET", path)
            cls.server.request("api", "POST", "/v1/payments", body=b"{bad",
                               headers={"Authorization": f"Bearer {cls.key}"})
        time.sleep(0.5)
        cls.idle_rss_kb = cls.server.rss_kb()
        cls.idle_fds = cls.server.open_fds()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    # -- helpers ------------------------------------------------------------------------------
    def raw(self, data: bytes, listener="ops", timeout=10.0):
        s = self.server.raw_tls_socket(listener, timeout)
        try:
            try:
                s.sendall(data)
            except (ConnectionError, ssl.SSLError, OSError):
                pass  # the server may answer and close before reading everything: read below
            resp = read_raw_response(s, timeout)
            closed = wait_closed(s, 5)
            return resp, closed
        finally:
            s.close()

    def assert_raw_error(self, resp, statuses, closed=None):
        self.assertIn(resp.status, statuses if isinstance(statuses, tuple) else (statuses,), resp)
        err = assert_error_shape(self, resp.status, resp.headers, resp.body)
        if closed is not None:
            self.assertTrue(closed, "connection not closed after the error")
        return err

    # -- malformed requests -------------------------------------------------------------------
    def test_01_malformed_request_line_garbage(self):
        resp, closed = self.raw(b"GARBAGE\r\n\r\n")
        self.assert_raw_error(resp, 400, closed)

    def test_02_malformed_request_line_missing_target(self):
        resp, closed = self.raw(b"GET  HTTP/1.1\r\n\r\n")
        self.assert_raw_error(resp, 400, closed)

    def test_03_malformed_header_line_and_bad_version(self):
        for data in (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\n\r\n",
                     b"GET /healthz HTTP/9.9\r\nHost: localhost\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
                     b"\x00\x01\x02\x03 / HTTP/1.1\r\n\r\n"):
            with self.subTest(data=data):
                resp, closed = self.raw(data)
                self.assert_raw_error(resp, 400, closed)

    def test_04_conflicting_content_lengths_rejected(self):
        # RFC 9112 §6.3: differing Content-Length values are an unrecoverable error (smuggling).
        data = (b"POST /v1/payments HTTP/1.1\r\nHost: localhost\r\n"
                b"Authorization: Bearer " + self.key.encode() + b"\r\n"
                b"Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}")
        resp, closed = self.raw(data, listener="api")
        self.assert_raw_error(resp, 400, closed)

    # -- oversized head -----------------------------------------------------------------------
    def test_05_head_just_under_limit_accepted(self):
        data = (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"a" * 12000 +
                b"\r\nConnection: close\r\n\r\n")
        resp, _ = self.raw(data)
        self.assertEqual(resp.status, 200, resp)

    def test_06_oversized_head_gets_431_and_close(self):
        data = (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" +
                b"".join(b"X-Big-%d: %s\r\n" % (i, b"b" * 1000) for i in range(20)) + b"\r\n")
        self.assertGreater(len(data), 16 * 1024)
        resp, closed = self.raw(data)
        self.assert_raw_error(resp, (431, 400), closed)

    def test_07_single_huge_header_line_gets_431(self):
        data = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Huge: " + b"h" * 40000 + b"\r\n\r\n"
        resp, closed = self.raw(data)
        self.assert_raw_error(resp, (431, 400), closed)

    # -- oversized body -----------------------------------------------------------------------
    def test_08_content_length_too_big_gets_413_without_reading_body(self):
        head = (b"POST /v1/payments HTTP/1.1\r\nHost: localhost\r\n"
                b"Authorization: Bearer " + self.key.encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: " +
                str(10 * MiB).encode() + b"\r\n\r\n")
        s = self.server.raw_tls_socket("api")
        try:
            t0 = time.monotonic()
            s.sendall(head)  # no body at all: the answer must not wait for it
            resp = read_raw_response(s, timeout=5)
            self.assertLess(time.monotonic() - t0, 5)
            self.assert_raw_error(resp, 413)
            self.assertTrue(wait_closed(s, 5), "connection not closed after 413")
        finally:
            s.close()

    # -- framing: pipelining and bodies split across reads ----------------------------------------
    def test_08a_pipelined_requests_answered_in_order(self):
        data = (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
                b"GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n"
                b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        s = self.server.raw_tls_socket("ops")
        got = b""
        try:
            s.sendall(data)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # the last one asked to close: read to the end
                chunk = harness.poll_recv(s, 1.0)
                if chunk == b"":
                    break
                got += chunk or b""
        finally:
            s.close()
        statuses = [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", got)]
        self.assertEqual(statuses, [200, 404, 200], got[:2000])

    def test_08b_body_trickled_in_small_chunked_pieces_is_read_whole(self):
        body = json.dumps({"amount": 1234, "currency": "usd", "payment_method": "tok_visa"}).encode()
        head = (b"POST /v1/payments HTTP/1.1\r\nHost: localhost\r\n"
                b"Authorization: Bearer " + self.key.encode() + b"\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                b"Connection: close\r\n\r\n")
        s = self.server.raw_tls_socket("api")
        try:
            s.sendall(head[:20])
            time.sleep(0.05)
            s.sendall(head[20:])
            for i in range(0, len(body), 7):
                piece = body[i:i + 7]
                s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                time.sleep(0.01)
            s.sendall(b"0\r\n\r\n")
            resp = read_raw_response(s)
        finally:
            s.close()
        self.assertEqual(resp.status, 200, resp)
        payment = json.loads(resp.body)
        self.assertEqual((payment["amount"], payment["status"]), (1234, "requires_confirmation"))

    def test_09_chunked_body_over_1mib_gets_413(self):
        head = (b"POST /v1/payments HTTP/1.1\r\nHost: localhost\r\n"
                b"Authorization: Bearer " + self.key.encode() + b"\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk_data = b"x" * (64 * 1024)
        chunk = b"%x\r\n" % len(chunk_data) + chunk_data + b"\r\n"
        s = self.server.raw_tls_socket("api")
        sent = 0
        early = b""
        try:
            s.sendall(head)
            # Send up to 3 MiB, stopping as soon as the server answers or closes.
            while sent < 3 * MiB:
                got = harness.poll_recv(s, 0)
                if got is not None:
                    early = got
                    break
                try:
                    s.sendall(chunk)
                except (ConnectionError, ssl.SSLError, OSError):
                    break
                sent += len(chunk_data)
            else:
                try:
                    s.sendall(b"0\r\n\r\n")
                except (ConnectionError, ssl.SSLError, OSError):
                    pass
            resp = read_raw_response(s, timeout=10, initial=early)
            self.assert_raw_error(resp, 413)
        finally:
            s.close()
        self.assertGreater(sent, MiB - len(chunk_data), "413 before 1 MiB was sent")

    def test_10_body_under_limit_not_rejected_as_too_large(self):
        body = json.dumps({"amount": 100, "currency": "usd",
                           "description": "d" * (MiB - 4096)}).encode()
        self.assertLess(len(body), MiB)
        status, headers, data = self.server.request(
            "api", "POST", "/v1/payments", body=body,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        self.assertNotEqual(status, 413, data[:300])
        self.assertIn("request-id", headers)

    def test_11_invalid_json_is_400_invalid_json(self):
        for body in (b"{\"amount\": 100,", b"not json at all", b"\xff\xfe\x00",
                     b"{\"amount\": 1}}"):
            with self.subTest(body=body):
                status, headers, data = self.server.request(
                    "api", "POST", "/v1/payments", body=body,
                    headers={"Authorization": f"Bearer {self.key}",
                             "Content-Type": "application/json"})
                err = assert_error_shape(self, status, headers, data, expect_status=400,
                                         expect_type="invalid_request_error")
                self.assertIn("json", err["code"].lower(), err)

    def test_12_invalid_json_without_auth_is_401(self):
        status, headers, data = self.server.request("api", "POST", "/v1/payments",
                                                    body=b"{\"amount\": 100,",
                                                    headers={"Content-Type": "application/json"})
        assert_error_shape(self, status, headers, data, expect_status=401,
                           expect_type="authentication_error")

    # -- slow loris ---------------------------------------------------------------------------
    def test_20_slow_loris_cut_off_while_others_served(self):
        result = {}

        def loris():
            s = self.server.raw_tls_socket("ops", timeout=30)
            payload = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"s" * 100
            start = time.monotonic()
            closed = False
            try:
                for i in range(len(payload)):
                    try:
                        s.send(payload[i:i + 1])
                    except (ConnectionError, ssl.SSLError, OSError):
                        closed = True
                        break
                    # Wait ~1 s for the server, doubling as the one-byte-per-second pacing.
                    t_next = start + i + 1
                    while time.monotonic() < t_next:
                        data = harness.poll_recv(s, max(0.0, t_next - time.monotonic()))
                        if data is None:
                            continue
                        if not data:
                            closed = True
                            break
                        result["data"] = result.get("data", b"") + data
                    if closed or time.monotonic() - start > 20:
                        break
            finally:
                result["elapsed"] = time.monotonic() - start
                result["closed"] = closed
                s.close()

        t = threading.Thread(target=loris, daemon=True)
        t.start()
        latencies = []
        errors = []
        conn = None
        while t.is_alive():
            t0 = time.monotonic()
            try:
                # Alternate new connections and a kept-alive one.
                if len(latencies) % 2 == 0:
                    status, _, _ = self.server.request("ops", "GET", "/healthz", timeout=5)
                else:
                    conn = conn or self.server.connection("ops", timeout=5)
                    status, _, _ = self.server.request("ops", "GET", "/healthz", conn=conn,
                                                       timeout=5)
                if status != 200:
                    errors.append(status)
            except Exception as e:  # noqa: BLE001 - any failure of a normal client counts
                errors.append(repr(e))
            latencies.append(time.monotonic() - t0)
            time.sleep(0.25)
        t.join()
        if conn:
            conn.close()
        self.assertTrue(result.get("closed"), f"slow client not cut off after "
                                              f"{result.get('elapsed'):.1f}s")
        self.assertLessEqual(result["elapsed"], 12.0, "slow client cut off too late")
        self.assertGreaterEqual(result["elapsed"], 5.0, "slow client cut off suspiciously early")
        self.assertEqual(errors, [], "normal clients failed during the slow-loris attack")
        self.assertGreater(len(latencies), 10)
        self.assertLess(max(latencies), 2.0, f"slow answer during slow loris: {latencies}")
        self.assertLess(statistics.median(latencies), 0.5, latencies)
        if "data" in result:
            # If the server said something before closing, it must be an HTTP error (408/400).
            self.assertRegex(result["data"][:12], rb"^HTTP/1\.1 4\d\d")

    # -- many connections ---------------------------------------------------------------------
    def test_30_thousand_tls_connections_at_once(self):
        n = 1000
        port = self.server.port("ops")
        ctx = self.server.ssl_context()

        async def run():
            async def open_one():
                return await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                            server_hostname="localhost"), 60)

            async def healthz(rw):
                reader, writer = rw
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await asyncio.wait_for(reader.readexactly(length), 60)
                return status, body

            t0 = time.monotonic()
            opened = await asyncio.gather(*(open_one() for _ in range(n)), return_exceptions=True)
            t_open = time.monotonic() - t0
            conns = [c for c in opened if not isinstance(c, BaseException)]
            open_errors = [repr(c) for c in opened if isinstance(c, BaseException)]
            # While all of them are open, the server has them all.
            active_fds = self.server.open_fds()
            results = await asyncio.gather(*(healthz(c) for c in conns), return_exceptions=True)
            for _, writer in conns:
                writer.close()
            await asyncio.gather(*(w.wait_closed() for _, w in conns), return_exceptions=True)
            return t_open, open_errors, results, active_fds

        t_open, open_errors, results, active_fds = asyncio.run(run())
        ok = sum(1 for r in results if not isinstance(r, BaseException) and r[0] == 200 and
                 json.loads(r[1]) == {"status": "ok"})
        failures = [r for r in results if isinstance(r, BaseException) or r[0] != 200]
        self.assertEqual(open_errors, [], f"{len(open_errors)} of {n} TLS connections failed to "
                                          f"open (in {t_open:.1f}s): {open_errors[:5]}")
        self.assertEqual(ok, n, f"only {ok}/{n} got 200 from /healthz; e.g. {failures[:5]}")
        self.assertGreaterEqual(active_fds, self.idle_fds + n - 50,
                                "the server did not hold the connections concurrently")
        # Still healthy and fast right afterwards.
        t0 = time.monotonic()
        status, _, body = self.server.request("ops", "GET", "/healthz")
        self.assertEqual(status, 200, body)
        self.assertLess(time.monotonic() - t0, 2.0)

    def test_31_connections_released_after_clients_close(self):
        deadline = time.monotonic() + 10
        while self.server.open_fds() > self.idle_fds + 20 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertLessEqual(self.server.open_fds(), self.idle_fds + 20,
                             "file descriptors not released after clients closed")

    # -- the end ------------------------------------------------------------------------------
    def test_99_still_healthy_and_memory_bounded(self):
        status, _, body = self.server.request("ops", "GET", "/healthz")
        self.assertEqual(status, 200, body)
        self.assertTrue(self.server.alive())
        time.sleep(1.0)
        rss = self.server.rss_kb()
        # AddressSanitizer keeps freed memory in quarantine and adds shadow memory, so RSS says
        # nothing about the server there; the bound is asserted on the normal build.
        if os.environ.get("LP_SANITIZED") == "1":
            return
        self.assertLessEqual(rss, 2 * self.idle_rss_kb,
                             f"RSS {rss} kB > 2x idle RSS {self.idle_rss_kb} kB")


if __name__ == "__main__":
    unittest.main()
