"""Helpers for the payments integration tests (test_payments_*.py). Python 3.11 stdlib only.

Builds on harness.Server: a `Merchant` wraps one API key on one server and offers JSON helpers for
the merchant API; `ledger_entries` reads the sandbox PSP's ledger (DIR/sandbox-ledger.jsonl)."""

from __future__ import annotations

import json
import os
import time
import unittest
import uuid

import harness
from harness import Server, run_cli


class Resp:
    """One HTTP answer: status, headers (lower-case names), raw body bytes and parsed JSON."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def error(self):
        if isinstance(self.json, dict) and isinstance(self.json.get("error"), dict):
            return self.json["error"]
        return {}

    def __repr__(self):
        return f"Resp({self.status}, {self.body[:600]!r})"


class Merchant:
    """A merchant's API key on a running server."""

    def __init__(self, srv: Server, api_key: str, merchant_id: str | None = None):
        self.srv = srv
        self.api_key = api_key
        self.merchant_id = merchant_id

    def headers(self, extra=None):
        h = {"Authorization": f"Bearer {self.api_key}"}
        h.update(extra or {})
        return h

    def call(self, method, path, body=None, idem=None, headers=None, timeout=20.0, conn=None) -> Resp:
        h = self.headers(headers)
        if idem is not None:
            h["Idempotency-Key"] = idem
        status, hdrs, data = self.srv.request("api", method, path, body=body, headers=h,
                                              timeout=timeout, conn=conn)
        return Resp(status, hdrs, data)

    def post(self, path, body=None, **kw) -> Resp:
        return self.call("POST", path, body={} if body is None else body, **kw)

    def get(self, path, **kw) -> Resp:
        return self.call("GET", path, **kw)

    # -- convenience ----------------------------------------------------------------------------
    def create_payment(self, **fields) -> Resp:
        body = {"amount": 1000, "currency": "usd"}
        body.update(fields)
        return self.post("/v1/payments", body)

    def pay(self, tc: unittest.TestCase, **fields) -> dict:
        """Creates (default: confirmed tok_visa, automatic) and returns the payment; asserts 200."""
        body = {"amount": 1000, "currency": "usd", "payment_method": "tok_visa", "confirm": True}
        body.update(fields)
        r = self.post("/v1/payments", body)
        tc.assertEqual(r.status, 200, r)
        return r.json

    def payment(self, pid) -> dict:
        r = self.get(f"/v1/payments/{pid}")
        if r.status != 200:
            raise AssertionError(f"GET /v1/payments/{pid} -> {r}")
        return r.json

    def all_payments(self, **query) -> list:
        """Every payment (walks the cursor), newest first."""
        out, after = [], None
        while True:
            q = dict(query, limit=100)
            if after:
                q["starting_after"] = after
            r = self.get("/v1/payments?" + "&".join(f"{k}={v}" for k, v in q.items()))
            if r.status != 200:
                raise AssertionError(f"list payments -> {r}")
            out += r.json["data"]
            if not r.json["has_more"] or not r.json["data"]:
                return out
            after = r.json["data"][-1]["id"]

    def all_events(self, **query) -> list:
        out, after = [], None
        while True:
            q = dict(query, limit=100)
            if after:
                q["starting_after"] = after
            r = self.get("/v1/events?" + "&".join(f"{k}={v}" for k, v in q.items()))
            if r.status != 200:
                raise AssertionError(f"list events -> {r}")
            out += r.json["data"]
            if not r.json["has_more"] or not r.json["data"]:
                return out
            after = r.json["data"][-1]["id"]

    def all_refunds(self, **query) -> list:
        out, after = [], None
        while True:
            q = dict(query, limit=100)
            if after:
                q["starting_after"] = after
            r = self.get("/v1/refunds?" + "&".join(f"{k}={v}" for k, v in q.items()))
            if r.status != 200:
                raise AssertionError(f"list refunds -> {r}")
            out += r.json["data"]
            if not r.json["has_more"] or not r.json["data"]:
                return out
            after = r.json["data"][-1]["id"]

    def events_for(self, object_id) -> list:
        """Events whose data.object.id is `object_id`, oldest first."""
        evs = [e for e in self.all_events() if e.get("data", {}).get("object", {}).get("id") == object_id]
        return list(reversed(evs))

    def snapshot(self):
        """(payment ids, event ids, refund ids): compared before/after a rejected request."""
        return ([p["id"] for p in self.all_payments()], [e["id"] for e in self.all_events()],
                [r["id"] for r in self.all_refunds()])

    def wait_status(self, pid, statuses, timeout=10.0) -> dict:
        """Polls until the payment's status is in `statuses`; returns it (or the last seen)."""
        if isinstance(statuses, str):
            statuses = (statuses,)
        deadline = time.monotonic() + timeout
        while True:
            p = self.payment(pid)
            if p["status"] in statuses or time.monotonic() > deadline:
                return p
            time.sleep(0.1)


def dev_merchant(srv: Server) -> Merchant:
    c = srv.credentials()
    return Merchant(srv, c["api_key"], c.get("merchant_id"))


def new_merchant(srv: Server, name="Second merchant") -> Merchant:
    """Creates another merchant with `liasonpay merchant create` on the server's data dir."""
    r = run_cli(["merchant", "create", "--data-dir", srv.data_dir, "--name", name], timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"merchant create failed ({r.returncode}): {r.stderr[-2000:]}")
    doc = None
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError:
                continue
    if not doc or not doc.get("api_key"):
        raise AssertionError(f"merchant create printed no JSON: {r.stdout!r}")
    return Merchant(srv, doc["api_key"], doc.get("merchant_id"))


def ledger_path(srv: Server) -> str:
    return os.path.join(srv.data_dir, "sandbox-ledger.jsonl")


def ledger_entries(srv: Server) -> list:
    """Parsed lines of the sandbox ledger (a torn last line is skipped)."""
    try:
        with open(ledger_path(srv), "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out = []
    for line in data.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def authorize_count(srv: Server, payment_id: str) -> int:
    return sum(1 for e in ledger_entries(srv)
               if e.get("operation") == "authorize" and e.get("payment_id") == payment_id)


def charges_by_payment(srv: Server) -> dict:
    counts: dict = {}
    for e in ledger_entries(srv):
        if e.get("operation") == "authorize":
            counts[e.get("payment_id")] = counts.get(e.get("payment_id"), 0) + 1
    return counts


_NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")


def unique_key(prefix="it") -> str:
    """A fresh Idempotency-Key. The random part has no digits: a hex UUID holds a Luhn-valid run
    of 13-19 digits bounded by letters about once in 2,000 keys, and PRODUCT.md §6 refuses that
    as a card number (400 pan_detected) in any header value."""
    return f"{prefix}-{uuid.uuid4().hex.translate(_NO_DIGITS)}"


class PaymentsTestCase(unittest.TestCase):
    """One server per test class (setUpClass); `self.m` is the dev merchant."""

    SERVER_ARGS: list = []

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(extra_args=cls.SERVER_ARGS)
        try:
            cls.m = dev_merchant(cls.srv)
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def assertError(self, r: Resp, status, code=None, param=None, etype=None):
        """Checks the error shape and the status/code/param; returns the error object."""
        err = harness.assert_error_shape(self, r.status, r.headers, r.body, expect_status=status)
        if code is not None:
            self.assertEqual(err["code"], code, r)
        if param is not None:
            self.assertEqual(err.get("param"), param, r)
        if etype is not None:
            self.assertEqual(err["type"], etype, r)
        return err
