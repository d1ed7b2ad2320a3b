"""Helpers for the dashboard and ops JSON APIs (docs/dashboard-api.md): a cookie-holding client
per person, and an independent RFC 6238 TOTP (Python stdlib: hmac + hashlib, not the server's
code) to enrol and answer MFA challenges."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import struct
import time
import urllib.parse


def totp(secret_b32: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA-1, RFC 4226 dynamic truncation)."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


def secret_of(otpauth_uri: str) -> str:
    q = urllib.parse.parse_qs(urllib.parse.urlparse(otpauth_uri).query)
    return q["secret"][0]


def strong_password(n: int = 24) -> str:
    """Letters only (no digit run a PAN detector could flag), long enough for zxcvbn ≥ 3."""
    rnd = random.SystemRandom()
    return "".join(rnd.choice(string.ascii_letters) for _ in range(n - 2)) + "x7"


def set_cookies(headers: dict) -> list[str]:
    """The Set-Cookie header values of a response (the harness joins repeated headers with
    ", "; session cookies hold no comma)."""
    v = headers.get("set-cookie")
    return [] if v is None else [p.strip() for p in v.split(", ") if "=" in p.split(";")[0]]


class Person:
    """One browser: the session cookie and CSRF token of one listener ("dashboard" or "ops")."""

    def __init__(self, srv, listener: str = "dashboard"):
        self.srv = srv
        self.listener = listener
        self.prefix = "/dashboard/api" if listener == "dashboard" else "/ops/api"
        self.cookie_name = "__Host-lp_session" if listener == "dashboard" else "__Host-lp_ops_session"
        self.cookie: str | None = None
        self.csrf: str | None = None

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.srv.port(self.listener)}"

    def call(self, method: str, path: str, body=None, csrf=True, origin=True, headers=None):
        """(status, headers, json body). Tracks Set-Cookie and X-CSRF-Token answers."""
        h = dict(headers or {})
        if self.cookie is not None:
            h["Cookie"] = f"{self.cookie_name}={self.cookie}"
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            if origin is True:
                h["Origin"] = self.origin
            elif origin:
                h["Origin"] = origin
            if csrf is True and self.csrf:
                h["X-CSRF-Token"] = self.csrf
            elif isinstance(csrf, str):
                h["X-CSRF-Token"] = csrf
            if body is None:
                body = {}
        status, hdrs, raw = self.srv.request(self.listener, method, self.prefix + path,
                                             body=body, headers=h)
        for c in set_cookies(hdrs):
            name, _, rest = c.partition("=")
            if name == self.cookie_name:
                value = rest.split(";")[0]
                self.cookie = value or None
        if "x-csrf-token" in hdrs:
            self.csrf = hdrs["x-csrf-token"]
        data = json.loads(raw) if raw else None
        if isinstance(data, dict) and "csrf_token" in data:
            self.csrf = data["csrf_token"]
        return status, hdrs, data

    def sign_in(self, email: str, password: str):
        return self.call("POST", "/sessions", {"email": email, "password": password})

    def enroll(self):
        """Enrols MFA (state `enroll`); returns (secret, recovery codes)."""
        s, _, b = self.call("POST", "/mfa/enroll")
        assert s == 200, (s, b)
        secret = secret_of(b["otpauth_uri"])
        s, _, b = self.call("POST", "/mfa/enroll/confirm", {"code": totp(secret)})
        assert s == 200, (s, b)
        return secret, b["recovery_codes"]
