"""Outbound merchant webhooks (PRODUCT.md §3; STANDARDS.md Appendix B and CUST-04..08).

Covered: the endpoint API (create/list/get/patch/delete, validation naming `url` or
`enabled_events` with nothing persisted, the secret shown once, per-merchant isolation); the SSRF
guard (private, link-local, metadata, CGNAT, IPv4-mapped and numeric-encoded addresses refused
naming `url`; loopback allowed only because the harness runs --dev); Standard Webhooks signatures
checked three ways (recomputed here, the official `standardwebhooks` npm package through
node/verify.mjs, and `liasonpay webhooks verify`); event filters and disabled endpoints; the retry
schedule scaled by --webhook-retry-scale; the delivery log; redelivery; secret rotation (two
signatures, each under its own secret); redirects never followed; 8 failed attempts → failing;
per-payment order (a payment's later events, its refunds' included, wait while an earlier one is
retried); no duplicate sends to a healthy receiver; SIGKILL mid-schedule loses nothing; a
2,000-event backlog is delivered in order per payment.

Needs `node` and test/integration/node/node_modules: `cd test/integration/node && npm ci`. A
missing library fails the tests that need it (never skips them).

Not covered on purpose: a DNS name resolving to a private address (nothing offline resolves to one
on the test hosts, and the suite must not depend on DNS); non-dev mode (http:// and loopback
refused), since the harness always runs --dev.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import harness
from harness import Server
from payments_helpers import Merchant, Resp, dev_merchant, new_merchant
from webhook_receiver import WebhookReceiver, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
VERIFY_MJS = os.path.join(NODE_DIR, "verify.mjs")

EVENT_TYPES = ["payment.succeeded", "payment.failed", "payment.processing",
               "payment.requires_capture", "payment.captured", "payment.cancelled",
               "refund.succeeded", "refund.failed", "security.alert"]
SW_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
RETRY_DELAYS_S = [5, 300, 1800, 7200, 18000, 36000, 36000]  # after attempts 1..7 (PRODUCT.md §3)
MAX_ATTEMPTS = 8
# Sanitizer builds (LP_SANITIZED=1) run several times slower: wait longer, allow later retries.
SLOW = 3.0 if os.environ.get("LP_SANITIZED") == "1" else 1.0
SECRET_RE = re.compile(r"^whsec_([A-Za-z0-9+/]+={0,2})$")
ONE_SIG_RE = re.compile(r"^v1,[A-Za-z0-9+/]{43}=$")

# STANDARDS.md Appendix B: the official Standard Webhooks vector and the derived rotation vector.
VEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VEC_SECRET2 = "whsec_bGlhc29ucGF5LXRlc3Qtcm90YXRpb24tc2VjcmV0LTI="
VEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VEC_TS = 1614265330
VEC_BODY = b'{"test": 2432232314}'
VEC_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
VEC_SIG2 = "v1,T+5zkieMUrk/Dpuve8gTPOYcUrgH86xby8K1JtSt2lo="


# ----------------------------------------------------------------------------------------------
# Signatures: recomputed here, the official npm library, the CLI
# ----------------------------------------------------------------------------------------------

def secret_key(secret: str) -> bytes:
    b64 = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    return base64.b64decode(b64 + "=" * (-len(b64) % 4))


def sw_sign(secret: str, msg_id: str, ts, body: bytes) -> str:
    """v1,base64(HMAC-SHA256(key, id.ts.body)), computed independently of the server."""
    mac = hmac.new(secret_key(secret), f"{msg_id}.{ts}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def sw_headers(req, signature=None) -> dict:
    h = {k: req.headers[k] for k in SW_HEADERS if k in req.headers}
    if signature is not None:
        h["webhook-signature"] = signature
    return h


def node_verify(items) -> list:
    """Verifies [(secret, headers, body bytes)] with the official `standardwebhooks` npm package
    (node/verify.mjs). Returns one "ok" or "error: ..." line per item."""
    lib = os.path.join(NODE_DIR, "node_modules", "standardwebhooks", "package.json")
    if not os.path.isfile(lib):
        raise AssertionError(
            f"{lib} is missing: the official Standard Webhooks library is required. Run "
            f"`cd test/integration/node && npm ci` (scripts/setup does; this test is never "
            f"skipped).")
    node = harness.require_tool("node", "nodejs")
    payload = [{"secret": s, "headers": dict(h), "body": b.decode("utf-8")} for s, h, b in items]
    r = subprocess.run([node, VERIFY_MJS], input=json.dumps(payload), capture_output=True,
                       text=True, timeout=60, cwd=NODE_DIR)
    lines = r.stdout.splitlines()
    if len(lines) != len(items):
        raise AssertionError(f"verify.mjs exited {r.returncode}: stdout {r.stdout[-2000:]!r} "
                             f"stderr {r.stderr[-2000:]!r}")
    return lines


def raw_request(headers, body: bytes, request_line="POST /webhook HTTP/1.1", eol=b"\r\n"):
    """A raw HTTP request (request line optional) as `webhooks verify` reads it on stdin."""
    lines = [request_line.encode()] if request_line else []
    items = headers.items() if isinstance(headers, dict) else headers
    lines += [f"{k}: {v}".encode("latin-1") for k, v in items]
    return eol.join(lines) + eol + eol + body


def cli_verify(secret, raw: bytes, tolerance=None) -> subprocess.CompletedProcess:
    args = [harness.binary_path(), "webhooks", "verify", "--secret", secret]
    if tolerance is not None:
        args += ["--tolerance", str(tolerance)]
    return subprocess.run(args, input=raw, capture_output=True, timeout=30)


def cli_out(r: subprocess.CompletedProcess) -> str:
    return (r.stdout + r.stderr).decode("utf-8", "replace").strip()


# ----------------------------------------------------------------------------------------------
# Base classes
# ----------------------------------------------------------------------------------------------

class WebhookTestCase(unittest.TestCase):
    """One server per class (retry schedule scaled by SCALE); each test gets its own merchant."""

    SCALE = 0.002

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(extra_args=["--webhook-retry-scale", str(cls.SCALE)])
        try:
            cls.dev = dev_merchant(cls.srv)
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        self.m = new_merchant(self.srv, f"wh {self._testMethodName}"[:60])

    # -- errors -------------------------------------------------------------------------------
    def assertError(self, r: Resp, status, param=None, code=None):
        err = harness.assert_error_shape(self, r.status, r.headers, r.body, expect_status=status)
        if param is not None:
            self.assertEqual(err.get("param"), param, r)
        if code is not None:
            self.assertEqual(err["code"], code, r)
        return err

    # -- receivers and endpoints --------------------------------------------------------------
    def receiver(self) -> WebhookReceiver:
        rx = WebhookReceiver()
        self.addCleanup(rx.close)
        return rx

    def create_endpoint(self, url, events=("*",), m: Merchant | None = None, **extra) -> dict:
        m = m or self.m
        r = m.post("/v1/webhook_endpoints", {"url": url, "enabled_events": list(events), **extra})
        self.assertEqual(r.status, 200, r)
        self.addCleanup(self._delete_quietly, m, r.json["id"])
        return r.json

    @staticmethod
    def _delete_quietly(m: Merchant, endpoint_id):
        try:
            m.call("DELETE", f"/v1/webhook_endpoints/{endpoint_id}", timeout=5)
        except Exception:  # the server may be gone (restart tests)
            pass

    def endpoint_ids(self, m: Merchant | None = None) -> list:
        r = (m or self.m).get("/v1/webhook_endpoints?limit=100")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["object"], "list", r)
        return [e["id"] for e in r.json["data"]]

    # -- payments and events ------------------------------------------------------------------
    def pay(self, m: Merchant | None = None, **fields) -> dict:
        return (m or self.m).pay(self, **fields)

    def refund(self, pid, m: Merchant | None = None, **fields) -> dict:
        r = (m or self.m).post("/v1/refunds", {"payment": pid, **fields})
        self.assertEqual(r.status, 200, r)
        return r.json

    def events_of(self, object_id, m: Merchant | None = None) -> list:
        return (m or self.m).events_for(object_id)

    def one_event(self, object_id, etype, m: Merchant | None = None) -> dict:
        evs = [e for e in self.events_of(object_id, m) if e["type"] == etype]
        self.assertEqual(len(evs), 1, f"{etype} events for {object_id}: {evs}")
        return evs[0]

    def event_body(self, event_id, m: Merchant | None = None) -> bytes:
        r = (m or self.m).get(f"/v1/events/{event_id}")
        self.assertEqual(r.status, 200, r)
        return r.body

    def deliveries(self, event_id, m: Merchant | None = None) -> list:
        r = (m or self.m).get(f"/v1/events/{event_id}/deliveries")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json.get("object"), "list", r)
        return r.json["data"]

    def wait_deliveries(self, event_id, pred, timeout=10.0, m: Merchant | None = None) -> list:
        """Polls GET /v1/events/{id}/deliveries until pred(list) holds; returns the last list."""
        deadline = time.monotonic() + timeout * SLOW
        while True:
            ds = self.deliveries(event_id, m)
            if pred(ds) or time.monotonic() > deadline:
                return ds
            time.sleep(0.05)

    def wait_ok(self, rx: WebhookReceiver, event_ids, timeout=10.0) -> dict:
        """Waits until every event id was answered 2xx by `rx`; returns {id: first 2xx request}."""
        timeout *= SLOW
        want = set(event_ids)
        rx.wait_for(lambda reqs: want <= {q.webhook_id for q in reqs if 200 <= q.status < 300},
                    timeout)
        got = {}
        for q in rx.snapshot():
            if q.webhook_id in want and 200 <= q.status < 300 and q.webhook_id not in got:
                got[q.webhook_id] = q
        missing = want - set(got)
        self.assertFalse(missing, f"not delivered within {timeout}s: {sorted(missing)}; "
                                  f"receiver saw {rx.snapshot()[-10:]}")
        return got

    def assertDelivery(self, d, event_id, endpoint_id):
        self.assertTrue(str(d.get("id", "")).startswith("whd_"), d)
        self.assertEqual(d["event"], event_id, d)
        self.assertEqual(d["endpoint"], endpoint_id, d)
        self.assertIn(d["status"], ("pending", "succeeded", "failed"), d)
        self.assertIsInstance(d["attempts"], list, d)
        self.assertIn("next_attempt_at", d, d)
        for i, a in enumerate(d["attempts"], 1):
            self.assertEqual(a["attempt"], i, d)
            self.assertIsInstance(a["time"], int, a)
            self.assertLess(abs(a["time"] - time.time()), 600, a)
            self.assertIn("status_code", a, a)
            self.assertIn("error", a, a)
            self.assertIsInstance(a["latency_ms"], (int, float), a)
            self.assertGreaterEqual(a["latency_ms"], 0, a)
        times = [a["time"] for a in d["attempts"]]
        self.assertEqual(times, sorted(times), d)

    def assertSignedBy(self, secret, req, body=None):
        """The delivery's signature verifies: recomputed here and with the official library."""
        body = req.body if body is None else body
        h = sw_headers(req)
        for k in SW_HEADERS:
            self.assertIn(k, h, req.headers)
        sigs = h["webhook-signature"].split(" ")
        self.assertIn(sw_sign(secret, h["webhook-id"], h["webhook-timestamp"], body), sigs, req)
        self.assertEqual(node_verify([(secret, h, body)]), ["ok"], req)


# ----------------------------------------------------------------------------------------------
# Endpoint API, validation and the SSRF guard
# ----------------------------------------------------------------------------------------------

class WebhookEndpointApiTest(WebhookTestCase):

    def loopback_url(self, path="/hooks/lp"):
        return f"http://127.0.0.1:{free_port()}{path}"

    def test_create_returns_the_endpoint_and_its_secret_once(self):
        url = self.loopback_url()
        r = self.m.post("/v1/webhook_endpoints",
                        {"url": url, "enabled_events": ["payment.succeeded", "refund.succeeded"],
                         "description": "orders service"})
        self.assertEqual(r.status, 200, r)
        ep = r.json
        self.assertRegex(ep["id"], r"^we_[A-Za-z0-9]+$")
        self.assertEqual(ep["object"], "webhook_endpoint")
        self.assertEqual(ep["url"], url)
        self.assertEqual(ep["enabled_events"], ["payment.succeeded", "refund.succeeded"])
        self.assertEqual(ep["description"], "orders service")
        self.assertEqual(ep["status"], "enabled")
        self.assertIsInstance(ep["created"], int)
        self.assertLess(abs(ep["created"] - time.time()), 300)
        m = SECRET_RE.match(ep["secret"])
        self.assertIsNotNone(m, ep["secret"])
        self.assertTrue(24 <= len(secret_key(ep["secret"])) <= 64, ep["secret"])
        secret = ep["secret"]
        secret_b64 = m.group(1).rstrip("=")

        def assertNoSecret(resp: Resp, what):
            self.assertEqual(resp.status, 200, resp)
            self.assertNotIn(secret_b64.encode(), resp.body, f"{what} shows the secret")
            objs = resp.json["data"] if resp.json.get("object") == "list" else [resp.json]
            for o in objs:
                self.assertNotIn("secret", o, f"{what}: {o}")

        g = self.m.get(f"/v1/webhook_endpoints/{ep['id']}")
        assertNoSecret(g, "GET")
        for k in ("id", "object", "url", "enabled_events", "description", "status", "created"):
            self.assertEqual(g.json[k], ep[k], k)
        lst = self.m.get("/v1/webhook_endpoints")
        assertNoSecret(lst, "list")
        self.assertEqual([e["id"] for e in lst.json["data"]], [ep["id"]])
        p = self.m.call("PATCH", f"/v1/webhook_endpoints/{ep['id']}", body={"description": "x"})
        assertNoSecret(p, "PATCH")
        self.assertNotIn(secret.encode(), self.srv.log_text().encode(), "secret in the server log")

    def test_every_documented_event_type_and_the_wildcard_are_accepted(self):
        ep = self.create_endpoint(self.loopback_url(), EVENT_TYPES)
        self.assertEqual(ep["enabled_events"], EVENT_TYPES)
        ep = self.create_endpoint(self.loopback_url(), ["*"])
        self.assertEqual(ep["enabled_events"], ["*"])

    def test_each_endpoint_gets_its_own_random_secret(self):
        secrets = [self.create_endpoint(self.loopback_url(f"/h{i}"))["secret"] for i in range(8)]
        self.assertEqual(len(set(secrets)), 8, secrets)
        self.assertEqual(len({secret_key(s) for s in secrets}), 8)
        for s in secrets:
            self.assertRegex(s, SECRET_RE)
            self.assertTrue(24 <= len(secret_key(s)) <= 64, s)

    def test_list_get_patch_delete_round_trip(self):
        a = self.create_endpoint(self.loopback_url("/a"), ["payment.succeeded"])
        b = self.create_endpoint(self.loopback_url("/b"), ["*"], description="catch-all")
        self.assertEqual(set(self.endpoint_ids()), {a["id"], b["id"]})
        self.assertEqual(self.m.get(f"/v1/webhook_endpoints/{b['id']}").json["enabled_events"],
                         ["*"])
        # Cursor pagination, newest first, both ways; a cursor that is not ours is a 400.
        older = self.m.get(f"/v1/webhook_endpoints?limit=1&starting_after={b['id']}")
        self.assertEqual([e["id"] for e in older.json["data"]], [a["id"]], older)
        newer = self.m.get(f"/v1/webhook_endpoints?limit=1&ending_before={a['id']}")
        self.assertEqual([e["id"] for e in newer.json["data"]], [b["id"]], newer)
        self.assertError(self.m.get("/v1/webhook_endpoints?starting_after=we_nope"), 400,
                         param="starting_after")

        new_url = self.loopback_url("/a2")
        r = self.m.call("PATCH", f"/v1/webhook_endpoints/{a['id']}",
                        body={"url": new_url, "enabled_events": ["payment.failed", "refund.failed"],
                              "description": "renamed", "status": "disabled"})
        self.assertEqual(r.status, 200, r)
        for k, v in {"id": a["id"], "object": "webhook_endpoint", "url": new_url,
                     "enabled_events": ["payment.failed", "refund.failed"],
                     "description": "renamed", "status": "disabled"}.items():
            self.assertEqual(r.json[k], v, r)
        g = self.m.get(f"/v1/webhook_endpoints/{a['id']}")
        self.assertEqual(g.json, r.json)
        r = self.m.call("PATCH", f"/v1/webhook_endpoints/{a['id']}", body={"status": "enabled"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "enabled")
        self.assertEqual(r.json["url"], new_url, "a PATCH changes only what it names")
        self.assertEqual(r.json["enabled_events"], ["payment.failed", "refund.failed"])

        d = self.m.call("DELETE", f"/v1/webhook_endpoints/{a['id']}")
        self.assertEqual(d.status, 200, d)
        self.assertEqual(d.json.get("id"), a["id"], d)
        self.assertNotIn("secret", d.json)
        self.assertEqual(self.endpoint_ids(), [b["id"]])
        for method, path, body in (("GET", "", None), ("PATCH", "", {"description": "z"}),
                                   ("DELETE", "", None), ("POST", "/rotate_secret", {})):
            with self.subTest(after_delete=f"{method} {path}"):
                r = self.m.call(method, f"/v1/webhook_endpoints/{a['id']}{path}", body=body)
                self.assertError(r, 404)

    def test_unknown_endpoint_is_404(self):
        for method, path, body in (("GET", "", None), ("PATCH", "", {"description": "z"}),
                                   ("DELETE", "", None), ("POST", "/rotate_secret", {})):
            with self.subTest(f"{method} {path}"):
                r = self.m.call(method, f"/v1/webhook_endpoints/we_doesnotexist{path}", body=body)
                self.assertError(r, 404)

    def test_create_validation_names_url_or_enabled_events_and_persists_nothing(self):
        port = free_port()
        cases = [
            ({"enabled_events": ["*"]}, "url"),
            ({"url": "", "enabled_events": ["*"]}, "url"),
            ({"url": 42, "enabled_events": ["*"]}, "url"),
            ({"url": "not a url", "enabled_events": ["*"]}, "url"),
            ({"url": "ftp://127.0.0.1/x", "enabled_events": ["*"]}, "url"),
            ({"url": "javascript:alert(1)", "enabled_events": ["*"]}, "url"),
            ({"url": "http://", "enabled_events": ["*"]}, "url"),
            ({"url": f"http://127.0.0.1:{port}/a b", "enabled_events": ["*"]}, "url"),
            ({"url": f"http://user:pw@127.0.0.1:{port}/", "enabled_events": ["*"]}, "url"),
            ({"url": f"http://127.0.0.1:{port}/" + "a" * 5000, "enabled_events": ["*"]}, "url"),
            ({"url": f"http://127.0.0.1:{port}/", "enabled_events": ["payment.exploded"]},
             "enabled_events"),
            ({"url": f"http://127.0.0.1:{port}/", "enabled_events": ["payment.succeeded", "x"]},
             "enabled_events"),
            ({"url": f"http://127.0.0.1:{port}/", "enabled_events": [123]}, "enabled_events"),
            ({"url": f"http://127.0.0.1:{port}/", "enabled_events": "payment.succeeded"},
             "enabled_events"),
            ({"url": f"http://127.0.0.1:{port}/", "enabled_events": {"*": True}},
             "enabled_events"),
            # Merchants never choose their own signing secret.
            ({"url": f"http://127.0.0.1:{port}/", "enabled_events": ["*"],
              "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "secret"),
        ]
        for body, param in cases:
            with self.subTest(body=json.dumps(body)[:120]):
                r = self.m.post("/v1/webhook_endpoints", body)
                self.assertError(r, 400, param=param)
        self.assertEqual(self.endpoint_ids(), [], "a refused endpoint was persisted")

    def test_patch_validation_names_the_field_and_changes_nothing(self):
        ep = self.create_endpoint(self.loopback_url(), ["payment.succeeded"])
        before = self.m.get(f"/v1/webhook_endpoints/{ep['id']}").json
        for body, param in (({"url": "http://10.0.0.1/"}, "url"),
                            ({"url": "http://169.254.169.254/"}, "url"),
                            ({"url": "gopher://127.0.0.1/"}, "url"),
                            ({"enabled_events": ["nope"]}, "enabled_events"),
                            ({"status": "paused"}, "status"),
                            ({"status": "failing"}, "status"),
                            ({"url": "http://10.0.0.1/", "description": "half applied?"}, "url")):
            with self.subTest(body=body):
                r = self.m.call("PATCH", f"/v1/webhook_endpoints/{ep['id']}", body=body)
                self.assertError(r, 400, param=param)
        self.assertEqual(self.m.get(f"/v1/webhook_endpoints/{ep['id']}").json, before)

    def test_ssrf_private_link_local_and_metadata_addresses_are_refused_naming_url(self):
        port = free_port()
        urls = [
            "http://10.0.0.1/", "http://10.0.0.1:8080/hook", "https://10.255.255.254/",
            "http://169.254.169.254/", "http://169.254.169.254/latest/meta-data/iam/",
            "https://169.254.169.254/", "http://169.254.1.1/",
            "https://[fd00::1]/", "https://[fd00:ec2::254]/", "https://[fe80::1]/",
            "http://192.168.1.10/", "http://172.16.5.4/", "http://172.31.255.1/",
            "http://100.64.0.1/",                          # CGNAT
            "https://[::ffff:10.0.0.1]/", "https://[::ffff:169.254.169.254]/",
            "https://[::ffff:a9fe:a9fe]/",                 # 169.254.169.254, hex IPv4-mapped
            f"http://0.0.0.0:{port}/",                     # reaches the local host on Linux
            f"http://192.0.2.2:{port}/",                   # documentation range
            "http://224.0.0.1/",                           # multicast
            # Numeric spellings that resolvers turn into private or metadata addresses.
            "http://167772161/", "http://0x0a000001/", "http://10.1/", "http://012.0.0.1/",
            "http://2852039166/", "http://0xa9fea9fe/",
        ]
        for url in urls:
            with self.subTest(url=url):
                r = self.m.post("/v1/webhook_endpoints", {"url": url, "enabled_events": ["*"]})
                self.assertError(r, 400, param="url")
        self.assertEqual(self.endpoint_ids(), [], "a refused endpoint was persisted")

    def test_loopback_http_receiver_is_allowed_in_dev_mode(self):
        for url in (f"http://127.0.0.1:{free_port()}/hook", f"http://[::1]:{free_port()}/hook"):
            with self.subTest(url=url):
                ep = self.create_endpoint(url)
                self.assertEqual(ep["url"], url)

    def test_endpoints_are_private_to_their_merchant(self):
        ep = self.create_endpoint(self.loopback_url())
        other = new_merchant(self.srv, "wh other merchant")
        self.assertNotIn(ep["id"], self.endpoint_ids(other))
        for method, path, body in (("GET", "", None), ("PATCH", "", {"description": "mine"}),
                                   ("DELETE", "", None), ("POST", "/rotate_secret", {})):
            with self.subTest(f"{method} {path}"):
                r = other.call(method, f"/v1/webhook_endpoints/{ep['id']}{path}", body=body)
                self.assertError(r, 404)
        g = self.m.get(f"/v1/webhook_endpoints/{ep['id']}")
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.json["description"], ep["description"])


# ----------------------------------------------------------------------------------------------
# CLI: liasonpay webhooks verify (no server needed)
# ----------------------------------------------------------------------------------------------

class WebhooksVerifyCliTest(unittest.TestCase):
    """`liasonpay webhooks verify` against the Appendix B vectors and the spec's failure cases."""

    VEC_HEADERS = {"webhook-id": VEC_ID, "webhook-timestamp": str(VEC_TS),
                   "webhook-signature": VEC_SIG}

    def vec_tolerance(self):
        """A tolerance that accepts the 2021 timestamp of the official vector."""
        return int(time.time()) - VEC_TS + 3600

    def assertValid(self, secret, raw, tolerance=None):
        r = cli_verify(secret, raw, tolerance)
        self.assertEqual(r.returncode, 0, cli_out(r))
        self.assertEqual(r.stdout.decode().strip(), "valid", cli_out(r))

    def assertInvalid(self, secret, raw, tolerance=None, reason=None):
        r = cli_verify(secret, raw, tolerance)
        self.assertEqual(r.returncode, 1, cli_out(r))
        out = cli_out(r)
        self.assertTrue(out, "no reason printed")
        self.assertNotEqual(r.stdout.decode().strip(), "valid", out)
        if reason:
            self.assertRegex(out.lower(), reason, out)
        return out

    def test_official_vector_is_valid(self):
        tol = self.vec_tolerance()
        self.assertEqual(sw_sign(VEC_SECRET, VEC_ID, VEC_TS, VEC_BODY), VEC_SIG)  # self-check
        self.assertValid(VEC_SECRET, raw_request(self.VEC_HEADERS, VEC_BODY), tol)
        # request line optional, LF line ends, header names in any case
        self.assertValid(VEC_SECRET, raw_request(self.VEC_HEADERS, VEC_BODY, request_line=None,
                                                 eol=b"\n"), tol)
        self.assertValid(VEC_SECRET, raw_request(
            {"Webhook-Id": VEC_ID, "Webhook-Timestamp": str(VEC_TS),
             "Webhook-Signature": VEC_SIG, "Content-Type": "application/json"}, VEC_BODY), tol)
        # secret without prefix, and unpadded / over-long base64 secrets
        for secret in ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"):
            with self.subTest(secret=secret):
                r = cli_verify(secret, raw_request(self.VEC_HEADERS, VEC_BODY), tol)
                self.assertIn(r.returncode, (0, 1), cli_out(r))  # accepted as a secret (no crash)
        self.assertValid("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                         raw_request(self.VEC_HEADERS, VEC_BODY), tol)

    def test_rotation_header_is_valid_under_either_secret(self):
        tol = self.vec_tolerance()
        h = dict(self.VEC_HEADERS, **{"webhook-signature": f"{VEC_SIG2} {VEC_SIG}"})
        self.assertValid(VEC_SECRET, raw_request(h, VEC_BODY), tol)
        self.assertValid(VEC_SECRET2, raw_request(h, VEC_BODY), tol)
        multi = ("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
                 "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
                 f"{VEC_SIG} v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=")
        self.assertValid(VEC_SECRET, raw_request(dict(h, **{"webhook-signature": multi}),
                                                 VEC_BODY), tol)

    def test_tampering_and_missing_headers_are_invalid_with_a_reason(self):
        tol = self.vec_tolerance()
        good = self.VEC_HEADERS
        self.assertInvalid(VEC_SECRET, raw_request(
            dict(good, **{"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}),
            VEC_BODY), tol, reason="signature")
        self.assertInvalid(VEC_SECRET, raw_request(good, b'{"test": 2432232315}'), tol,
                           reason="signature")
        self.assertInvalid(VEC_SECRET2, raw_request(good, VEC_BODY), tol, reason="signature")
        self.assertInvalid(VEC_SECRET, raw_request(
            dict(good, **{"webhook-id": "msg_other"}), VEC_BODY), tol, reason="signature")
        self.assertInvalid(VEC_SECRET, raw_request(
            dict(good, **{"webhook-signature": VEC_SIG.replace("v1,", "v2,")}), VEC_BODY), tol,
            reason="signature")
        for missing in SW_HEADERS:
            with self.subTest(missing=missing):
                h = {k: v for k, v in good.items() if k != missing}
                self.assertInvalid(VEC_SECRET, raw_request(h, VEC_BODY), tol,
                                   reason=f"{missing}|missing")
        self.assertInvalid(VEC_SECRET, raw_request(dict(good, **{"webhook-timestamp": "hello"}),
                                                   VEC_BODY), tol, reason="timestamp")
        self.assertInvalid(VEC_SECRET, raw_request(good, VEC_BODY + b" "), tol)

    def test_timestamp_tolerance_defaults_to_300_seconds_both_directions(self):
        body = b'{"id":"evt_cli","type":"payment.succeeded"}'
        now = int(time.time())

        def req(ts):
            return raw_request({"webhook-id": "evt_cli", "webhook-timestamp": str(ts),
                                "webhook-signature": sw_sign(VEC_SECRET, "evt_cli", ts, body)},
                               body)

        self.assertValid(VEC_SECRET, req(now))
        self.assertValid(VEC_SECRET, req(now - 240))
        self.assertValid(VEC_SECRET, req(now + 240))
        self.assertInvalid(VEC_SECRET, req(now - 330), reason="old|timestamp|toleran")
        self.assertInvalid(VEC_SECRET, req(now + 330), reason="new|future|timestamp|toleran")
        self.assertInvalid(VEC_SECRET, req(now - 240), tolerance=100,
                           reason="old|timestamp|toleran")
        self.assertValid(VEC_SECRET, req(now - 330), tolerance=600)
        # The official vector's timestamp (2021) is far too old under the default tolerance.
        self.assertInvalid(VEC_SECRET, raw_request(self.VEC_HEADERS, VEC_BODY),
                           reason="old|timestamp|toleran")

    def test_empty_secret_is_an_error_never_valid(self):
        for secret in ("", "whsec_"):
            with self.subTest(secret=secret):
                r = cli_verify(secret, raw_request(self.VEC_HEADERS, VEC_BODY),
                               self.vec_tolerance())
                self.assertNotEqual(r.returncode, 0, cli_out(r))
                self.assertNotEqual(r.stdout.decode().strip(), "valid")


# ----------------------------------------------------------------------------------------------
# Deliveries
# ----------------------------------------------------------------------------------------------

class WebhookDeliveryTest(WebhookTestCase):
    SCALE = 0.002  # 5 s → 10 ms, 5 min → 0.6 s, 30 min → 3.6 s

    def test_payment_events_arrive_signed_and_verify_with_the_official_library_and_the_cli(self):
        rx = self.receiver()
        ep = self.create_endpoint(rx.url("/hooks/lp?src=liasonpay"))
        p = self.pay(amount=4200)
        rf = self.refund(p["id"], amount=1200)
        e_pay = self.one_event(p["id"], "payment.succeeded")
        e_ref = self.one_event(rf["id"], "refund.succeeded")
        got = self.wait_ok(rx, [e_pay["id"], e_ref["id"]])
        now = time.time()
        batch = []
        for ev, etype in ((e_pay, "payment.succeeded"), (e_ref, "refund.succeeded")):
            q = got[ev["id"]]
            with self.subTest(event=etype):
                self.assertEqual(q.method, "POST")
                self.assertEqual(q.path, "/hooks/lp?src=liasonpay")
                self.assertEqual(q.header("content-type", "").split(";")[0].strip(),
                                 "application/json", q.headers)
                self.assertEqual(q.webhook_id, ev["id"])
                self.assertNotIn(".", q.webhook_id)
                ts = q.header("webhook-timestamp")
                self.assertRegex(ts, r"^\d+$")
                self.assertLess(abs(int(ts) - now), 60, "webhook-timestamp is not unix seconds")
                self.assertRegex(q.header("webhook-signature"), ONE_SIG_RE)
                self.assertEqual(q.body, self.event_body(ev["id"]),
                                 "body differs from GET /v1/events/{id}")
                doc = q.json()
                self.assertEqual((doc["id"], doc["type"]), (ev["id"], etype))
                self.assertIn("created", doc)
                self.assertIn("object", doc["data"])
                self.assertEqual(sw_sign(ep["secret"], q.webhook_id, ts, q.body),
                                 q.header("webhook-signature"))
                batch.append((ep["secret"], sw_headers(q), q.body))
                # the CLI, fed the request as the merchant received it
                raw = raw_request(q.raw_headers, q.body, request_line=f"POST {q.path} HTTP/1.1")
                r = cli_verify(ep["secret"], raw)
                self.assertEqual((r.returncode, r.stdout.decode().strip()), (0, "valid"),
                                 cli_out(r))
                r = cli_verify(ep["secret"], raw_request(sw_headers(q), q.body,
                                                         request_line=None, eol=b"\n"))
                self.assertEqual((r.returncode, r.stdout.decode().strip()), (0, "valid"),
                                 cli_out(r))
                tampered = q.body.replace(b'"amount":', b'"amount":1', 1)
                self.assertNotEqual(tampered, q.body)
                r = cli_verify(ep["secret"], raw_request(sw_headers(q), tampered))
                self.assertEqual(r.returncode, 1, cli_out(r))
                r = cli_verify(VEC_SECRET, raw_request(sw_headers(q), q.body))
                self.assertEqual(r.returncode, 1, cli_out(r))
        self.assertEqual(node_verify(batch), ["ok", "ok"])
        # The official library rejects a tampered body and a foreign secret.
        s, h, b = batch[0]
        res = node_verify([(s, h, b.replace(b"succeeded", b"failed", 1)), (VEC_SECRET, h, b)])
        self.assertTrue(all(x.startswith("error:") for x in res), res)

    def test_event_filter_and_disabled_or_deleted_endpoints_are_respected(self):
        rx_ok, rx_refund, rx_all, rx_disabled, rx_deleted = (self.receiver() for _ in range(5))
        rx_all.set_plan([], default=204)  # any 2xx is a delivery
        ep_ok = self.create_endpoint(rx_ok.url(), ["payment.succeeded"])
        ep_refund = self.create_endpoint(rx_refund.url(), ["refund.succeeded", "payment.failed"])
        ep_all = self.create_endpoint(rx_all.url(), ["*"])
        ep_disabled = self.create_endpoint(rx_disabled.url(), ["*"])
        ep_deleted = self.create_endpoint(rx_deleted.url(), ["*"])
        r = self.m.call("PATCH", f"/v1/webhook_endpoints/{ep_disabled['id']}",
                        body={"status": "disabled"})
        self.assertEqual(r.status, 200, r)
        r = self.m.call("DELETE", f"/v1/webhook_endpoints/{ep_deleted['id']}")
        self.assertEqual(r.status, 200, r)

        ok = self.pay()
        declined = self.m.create_payment(payment_method="tok_decline_do_not_honor", confirm=True)
        self.assertEqual(declined.json["status"], "failed", declined)
        held = self.pay(capture_method="manual")
        rf = self.refund(ok["id"])
        evs = {
            "ok": self.one_event(ok["id"], "payment.succeeded"),
            "declined": self.one_event(declined.json["id"], "payment.failed"),
            "held": self.one_event(held["id"], "payment.requires_capture"),
            "refund": self.one_event(rf["id"], "refund.succeeded"),
        }
        all_ids = {e["id"] for e in evs.values()}
        self.wait_ok(rx_all, all_ids)
        self.wait_ok(rx_ok, [evs["ok"]["id"]])
        self.wait_ok(rx_refund, [evs["declined"]["id"], evs["refund"]["id"]])
        time.sleep(0.5)  # anything wrongly queued has time to arrive
        self.assertEqual({q.webhook_id for q in rx_ok.snapshot()}, {evs["ok"]["id"]})
        self.assertEqual({q.webhook_id for q in rx_refund.snapshot()},
                         {evs["declined"]["id"], evs["refund"]["id"]})
        self.assertEqual({q.webhook_id for q in rx_all.snapshot()}, all_ids)
        self.assertEqual(rx_disabled.snapshot(), [], "a disabled endpoint received events")
        self.assertEqual(rx_deleted.snapshot(), [], "a deleted endpoint received events")
        # The delivery log names exactly the matching endpoints.
        ds = self.wait_deliveries(evs["ok"]["id"],
                                  lambda ds: all(d["status"] == "succeeded" for d in ds))
        self.assertEqual({d["endpoint"] for d in ds}, {ep_ok["id"], ep_all["id"]}, ds)
        for d in ds:
            self.assertDelivery(d, evs["ok"]["id"], d["endpoint"])
            self.assertEqual(d["status"], "succeeded", d)
        ds = self.deliveries(evs["held"]["id"])
        self.assertEqual({d["endpoint"] for d in ds}, {ep_all["id"]}, ds)
        self.assertNotIn(ep_refund["id"], {d["endpoint"] for d in self.deliveries(evs["ok"]["id"])})

    def test_patched_url_and_status_apply_to_later_events(self):
        rx1, rx2 = self.receiver(), self.receiver()
        ep = self.create_endpoint(rx1.url())
        e1 = self.one_event(self.pay()["id"], "payment.succeeded")
        self.wait_ok(rx1, [e1["id"]])
        r = self.m.call("PATCH", f"/v1/webhook_endpoints/{ep['id']}", body={"url": rx2.url()})
        self.assertEqual(r.status, 200, r)
        e2 = self.one_event(self.pay()["id"], "payment.succeeded")
        self.assertSignedBy(ep["secret"], self.wait_ok(rx2, [e2["id"]])[e2["id"]])
        r = self.m.call("PATCH", f"/v1/webhook_endpoints/{ep['id']}", body={"status": "disabled"})
        self.assertEqual(r.status, 200, r)
        e3 = self.one_event(self.pay()["id"], "payment.succeeded")
        time.sleep(0.5)  # the dispatcher has seen e3 while the endpoint was disabled
        r = self.m.call("PATCH", f"/v1/webhook_endpoints/{ep['id']}", body={"status": "enabled"})
        self.assertEqual(r.status, 200, r)
        e4 = self.one_event(self.pay()["id"], "payment.succeeded")
        self.wait_ok(rx2, [e4["id"]])
        time.sleep(0.3)
        self.assertEqual([q.webhook_id for q in rx1.snapshot()], [e1["id"]])
        self.assertNotIn(e3["id"], {q.webhook_id for q in rx2.snapshot()},
                         "an event created while the endpoint was disabled was delivered")
        self.assertEqual({q.webhook_id for q in rx2.snapshot()}, {e2["id"], e4["id"]})

    def test_three_failures_then_200_is_exactly_four_attempts_on_the_scaled_schedule(self):
        rx = self.receiver()
        rx.set_plan([500, 503, 404], default=200)
        ep = self.create_endpoint(rx.url())
        p = self.pay()
        ev = self.one_event(p["id"], "payment.succeeded")
        expected = [0.0] + [d * self.SCALE for d in RETRY_DELAYS_S[:3]]
        self.wait_ok(rx, [ev["id"]], timeout=sum(expected) + 10)
        time.sleep(1.0)  # no further attempt after the 2xx
        reqs = rx.by_webhook_id(ev["id"])
        self.assertEqual([q.status for q in reqs], [500, 503, 404, 200], reqs)
        self.assertEqual(rx.count(), 4, rx.snapshot())
        gaps = [b.time - a.time for a, b in zip(reqs, reqs[1:])]
        for i, (gap, want) in enumerate(zip(gaps, expected[1:]), 1):
            with self.subTest(after_attempt=i, gap=round(gap, 3), expected=want):
                self.assertGreaterEqual(gap, want * 0.8 - 0.005, f"retry too early: {gaps}")
                self.assertLessEqual(gap, want * 1.25 + 0.5 * SLOW, f"retry too late: {gaps}")
        # Same webhook-id and body on every attempt, each freshly and validly signed.
        self.assertEqual({q.body for q in reqs}, {self.event_body(ev["id"])})
        stamps = [int(q.header("webhook-timestamp")) for q in reqs]
        self.assertEqual(stamps, sorted(stamps), stamps)
        self.assertEqual(node_verify([(ep["secret"], sw_headers(q), q.body) for q in reqs]),
                         ["ok"] * 4)
        for q in reqs:
            self.assertEqual(sw_sign(ep["secret"], ev["id"], q.header("webhook-timestamp"),
                                     q.body), q.header("webhook-signature"))
        # The delivery log has the four attempts.
        ds = self.wait_deliveries(ev["id"], lambda ds: ds and ds[0]["status"] == "succeeded")
        self.assertEqual(len(ds), 1, ds)
        d = ds[0]
        self.assertDelivery(d, ev["id"], ep["id"])
        self.assertEqual(d["status"], "succeeded", d)
        self.assertIsNone(d["next_attempt_at"], d)
        self.assertEqual([a["status_code"] for a in d["attempts"]], [500, 503, 404, 200], d)
        self.assertEqual(self.m.get(f"/v1/webhook_endpoints/{ep['id']}").json["status"],
                         "enabled")

    def test_later_events_of_a_payment_wait_while_an_earlier_one_is_retried(self):
        rx = self.receiver()
        failed = {"n": 0}

        def policy(_, req):  # payment.requires_capture fails twice, everything else is accepted
            if json.loads(req.body).get("type") == "payment.requires_capture" and failed["n"] < 2:
                failed["n"] += 1
                return 503
            return 200

        rx.set_policy(policy)
        self.create_endpoint(rx.url())
        p = self.pay(capture_method="manual")
        c = self.m.post(f"/v1/payments/{p['id']}/capture", {})
        self.assertEqual(c.status, 200, c)
        rf = self.refund(p["id"], amount=100)
        held = self.one_event(p["id"], "payment.requires_capture")
        cap = self.one_event(p["id"], "payment.captured")
        ref = self.one_event(rf["id"], "refund.succeeded")
        self.wait_ok(rx, [held["id"], cap["id"], ref["id"]])
        reqs = rx.snapshot()
        seq = [(q.json()["type"], q.status) for q in reqs]
        ok_held = next(q.index for q in reqs if q.webhook_id == held["id"] and q.status == 200)
        for later, name in ((cap, "payment.captured"), (ref, "refund.succeeded")):
            with self.subTest(event=name):
                first = next(q.index for q in reqs if q.webhook_id == later["id"])
                self.assertGreater(first, ok_held,
                                   f"{name} was sent while payment.requires_capture of the same "
                                   f"payment was still being retried: {seq}")

    def test_deliveries_list_shows_pending_retries_with_next_attempt_time(self):
        rx = self.receiver()
        rx.down()
        ep = self.create_endpoint(rx.url())
        p = self.pay()
        ev = self.one_event(p["id"], "payment.succeeded")
        # After attempt 2 the next one is 5 min × scale (0.6 s) away.
        ds = self.wait_deliveries(ev["id"], lambda ds: ds and len(ds[0]["attempts"]) >= 2)
        self.assertEqual(len(ds), 1, ds)
        d = ds[0]
        self.assertDelivery(d, ev["id"], ep["id"])
        self.assertEqual(d["status"], "pending", d)
        self.assertIsInstance(d["next_attempt_at"], int, d)
        self.assertLess(abs(d["next_attempt_at"] - time.time()), 60, d)
        for a in d["attempts"]:
            self.assertEqual(a["status_code"], 503, d)
        rx.up()
        self.wait_ok(rx, [ev["id"]], timeout=10)
        d = self.wait_deliveries(ev["id"], lambda ds: ds[0]["status"] == "succeeded")[0]
        self.assertEqual(d["status"], "succeeded", d)
        self.assertEqual(d["attempts"][-1]["status_code"], 200, d)
        self.assertEqual(len(d["attempts"]), len(rx.by_webhook_id(ev["id"])), d)
        r = self.m.get("/v1/events/evt_doesnotexist/deliveries")
        self.assertError(r, 404)

    def test_redeliver_sends_the_event_again(self):
        rx, rx2 = self.receiver(), self.receiver()
        ep = self.create_endpoint(rx.url())
        ep2 = self.create_endpoint(rx2.url(), ["payment.succeeded"])
        p = self.pay()
        ev = self.one_event(p["id"], "payment.succeeded")
        first = self.wait_ok(rx, [ev["id"]])[ev["id"]]
        self.wait_ok(rx2, [ev["id"]])
        before = self.wait_deliveries(ev["id"], lambda ds: len(ds) == 2 and all(
            d["status"] == "succeeded" for d in ds))
        self.assertEqual(len(before), 2, before)

        r = self.m.post(f"/v1/events/{ev['id']}/redeliver", {"endpoint": ep["id"]})
        self.assertEqual(r.status, 200, r)
        new = r.json["data"] if isinstance(r.json, dict) and "data" in r.json else r.json
        self.assertEqual(len(new), 1, r)
        self.assertEqual(new[0]["status"], "pending", r)
        self.assertEqual((new[0]["endpoint"], new[0]["event"]), (ep["id"], ev["id"]), r)
        self.assertNotIn(new[0]["id"], {d["id"] for d in before})
        again = rx.wait_count(2, where=lambda q: q.webhook_id == ev["id"] and q.status == 200)
        self.assertEqual(len(again), 2, rx.snapshot())
        self.assertEqual(again[1].body, first.body)
        self.assertGreaterEqual(int(again[1].header("webhook-timestamp")),
                                int(first.header("webhook-timestamp")))
        self.assertSignedBy(ep["secret"], again[1])
        time.sleep(0.3)
        self.assertEqual(len(rx2.by_webhook_id(ev["id"])), 1, "redelivered to an unnamed endpoint")
        ds = self.wait_deliveries(ev["id"], lambda ds: len(ds) == 3 and all(
            d["status"] == "succeeded" for d in ds))
        self.assertEqual(len(ds), 3, ds)
        self.assertEqual(sorted(d["endpoint"] for d in ds), sorted([ep["id"], ep["id"], ep2["id"]]))

        # Without `endpoint`: every matching endpoint gets it again.
        r = self.m.post(f"/v1/events/{ev['id']}/redeliver", {})
        self.assertEqual(r.status, 200, r)
        new = r.json["data"] if isinstance(r.json, dict) and "data" in r.json else r.json
        self.assertEqual({d["endpoint"] for d in new}, {ep["id"], ep2["id"]}, r)
        self.assertTrue(all(d["status"] == "pending" for d in new), r)
        rx.wait_count(3, where=lambda q: q.webhook_id == ev["id"] and q.status == 200)
        rx2.wait_count(2, where=lambda q: q.webhook_id == ev["id"] and q.status == 200)
        self.assertEqual(len(rx.by_webhook_id(ev["id"])), 3)
        self.assertEqual(len(rx2.by_webhook_id(ev["id"])), 2)

        r = self.m.post("/v1/events/evt_doesnotexist/redeliver", {})
        self.assertError(r, 404)
        r = self.m.post(f"/v1/events/{ev['id']}/redeliver", {"endpoint": "we_doesnotexist"})
        self.assertError(r, (400, 404), param="endpoint")

    def test_rotate_secret_sends_both_signatures_each_valid_under_its_own_secret(self):
        rx = self.receiver()
        ep = self.create_endpoint(rx.url())
        old = ep["secret"]
        r = self.m.post(f"/v1/webhook_endpoints/{ep['id']}/rotate_secret", {})
        self.assertEqual(r.status, 200, r)
        new = r.json["secret"]
        self.assertRegex(new, SECRET_RE)
        self.assertNotEqual(new, old)
        self.assertEqual((r.json["id"], r.json["object"], r.json["url"]),
                         (ep["id"], "webhook_endpoint", ep["url"]), r)
        g = self.m.get(f"/v1/webhook_endpoints/{ep['id']}")
        self.assertNotIn(new.encode(), g.body)
        self.assertNotIn(old.encode(), g.body)
        self.assertNotIn("secret", g.json)

        p = self.pay()
        ev = self.one_event(p["id"], "payment.succeeded")
        q = self.wait_ok(rx, [ev["id"]])[ev["id"]]
        header = q.header("webhook-signature")
        sigs = header.split(" ")
        self.assertEqual(len(sigs), 2, f"expected two space-separated signatures: {header!r}")
        for s in sigs:
            self.assertRegex(s, ONE_SIG_RE)
        ts = q.header("webhook-timestamp")
        self.assertEqual(set(sigs), {sw_sign(new, ev["id"], ts, q.body),
                                     sw_sign(old, ev["id"], ts, q.body)}, header)
        # The official library: the full header under either secret; each signature alone
        # under exactly its own secret.
        h = sw_headers(q)
        items = [(new, h, q.body), (old, h, q.body)]
        for s in sigs:
            items += [(new, dict(h, **{"webhook-signature": s}), q.body),
                      (old, dict(h, **{"webhook-signature": s}), q.body)]
        res = node_verify(items)
        self.assertEqual(res[:2], ["ok", "ok"], res)
        per_sig = [res[2:4], res[4:6]]
        for s, (under_new, under_old) in zip(sigs, per_sig):
            self.assertEqual(sorted([under_new == "ok", under_old == "ok"]), [False, True],
                             f"{s} must verify under exactly one secret: {res}")
        self.assertNotEqual(per_sig[0], per_sig[1], res)
        self.assertEqual(node_verify([(VEC_SECRET, h, q.body)])[0][:6], "error:")
        # The CLI agrees.
        raw = raw_request(q.raw_headers, q.body)
        for secret in (new, old):
            r = cli_verify(secret, raw)
            self.assertEqual((r.returncode, r.stdout.decode().strip()), (0, "valid"), cli_out(r))
        self.assertEqual(cli_verify(VEC_SECRET, raw).returncode, 1)

    def test_redirect_is_not_followed_and_counts_as_a_failed_attempt(self):
        target, redirector = self.receiver(), self.receiver()
        redirector.redirect_to(target.url("/stolen"))
        ep = self.create_endpoint(redirector.url())
        p = self.pay()
        ev = self.one_event(p["id"], "payment.succeeded")
        # Attempts 1-3 come within 5 s + 5 min scaled (0.61 s).
        reqs = redirector.wait_count(3, timeout=8 * SLOW, where=lambda q: q.webhook_id == ev["id"])
        self.assertGreaterEqual(len(reqs), 3, f"a 302 was not retried: {reqs}")
        self.assertTrue(all(q.status == 302 for q in reqs))
        self.assertEqual(target.snapshot(), [], "the redirect was followed")
        ds = self.wait_deliveries(ev["id"], lambda ds: ds and len(ds[0]["attempts"]) >= 3)
        d = ds[0]
        self.assertDelivery(d, ev["id"], ep["id"])
        self.assertEqual(d["status"], "pending", d)
        self.assertEqual({a["status_code"] for a in d["attempts"]}, {302}, d)

    def test_deliveries_and_redelivery_are_private_to_their_merchant(self):
        rx_a, rx_b = self.receiver(), self.receiver()
        other = new_merchant(self.srv, "wh other merchant")
        ep_a = self.create_endpoint(rx_a.url())
        ep_b = self.create_endpoint(rx_b.url(), m=other)
        pa = self.pay()
        pb = self.pay(m=other)
        ea = self.one_event(pa["id"], "payment.succeeded")
        eb = self.one_event(pb["id"], "payment.succeeded", m=other)
        self.wait_ok(rx_a, [ea["id"]])
        self.wait_ok(rx_b, [eb["id"]])
        time.sleep(0.3)
        self.assertEqual({q.webhook_id for q in rx_a.snapshot()}, {ea["id"]})
        self.assertEqual({q.webhook_id for q in rx_b.snapshot()}, {eb["id"]})
        self.assertError(other.get(f"/v1/events/{ea['id']}/deliveries"), 404)
        self.assertError(other.post(f"/v1/events/{ea['id']}/redeliver", {}), 404)
        r = self.m.post(f"/v1/events/{ea['id']}/redeliver", {"endpoint": ep_b["id"]})
        self.assertError(r, (400, 404), param="endpoint")
        time.sleep(0.3)
        self.assertEqual({q.webhook_id for q in rx_b.snapshot()}, {eb["id"]},
                         "another merchant's event reached this endpoint")
        self.assertEqual({d["endpoint"] for d in self.deliveries(ea["id"])}, {ep_a["id"]})


class WebhookExhaustionTest(WebhookTestCase):
    SCALE = 0.00005  # the whole 8-attempt schedule (~27.6 h) takes ~5 s

    def test_eight_failed_attempts_fail_the_delivery_and_mark_the_endpoint_failing(self):
        rx = self.receiver()
        rx.down()
        ep = self.create_endpoint(rx.url())
        p = self.pay()
        ev = self.one_event(p["id"], "payment.succeeded")
        total = sum(RETRY_DELAYS_S) * self.SCALE
        reqs = rx.wait_count(MAX_ATTEMPTS, timeout=(total * 1.5 + 10) * SLOW,
                             where=lambda q: q.webhook_id == ev["id"])
        self.assertEqual(len(reqs), MAX_ATTEMPTS, reqs)
        ds = self.wait_deliveries(ev["id"], lambda ds: ds and ds[0]["status"] == "failed")
        time.sleep(1.0)  # no ninth attempt
        self.assertEqual(len(rx.by_webhook_id(ev["id"])), MAX_ATTEMPTS, "more than 8 attempts")
        self.assertEqual(len(ds), 1, ds)
        d = ds[0]
        self.assertDelivery(d, ev["id"], ep["id"])
        self.assertEqual(d["status"], "failed", d)
        self.assertIsNone(d["next_attempt_at"], d)
        self.assertEqual([a["status_code"] for a in d["attempts"]], [503] * MAX_ATTEMPTS, d)
        # The long gaps follow the schedule (the short ones are below timer resolution).
        gaps = [b.time - a.time for a, b in zip(reqs, reqs[1:])]
        for i in range(3, len(gaps)):
            want = RETRY_DELAYS_S[i] * self.SCALE
            with self.subTest(after_attempt=i + 1, gap=round(gaps[i], 3), expected=want):
                self.assertGreaterEqual(gaps[i], want * 0.8 - 0.005, gaps)
                self.assertLessEqual(gaps[i], want * 1.25 + 0.5 * SLOW, gaps)
        g = self.m.get(f"/v1/webhook_endpoints/{ep['id']}")
        self.assertEqual(g.json["status"], "failing", g)
        # A manual redelivery still goes out once the receiver is back.
        rx.up()
        r = self.m.post(f"/v1/events/{ev['id']}/redeliver", {"endpoint": ep["id"]})
        self.assertEqual(r.status, 200, r)
        self.wait_ok(rx, [ev["id"]])


# ----------------------------------------------------------------------------------------------
# Durability: SIGKILL mid-schedule, a 2,000-event backlog
# ----------------------------------------------------------------------------------------------

class WebhookDurabilityTest(unittest.TestCase):

    def start(self, scale) -> Server:
        srv = Server(extra_args=["--webhook-retry-scale", str(scale)])
        self.addCleanup(srv.cleanup)
        return srv

    def receiver(self) -> WebhookReceiver:
        rx = WebhookReceiver()
        self.addCleanup(rx.close)
        return rx

    def held_then_captured(self, srv: Server, m: Merchant, n: int) -> list:
        """n payments (confirm, manual capture → payment.requires_capture), each then captured
        (→ payment.captured), from 16 threads on keep-alive connections. Returns the ids."""
        local = threading.local()
        conns, errors = [], []

        def one(_):
            try:
                if not hasattr(local, "conn"):
                    local.conn = srv.connection("api", timeout=30)
                    conns.append(local.conn)
                c = m.post("/v1/payments", {"amount": 1000, "currency": "usd",
                                            "payment_method": "tok_visa", "confirm": True,
                                            "capture_method": "manual"}, conn=local.conn)
                if c.status != 200 or c.json["status"] != "requires_capture":
                    errors.append(c)
                    return None
                k = m.post(f"/v1/payments/{c.json['id']}/capture", {}, conn=local.conn)
                if k.status != 200:
                    errors.append(k)
                return c.json["id"]
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return None

        try:
            with ThreadPoolExecutor(16) as ex:
                pids = list(ex.map(one, range(n)))
        finally:
            for c in conns:
                c.close()
        self.assertEqual(errors[:5], [], f"{len(errors)} API errors")
        return pids

    def events_by_payment(self, m: Merchant, pids) -> dict:
        """{payment id: {event type: event id}}; asserts one requires_capture and one captured
        event per payment and nothing else."""
        events = m.all_events()
        self.assertEqual(len(events), 2 * len(pids), "expected one requires_capture and one "
                                                    "captured event per payment")
        by_payment: dict = {}
        for e in events:
            by_payment.setdefault(e["data"]["object"]["id"], {})[e["type"]] = e["id"]
        self.assertEqual(set(by_payment), set(pids))
        for types in by_payment.values():
            self.assertEqual(set(types), {"payment.requires_capture", "payment.captured"}, types)
        return by_payment

    def assertInOrderPerPayment(self, reqs, by_payment):
        """For each payment, payment.captured is not even attempted before
        payment.requires_capture was answered 2xx (receiver arrival order)."""
        first_ok, first_seen = {}, {}
        for q in reqs:
            first_seen.setdefault(q.webhook_id, q.index)
            if 200 <= q.status < 300:
                first_ok.setdefault(q.webhook_id, q.index)
        out_of_order = [pid for pid, t in by_payment.items()
                        if not first_ok[t["payment.requires_capture"]] <
                        first_seen[t["payment.captured"]]]
        self.assertEqual(out_of_order[:5], [], f"{len(out_of_order)} payments had "
                                               f"payment.captured sent before "
                                               f"payment.requires_capture was delivered")

    def test_sigkill_mid_schedule_then_restart_loses_no_delivery(self):
        scale = 0.002
        srv = self.start(scale)
        m = dev_merchant(srv)
        rx = self.receiver()
        rx.down()
        r = m.post("/v1/webhook_endpoints", {"url": rx.url(), "enabled_events": ["*"]})
        self.assertEqual(r.status, 200, r)
        ep = r.json
        early = [m.pay(self)["id"] for _ in range(10)]
        evs = {pid: m.events_for(pid) for pid in early}
        early_events = [e["id"] for pid in early for e in evs[pid]]
        self.assertEqual(len(early_events), 10, evs)
        # Wait until each early event has two failed attempts on record (the third is due
        # 5 min × scale later), then create more and SIGKILL right after the last answer.
        deadline = time.monotonic() + 10 * SLOW
        while True:
            ds = {e: m.get(f"/v1/events/{e}/deliveries").json["data"] for e in early_events}
            if all(d and len(d[0]["attempts"]) >= 2 for d in ds.values()):
                break
            self.assertLess(time.monotonic(), deadline, f"attempts not recorded: {ds}")
            time.sleep(0.05)
        late = [m.pay(self)["id"] for _ in range(5)]
        srv.kill()  # SIGKILL
        before_kill = {e: len(rx.by_webhook_id(e)) for e in early_events}
        rx.up()
        srv.start()
        m = dev_merchant(srv)
        all_events = {e["id"]: e for e in m.all_events()}
        late_events = [e["id"] for e in all_events.values()
                       if e["data"]["object"]["id"] in late]
        self.assertEqual(len(late_events), 5, "events of answered payments lost by SIGKILL")
        want = set(early_events) | set(late_events)
        ok = rx.wait_for(lambda reqs: want <= {q.webhook_id for q in reqs if q.status == 200},
                         timeout=20 * SLOW)
        delivered = {q.webhook_id for q in rx.snapshot() if q.status == 200}
        self.assertTrue(ok, f"lost after restart: {sorted(want - delivered)}")
        for e in early_events:
            with self.subTest(event=e):
                reqs = rx.by_webhook_id(e)
                self.assertGreaterEqual(before_kill[e], 2, reqs)
                self.assertEqual(reqs[-1].status, 200, reqs)
                self.assertEqual(len({q.body for q in reqs}), 1, "body changed across restart")
                d = m.get(f"/v1/events/{e}/deliveries").json["data"]
                self.assertEqual(len(d), 1, d)
                d = d[0]
                deadline = time.monotonic() + 5
                while d["status"] != "succeeded" and time.monotonic() < deadline:
                    time.sleep(0.05)
                    d = m.get(f"/v1/events/{e}/deliveries").json["data"][0]
                self.assertEqual(d["status"], "succeeded", d)
                codes = [a["status_code"] for a in d["attempts"]]
                self.assertGreaterEqual(len(codes), 3, d)
                self.assertEqual(codes[:2], [503, 503], "attempts before the kill were lost")
                self.assertEqual(codes[-1], 200, d)
        last = {e: [q for q in rx.by_webhook_id(e) if q.status == 200][-1] for e in want}
        self.assertEqual(node_verify([(ep["secret"], sw_headers(q), q.body)
                                      for q in last.values()]), ["ok"] * len(want))
        for e, q in last.items():
            self.assertEqual(q.body, m.get(f"/v1/events/{e}").body)

    def test_backlog_of_10000_events_is_delivered_in_order_per_payment_after_recovery(self):
        scale = 0.0005  # 5 s → 2.5 ms, 5 min → 0.15 s, 30 min → 0.9 s, 2 h → 3.6 s, 5 h → 9 s
        # 5,000 payments held then captured = 10,000 events (issue 6). The sanitizer build runs
        # the same path with a fifth of them to stay within CI time.
        n_payments = 1000 if os.environ.get("LP_SANITIZED") == "1" else 5000
        srv = self.start(scale)
        m = dev_merchant(srv)
        rx = self.receiver()
        rx.down()
        r = m.post("/v1/webhook_endpoints",
                   {"url": rx.url(), "enabled_events": ["payment.requires_capture",
                                                        "payment.captured"]})
        self.assertEqual(r.status, 200, r)
        secret = r.json["secret"]

        t0 = time.monotonic()
        pids = self.held_then_captured(srv, m, n_payments)
        created_s = time.monotonic() - t0
        by_payment = self.events_by_payment(m, pids)
        want = {t for types in by_payment.values() for t in types.values()}
        rx.up()
        t1 = time.monotonic()
        ok = rx.wait_for(lambda reqs: want <= {q.webhook_id for q in reqs
                                               if 200 <= q.status < 300}, timeout=150 * SLOW)
        reqs = rx.snapshot()
        delivered = {q.webhook_id for q in reqs if 200 <= q.status < 300}
        self.assertTrue(ok, f"{len(want - delivered)} of {len(want)} events never delivered "
                            f"(created in {created_s:.1f}s, waited {time.monotonic() - t1:.1f}s)")
        self.assertEqual({q.webhook_id for q in reqs} - want, set(), "unknown webhook-ids")
        self.assertInOrderPerPayment(reqs, by_payment)
        # Every delivered body is signed correctly (recomputed) and is the event it names.
        bad = []
        for q in reqs:
            if 200 <= q.status < 300:
                h = q.headers
                if sw_sign(secret, h["webhook-id"], h["webhook-timestamp"], q.body) not in \
                        h["webhook-signature"].split(" ") or q.json()["id"] != q.webhook_id:
                    bad.append(q)
        self.assertEqual(bad[:3], [], f"{len(bad)} badly signed deliveries")
        sample = [q for q in reqs if 200 <= q.status < 300][::100]
        self.assertEqual(node_verify([(secret, sw_headers(q), q.body) for q in sample]),
                         ["ok"] * len(sample))

    def test_healthy_receiver_gets_each_event_once_and_attempts_are_numbered_1_to_n(self):
        # At-least-once allows a resend after a failure or a crash, never two concurrent sends
        # of one delivery to a receiver that answers 200 at once.
        srv = self.start(0.002)
        m = dev_merchant(srv)
        rx = self.receiver()
        r = m.post("/v1/webhook_endpoints", {"url": rx.url(), "enabled_events": ["*"]})
        self.assertEqual(r.status, 200, r)
        pids = self.held_then_captured(srv, m, 400)
        by_payment = self.events_by_payment(m, pids)
        want = {t for types in by_payment.values() for t in types.values()}
        ok = rx.wait_for(lambda reqs: want <= {q.webhook_id for q in reqs}, timeout=30 * SLOW)
        self.assertTrue(ok, f"{len(want - {q.webhook_id for q in rx.snapshot()})} events "
                            f"never delivered")
        time.sleep(0.5)
        reqs = rx.snapshot()
        self.assertInOrderPerPayment(reqs, by_payment)
        counts: dict = {}
        for q in reqs:
            counts.setdefault(q.webhook_id, []).append(q)
        dups = {e: qs for e, qs in counts.items() if len(qs) > 1}
        examples = {e: [(q.index, round(q.time - reqs[0].time, 3), q.status) for q in qs]
                    for e, qs in list(dups.items())[:3]}
        logs = {e: m.get(f"/v1/events/{e}/deliveries").json["data"] for e in list(examples)[:1]}
        self.assertEqual(len(dups), 0,
                         f"{len(dups)} of {len(want)} events were sent more than once to a "
                         f"receiver that answered 200 every time; e.g. (arrival #, s, status) "
                         f"{examples}; delivery log of the first: {json.dumps(logs)[:1500]}")
        for e in list(want)[:40]:
            d = m.get(f"/v1/events/{e}/deliveries").json["data"]
            self.assertEqual([[a["attempt"] for a in x["attempts"]] for x in d], [[1]], d)


if __name__ == "__main__":
    unittest.main()
