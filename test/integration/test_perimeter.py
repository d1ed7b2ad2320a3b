"""The merchant API's perimeter over real HTTPS: per-key IP allowlists (IPv4 and IPv6, audited
refusals), X-Forwarded-For honoured only from trusted proxies, the per-key token-bucket rate limit
(burst = 2 x rate, RateLimit-* and Retry-After headers, keys isolated) and the per-IP limit on
failed authentications."""

from __future__ import annotations

import http.client
import math
import socket
import sqlite3
import time
import unittest

import harness
from payments_helpers import Merchant, Resp, dev_merchant, new_merchant


def db_rows(srv, sql, params=()):
    conn = sqlite3.connect(f"file:{srv.db_path}?mode=ro", uri=True, timeout=10)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def wait_rows(srv, sql, params=(), want=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        rows = db_rows(srv, sql, params)
        if len(rows) >= want or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


class PerimeterCase(unittest.TestCase):
    SERVER_ARGS: list = []

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(extra_args=cls.SERVER_ARGS)
        try:
            cls.m = dev_merchant(cls.srv)
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def assertError(self, r: Resp, status, code=None, etype=None):
        err = harness.assert_error_shape(self, r.status, r.headers, r.body, expect_status=status)
        if code is not None:
            self.assertEqual(err["code"], code, r)
        if etype is not None:
            self.assertEqual(err["type"], etype, r)
        return err

    def new_key(self, by: Merchant | None = None, **body) -> tuple[str, Merchant]:
        r = (by or self.m).post("/v1/api_keys", body)
        self.assertEqual(r.status, 200, r)
        return r.json["id"], Merchant(self.srv, r.json["secret"], self.m.merchant_id)


# ------------------------------------------------------------------------------------------
# IP allowlists (IPv4), no proxy
# ------------------------------------------------------------------------------------------

class IpAllowlistTest(PerimeterCase):
    def test_key_used_outside_its_cidrs_is_refused_and_audited(self):
        key_id, key = self.new_key(allowed_cidrs=["10.0.0.0/8"])
        payments_before = len(self.m.all_payments())
        r = key.get("/v1/payments")
        err = self.assertError(r, 403, code="ip_not_allowed", etype="permission_error")
        self.assertIn("127.0.0.1", err["message"])
        self.assertNotIn(key.api_key, err["message"])
        # Refused on every route, reads and writes alike; nothing is created.
        self.assertError(key.create_payment(payment_method="tok_visa", confirm=True), 403,
                         code="ip_not_allowed")
        self.assertError(key.post("/v1/api_keys", {"type": "publishable"}), 403,
                         code="ip_not_allowed")
        self.assertEqual(len(self.m.all_payments()), payments_before)
        # Audited once per key, address and event a minute (a leaked key used in a flood must
        # not flood the audit log); every refusal is still logged and counted.
        rows = wait_rows(self.srv, "SELECT * FROM audit_log WHERE action = "
                                   "'security.ip_not_allowed' AND actor_id = ? ORDER BY seq",
                         (key_id,), want=1)
        time.sleep(0.5)
        rows = wait_rows(self.srv, "SELECT * FROM audit_log WHERE action = "
                                   "'security.ip_not_allowed' AND actor_id = ? ORDER BY seq",
                         (key_id,), want=1)
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        self.assertEqual(row["actor_type"], "api_key")
        self.assertEqual(row["outcome"], "denied")
        self.assertEqual(row["source_ip"], "127.0.0.1")
        self.assertEqual(row["merchant_id"], self.m.merchant_id)
        self.assertEqual(row["request_id"], r.headers["request-id"])
        self.assertEqual(row["target"], "/v1/payments")
        # The refused key's last use is not recorded.
        listed = {k["id"]: k for k in self.m.get("/v1/api_keys?limit=100").json["data"]}
        self.assertIsNone(listed[key_id]["last_used_at"])

    def test_refusal_is_counted_in_metrics(self):
        _, key = self.new_key(allowed_cidrs=["192.0.2.0/24"])
        self.assertError(key.get("/v1/payments"), 403, code="ip_not_allowed")
        status, _, body = self.srv.request("ops", "GET", "/metrics")
        self.assertEqual(status, 200)
        samples = harness.parse_metrics(body.decode())
        n = sum(v for name, labels, v in samples if name == "liasonpay_security_events_total"
                and labels.get("event") == "ip_not_allowed")
        self.assertGreaterEqual(n, 1)

    def test_key_used_inside_its_cidrs_works(self):
        for cidrs in (["127.0.0.0/8"], ["127.0.0.1"], ["10.0.0.0/8", "127.0.0.1/32"],
                      ["2001:db8::/32", "127.0.0.0/8"], ["0.0.0.0/0"]):
            with self.subTest(cidrs=cidrs):
                _, key = self.new_key(allowed_cidrs=cidrs)
                r = key.get("/v1/payments")
                self.assertEqual(r.status, 200, r)

    def test_ipv6_only_allowlist_refuses_an_ipv4_client(self):
        _, key = self.new_key(allowed_cidrs=["::/0"])
        self.assertError(key.get("/v1/payments"), 403, code="ip_not_allowed")

    def test_forwarded_for_is_ignored_without_trusted_proxies(self):
        _, key = self.new_key(allowed_cidrs=["203.0.113.0/24"])
        for xff in ("203.0.113.7", "203.0.113.7, 127.0.0.1", "127.0.0.1, 203.0.113.7"):
            with self.subTest(xff=xff):
                r = key.get("/v1/payments", headers={"X-Forwarded-For": xff})
                err = self.assertError(r, 403, code="ip_not_allowed")
                self.assertIn("127.0.0.1", err["message"])
        # Other spellings of the same idea are ignored too.
        r = key.get("/v1/payments", headers={"X-Real-IP": "203.0.113.7",
                                             "Forwarded": "for=203.0.113.7"})
        self.assertError(r, 403, code="ip_not_allowed")

    def test_allowlist_applies_after_authentication(self):
        # A wrong key is a 401 whatever the address; the allowlist never leaks key validity.
        r = Merchant(self.srv, "sk_test_" + "x" * 32).get("/v1/payments")
        self.assertError(r, 401, code="invalid_api_key")


# ------------------------------------------------------------------------------------------
# IPv6 listener
# ------------------------------------------------------------------------------------------

def ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Ipv6Server(harness.Server):
    """The api listener on [::1] (the harness binds 127.0.0.1)."""

    def command(self):
        cmd = super().command()
        i = cmd.index("--api-addr")
        cmd[i + 1] = "[::1]:0"
        return cmd

    def raw_tcp_socket(self, listener, timeout=10.0):
        if listener == "api":
            return socket.create_connection(("::1", self.port("api")), timeout=timeout)
        return super().raw_tcp_socket(listener, timeout)

    def connection(self, listener, timeout=10.0):
        if listener != "api":
            return super().connection(listener, timeout)
        srv = self

        class Conn(http.client.HTTPSConnection):
            def connect(self):
                sock = socket.create_connection(("::1", srv.port("api")), timeout=timeout)
                self.sock = srv.context().wrap_socket(sock, server_hostname="localhost")

        return Conn("localhost", self.port("api"), timeout=timeout, context=self.context())


@unittest.skipUnless(ipv6_loopback_available(), "no IPv6 loopback (::1) on this host")
class Ipv6AllowlistTest(PerimeterCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Ipv6Server()
        try:
            cls.m = dev_merchant(cls.srv)
        except BaseException:
            cls.srv.cleanup()
            raise

    def test_listener_is_ipv6(self):
        with self.srv.raw_tcp_socket("api") as s:
            self.assertEqual(s.family, socket.AF_INET6)
            self.assertEqual(s.getpeername()[0], "::1")

    def test_ipv6_allowlist(self):
        _, ok = self.new_key(allowed_cidrs=["::1/128"])
        r = ok.get("/v1/payments")
        self.assertEqual(r.status, 200, r)
        _, ok2 = self.new_key(allowed_cidrs=["::1"])
        self.assertEqual(ok2.get("/v1/payments").status, 200)
        key_id, refused = self.new_key(allowed_cidrs=["2001:db8::/32"])
        r = refused.get("/v1/payments")
        err = self.assertError(r, 403, code="ip_not_allowed", etype="permission_error")
        self.assertIn("::1", err["message"])
        rows = wait_rows(self.srv, "SELECT * FROM audit_log WHERE action = "
                                   "'security.ip_not_allowed' AND actor_id = ?", (key_id,))
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["source_ip"], "::1")
        # An IPv4 allowlist does not admit an IPv6 client.
        _, v4 = self.new_key(allowed_cidrs=["127.0.0.0/8"])
        self.assertError(v4.get("/v1/payments"), 403, code="ip_not_allowed")

    def test_last_used_ip_is_ipv6(self):
        key_id, key = self.new_key()
        self.assertEqual(key.get("/v1/payments").status, 200)
        deadline = time.monotonic() + 5
        while True:
            listed = {k["id"]: k for k in self.m.get("/v1/api_keys?limit=100").json["data"]}
            if listed[key_id]["last_used_ip"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(listed[key_id]["last_used_ip"], "::1")


# ------------------------------------------------------------------------------------------
# Trusted proxies
# ------------------------------------------------------------------------------------------

class TrustedProxyTest(PerimeterCase):
    SERVER_ARGS = ["--trusted-proxy", "127.0.0.1/32"]

    def test_forwarded_client_inside_the_allowlist_passes(self):
        key_id, key = self.new_key(allowed_cidrs=["203.0.113.0/24"])
        r = key.get("/v1/payments", headers={"X-Forwarded-For": "203.0.113.7"})
        self.assertEqual(r.status, 200, r)
        # A chain ending at a trusted proxy: the hop before it is the client.
        r = key.get("/v1/payments", headers={"X-Forwarded-For": "203.0.113.8, 127.0.0.1"})
        self.assertEqual(r.status, 200, r)
        deadline = time.monotonic() + 5
        while True:
            listed = {k["id"]: k for k in self.m.get("/v1/api_keys?limit=100").json["data"]}
            if listed[key_id]["last_used_ip"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertIn(listed[key_id]["last_used_ip"], ("203.0.113.7", "203.0.113.8"))

    def test_forwarded_client_outside_the_allowlist_is_refused(self):
        key_id, key = self.new_key(allowed_cidrs=["203.0.113.0/24"])
        r = key.get("/v1/payments", headers={"X-Forwarded-For": "198.51.100.1"})
        err = self.assertError(r, 403, code="ip_not_allowed")
        self.assertIn("198.51.100.1", err["message"])
        rows = wait_rows(self.srv, "SELECT * FROM audit_log WHERE action = "
                                   "'security.ip_not_allowed' AND actor_id = ?", (key_id,))
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["source_ip"], "198.51.100.1")

    def test_client_cannot_spoof_through_the_proxy(self):
        # The client prepends an allowed address; the proxy appends the real one: refused.
        _, key = self.new_key(allowed_cidrs=["203.0.113.0/24"])
        r = key.get("/v1/payments", headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.1"})
        self.assertError(r, 403, code="ip_not_allowed")

    def test_forwarded_for_over_several_header_lines_is_one_list(self):
        """Proxies such as HAProxy (`option forwardfor`) append their own X-Forwarded-For line
        instead of extending the client's; the lines form one list in order (RFC 9110 §5.3), so
        the client's forged first line must not win."""
        _, key = self.new_key(allowed_cidrs=["203.0.113.0/24"])
        raw = ("GET /v1/payments HTTP/1.1\r\nHost: localhost\r\n"
               f"Authorization: Bearer {key.api_key}\r\n"
               "X-Forwarded-For: 203.0.113.7\r\n"     # sent by the client (forged)
               "X-Forwarded-For: 198.51.100.1\r\n"    # appended by the trusted proxy
               "Connection: close\r\n\r\n").encode()
        r = self.srv.raw_exchange("api", raw)
        self.assertEqual(r.status, 403, f"client spoofed its address with a second "
                                        f"X-Forwarded-For line: {r}")
        self.assertEqual(r.json()["error"]["code"], "ip_not_allowed")

    def test_no_forwarded_for_means_the_proxy_itself(self):
        _, key = self.new_key(allowed_cidrs=["203.0.113.0/24"])
        self.assertError(key.get("/v1/payments"), 403, code="ip_not_allowed")
        self.assertError(key.get("/v1/payments", headers={"X-Forwarded-For": "garbage"}), 403,
                         code="ip_not_allowed")

    def test_audit_source_ip_is_the_forwarded_client(self):
        r = self.m.post("/v1/api_keys", {"type": "publishable"},
                        headers={"X-Forwarded-For": "203.0.113.77"})
        self.assertEqual(r.status, 200, r)
        rows = wait_rows(self.srv, "SELECT * FROM audit_log WHERE action = 'api_key.create' "
                                   "AND target = ?", (r.json["id"],))
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["source_ip"], "203.0.113.77")

    def test_failed_authentications_are_limited_per_forwarded_client(self):
        bad = Merchant(self.srv, "sk_test_" + "y" * 32)
        conn = self.srv.connection("api")
        try:
            refused_after = None
            for i in range(120):
                r = bad.get("/v1/payments", headers={"X-Forwarded-For": "198.51.100.66"}, conn=conn)
                if r.status == 429:
                    refused_after = i
                    break
                self.assertEqual(r.status, 401, r)
            self.assertIsNotNone(refused_after, "no 429 after 120 failed authentications")
            self.assertGreaterEqual(refused_after, 40)
            # Another client behind the same proxy has its own budget.
            r = bad.get("/v1/payments", headers={"X-Forwarded-For": "198.51.100.67"}, conn=conn)
            self.assertError(r, 401, code="invalid_api_key")
        finally:
            conn.close()


# ------------------------------------------------------------------------------------------
# Per-key rate limit
# ------------------------------------------------------------------------------------------

class RateLimitTest(PerimeterCase):
    RATE = 5
    SERVER_ARGS = ["--rate-limit-per-key", str(RATE)]

    def burst(self, key: Merchant, n: int):
        """n requests on one keep-alive connection; returns (responses, seconds taken)."""
        conn = self.srv.connection("api")
        out = []
        t0 = time.monotonic()
        try:
            for _ in range(n):
                out.append(key.get("/v1/payments?limit=1", conn=conn))
        finally:
            conn.close()
        return out, time.monotonic() - t0

    def test_burst_then_429_and_other_keys_unaffected(self):
        _, key = self.new_key()
        _, sibling = self.new_key()  # same merchant, its own bucket
        other = new_merchant(self.srv, name="B")
        responses, took = self.burst(key, 16)
        statuses = [r.status for r in responses]
        ok = statuses.index(429) if 429 in statuses else len(statuses)
        burst = 2 * self.RATE
        # Exactly the burst, plus whatever refilled during the burst itself.
        self.assertGreaterEqual(ok, burst, statuses)
        self.assertLessEqual(ok, burst + math.floor(took * self.RATE), (statuses, took))
        self.assertTrue(all(s == 200 for s in statuses[:ok]), statuses)
        for i, r in enumerate(responses[:ok]):
            self.assertEqual(r.headers.get("ratelimit-limit"), str(burst), r.headers)
            remaining = int(r.headers["ratelimit-remaining"])
            self.assertGreaterEqual(remaining, 0)
            self.assertLessEqual(remaining, burst - 1)
            self.assertGreaterEqual(int(r.headers["ratelimit-reset"]), 1)
        self.assertEqual(responses[0].headers["ratelimit-remaining"], str(burst - 1))
        limited = responses[ok]
        err = self.assertError(limited, 429, code="rate_limited", etype="rate_limit_error")
        retry_after = int(limited.headers["retry-after"])
        self.assertGreaterEqual(retry_after, 1)
        self.assertLessEqual(retry_after, 2)
        self.assertEqual(limited.headers["ratelimit-limit"], str(burst))
        self.assertEqual(limited.headers["ratelimit-remaining"], "0")
        self.assertGreaterEqual(int(limited.headers["ratelimit-reset"]), 1)
        self.assertLessEqual(int(limited.headers["ratelimit-reset"]), math.ceil(burst / self.RATE))
        self.assertIn(str(retry_after), err["message"])
        # Everything after the first refusal in the same instant is refused too.
        self.assertTrue(all(s in (200, 429) for s in statuses[ok:]), statuses)

        # Another merchant's key and another key of the same merchant: full buckets.
        for k in (other, sibling):
            r = k.get("/v1/payments?limit=1")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.headers["ratelimit-remaining"], str(burst - 1), r.headers)
            self.assertEqual(r.headers["ratelimit-limit"], str(burst))

        # After Retry-After, the flooded key is admitted again.
        time.sleep(retry_after + 0.05)
        r = key.get("/v1/payments?limit=1")
        self.assertEqual(r.status, 200, r)

    def test_refused_requests_change_nothing(self):
        _, key = self.new_key()
        responses, _ = self.burst(key, 2 * self.RATE)
        self.assertTrue(all(r.status == 200 for r in responses[: 2 * self.RATE - 1]))
        before = len(self.m.all_payments())
        r = key.create_payment(payment_method="tok_visa", confirm=True)
        if r.status == 200:  # one token refilled meanwhile; drain again
            r = key.create_payment(payment_method="tok_visa", confirm=True)
            before += 1
        self.assertError(r, 429, code="rate_limited")
        self.assertEqual(len(self.m.all_payments()), before)


# ------------------------------------------------------------------------------------------
# Failed authentications per client IP
# ------------------------------------------------------------------------------------------

class AuthFailureLimitTest(PerimeterCase):
    def test_failed_auth_flood_from_one_ip_is_limited(self):
        bad = Merchant(self.srv, "sk_test_" + "z" * 32)
        conn = self.srv.connection("api")
        t0 = time.monotonic()
        refused_after, limited = None, None
        try:
            for i in range(200):
                r = bad.get("/v1/payments", conn=conn)
                if r.status == 429:
                    refused_after, limited = i, r
                    break
                self.assertError(r, 401, code="invalid_api_key")
            took = time.monotonic() - t0
            # Malformed and missing keys count against the same budget: while it is empty they
            # are refused too (at most what refills meanwhile, 20/s, gets through as a 401).
            t1 = time.monotonic()
            others = []
            for i in range(10):
                hdrs = {"Authorization": "Bearer not-a-key"} if i % 2 else {}
                others.append(self.srv.request("api", "GET", "/v1/payments", headers=hdrs,
                                               conn=conn)[0])
            took_others = time.monotonic() - t1
        finally:
            conn.close()
        self.assertIsNotNone(refused_after, "no 429 after 200 failed authentications")
        # Burst 40 at 20/s: ~40, plus what refilled during the flood.
        self.assertGreaterEqual(refused_after, 40)
        self.assertLessEqual(refused_after, 40 + math.ceil(took * 20) + 1, took)
        self.assertError(limited, 429, code="rate_limited", etype="rate_limit_error")
        self.assertGreaterEqual(int(limited.headers["retry-after"]), 1)
        self.assertEqual(limited.headers.get("ratelimit-limit"), "40")
        self.assertTrue(set(others) <= {401, 429}, others)
        self.assertLessEqual(others.count(401), math.ceil(took_others * 20) + 1,
                             (others, took_others))
        # A valid key from the same address is not locked out.
        r = self.m.get("/v1/payments?limit=1")
        self.assertEqual(r.status, 200, r)
        # Counted as a security event.
        status, _, body = self.srv.request("ops", "GET", "/metrics")
        samples = harness.parse_metrics(body.decode())
        n = sum(v for name, labels, v in samples if name == "liasonpay_security_events_total"
                and labels.get("event") == "auth_rate_limited")
        self.assertGreaterEqual(n, 1)
        # And the budget refills: after Retry-After a bad key is a plain 401 again.
        time.sleep(int(limited.headers["retry-after"]) + 0.1)
        self.assertError(bad.get("/v1/payments"), 401, code="invalid_api_key")


if __name__ == "__main__":
    unittest.main()
