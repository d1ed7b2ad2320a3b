"""Secrets at rest: connector-account credentials are write-only, sealed (envelope encryption,
AES-256-GCM, versioned KEKs from a 0600 key-ring file), never leak to the database, WAL, data
dir or logs, are useless without the key ring, and survive online key rotation and retirement,
also under load (PRODUCT.md §2 connector accounts, §7). Python 3.11 stdlib only.

Black box: the real binary (`serve --dev` through harness.Server) and its CLI (`init`,
`keys status|rotate|retire`, `merchant create`). The database is only read (or copied and then
modified) with the stdlib sqlite3 module after the server has stopped or on a copy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets as pyrandom
import shutil
import sqlite3
import stat
import string
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import Server, run_cli
from payments_helpers import PaymentsTestCase, Resp, dev_merchant, new_merchant
from webhook_receiver import WebhookReceiver

ACCOUNTS = "/v1/connector_accounts"
FP_RE = re.compile(r"^fp_[0-9a-f]{16,64}$")
SEALED_OVERHEAD = 96  # LPE1: magic 4 + version 4 + wrapped DEK 60 + nonce 12 + tag 16


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------

def hex_canary() -> str:
    """An Adyen HMAC key: 64 hexadecimal characters, letters a-f only (no digit runs that could
    look like a card number), distinctive like canary()."""
    return "".join(pyrandom.choice("abcdef") for _ in range(64))


def canary(prefix: str) -> str:
    """A distinctive credential string that occurs nowhere by chance. Letters only: a random
    run of 13-19 digits could be Luhn-valid, and the server rightly refuses card numbers
    (400 pan_detected, PRODUCT.md §6)."""
    return prefix + "".join(pyrandom.choice(string.ascii_letters) for _ in range(24))


def compact(obj) -> str:
    """The compact JSON the server seals (keys in the order sent, ASCII only)."""
    return json.dumps(obj, separators=(",", ":"))


def needles(secret: str | bytes) -> list:
    """(form, bytes) pairs under which `secret` could appear in a file: raw, hex, and base64 /
    base64url at each of the three byte alignments (an embedded secret's base64 contains one of
    them whatever its offset in the encoded text)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    out = [("raw", raw), ("hex", raw.hex().encode()), ("HEX", raw.hex().upper().encode())]
    for off in range(3):
        chunk = raw[off:]
        chunk = chunk[:len(chunk) // 3 * 3]
        if len(chunk) >= 12:
            out.append((f"base64@{off}", base64.b64encode(chunk)))
            out.append((f"base64url@{off}", base64.urlsafe_b64encode(chunk)))
    return out


def scan_files(paths, secrets_by_name: dict) -> list:
    """[(path, secret name, form)] for every needle found in any of `paths`."""
    found = []
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        for name, secret in secrets_by_name.items():
            for form, needle in needles(secret):
                if needle in data:
                    found.append((path, name, form))
    return found


def files_under(root: str, exclude=()) -> list:
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            if os.path.abspath(p) in {os.path.abspath(e) for e in exclude}:
                continue
            if os.path.isfile(p) and not os.path.islink(p):
                out.append(p)
    return sorted(out)


def keys_cli(*args, data_dir: str, timeout=60):
    """Runs `liasonpay keys ARGS --data-dir DIR`; returns (rc, last JSON object on stdout or
    None, stdout, stderr)."""
    r = run_cli(["keys", *args, "--data-dir", data_dir], timeout=timeout)
    doc = None
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError:
                pass
    return r.returncode, doc, r.stdout, r.stderr


def keyring_path(data_dir: str) -> str:
    return os.path.join(data_dir, "keyring")


def file_mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def copy_db(src_dir: str, dst_dir: str, with_wal=True):
    """Copies liasonpay.db (and its -wal) from src_dir over whatever database dst_dir has."""
    for n in os.listdir(dst_dir):
        if n.startswith("liasonpay.db"):
            os.unlink(os.path.join(dst_dir, n))
    shutil.copyfile(os.path.join(src_dir, "liasonpay.db"), os.path.join(dst_dir, "liasonpay.db"))
    wal = os.path.join(src_dir, "liasonpay.db-wal")
    if with_wal and os.path.exists(wal):
        shutil.copyfile(wal, os.path.join(dst_dir, "liasonpay.db-wal"))


def sealed_rows(db_file: str) -> dict:
    """{account id: credentials_sealed bytes or None} read from a stopped server's (or a copied)
    database, opened on a private copy so that the original stays untouched."""
    tmp = tempfile.mkdtemp(prefix="lp-it-dbcopy-")
    try:
        shutil.copyfile(db_file, os.path.join(tmp, "db"))
        if os.path.exists(db_file + "-wal"):
            shutil.copyfile(db_file + "-wal", os.path.join(tmp, "db-wal"))
        con = sqlite3.connect(os.path.join(tmp, "db"))
        try:
            rows = con.execute("SELECT id, credentials_sealed FROM connector_accounts").fetchall()
        finally:
            con.close()
        return {i: (bytes(b) if b is not None else None) for i, b in rows}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def blob_version(blob: bytes) -> int:
    return int.from_bytes(blob[4:8], "big")


def webhook_key(secret: str) -> bytes:
    b64 = secret[len("whsec_"):]
    return base64.b64decode(b64 + "=" * (-len(b64) % 4))


def signature_ok(secret: str, req) -> bool:
    """Standard Webhooks v1 signature of a received request, checked against `secret`."""
    msg = f"{req.headers['webhook-id']}.{req.headers['webhook-timestamp']}.".encode() + req.body
    want = base64.b64encode(hmac.new(webhook_key(secret), msg, hashlib.sha256).digest()).decode()
    sigs = [s.partition(",")[2] for s in req.headers.get("webhook-signature", "").split()
            if s.startswith("v1,")]
    return any(hmac.compare_digest(s, want) for s in sigs)


class SecretsTestBase(unittest.TestCase):
    """Per-test servers (the key ring and files are the subject, so nothing is shared)."""

    def server(self, **kw) -> Server:
        srv = Server(**kw)
        self.addCleanup(srv.cleanup)
        return srv

    def tmpdir(self, prefix="lp-it-secrets-") -> str:
        d = tempfile.mkdtemp(prefix=prefix)
        if not harness.keep_tmp():
            self.addCleanup(shutil.rmtree, d, True)
        return d

    def create(self, m, body, expect=200) -> dict:
        r = m.post(ACCOUNTS, body)
        self.assertEqual(r.status, expect, r)
        return r.json

    def status_ok(self, data_dir) -> dict:
        rc, doc, out, err = keys_cli("status", data_dir=data_dir)
        self.assertEqual(rc, 0, f"keys status: rc={rc} stdout={out!r} stderr={err[-1500:]!r}")
        self.assertIsInstance(doc, dict, out)
        return doc

    def assertStatus(self, doc, active, versions, secrets, unreadable=0):
        """`versions` is [(version, secrets)] ascending; `active` must be the only active one."""
        self.assertEqual(doc.get("active_version"), active, doc)
        self.assertEqual(doc.get("versions"),
                         [{"version": v, "active": v == active, "secrets": n} for v, n in versions],
                         doc)
        self.assertEqual(doc.get("secrets"), secrets, doc)
        self.assertEqual(doc.get("unreadable"), unreadable, doc)

    def wait_log(self, srv: Server, pred, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            for rec in srv.log_records():
                if isinstance(rec, dict) and pred(rec):
                    return rec
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)


# ----------------------------------------------------------------------------------------------
# 1. Connector accounts API
# ----------------------------------------------------------------------------------------------

class ConnectorAccountsApiTest(PaymentsTestCase):
    """POST/GET/PATCH/DELETE /v1/connector_accounts: credentials are write-only."""

    def assertRedacted(self, r: Resp, *values):
        """No credential value appears anywhere in the raw response body."""
        for v in values:
            self.assertNotIn(v.encode(), r.body, f"credential value {v!r} leaked in {r}")

    def assertAccountShape(self, acct: dict, connector: str, last4: str | None):
        self.assertTrue(acct["id"].startswith("ca_"), acct)
        self.assertEqual(acct["object"], "connector_account", acct)
        self.assertEqual(acct["connector"], connector, acct)
        self.assertIs(acct["livemode"], False, acct)
        if last4 is None:
            self.assertIsNone(acct["credentials"], acct)
        else:
            self.assertIsInstance(acct["credentials"], dict, acct)
            self.assertEqual(set(acct["credentials"]), {"fingerprint", "last4"}, acct)
            self.assertRegex(acct["credentials"]["fingerprint"], FP_RE)
            self.assertEqual(acct["credentials"]["last4"], last4, acct)

    def account_ids(self, m=None) -> list:
        r = (m or self.m).get(ACCOUNTS + "?limit=100")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["object"], "list", r)
        return [a["id"] for a in r.json["data"]]

    def test_create_stripe_adyen_sandbox_show_only_fingerprint_and_last4(self):
        sk, whs = canary("sk_test_CANARY_"), canary("whsec_CANARY_")
        ak, ma, hk = canary("AQE_CANARY_"), "CanaryMerchantECOM", hex_canary()
        sbk = canary("sbx_CANARY_")
        values = (sk, whs, ak, hk, sbk)

        r = self.m.post(ACCOUNTS, {"connector": "stripe", "label": "Stripe EU",
                                   "credentials": {"secret_key": sk, "webhook_secret": whs}})
        self.assertEqual(r.status, 200, r)
        self.assertRedacted(r, *values)
        stripe = r.json
        self.assertAccountShape(stripe, "stripe", sk[-4:])
        self.assertEqual(stripe["label"], "Stripe EU")
        self.assertEqual(stripe["status"], "active")
        self.assertIsNone(stripe["base_url"])
        self.assertNotIn("latency_ms", stripe)

        r = self.m.post(ACCOUNTS, {"connector": "adyen", "credentials": {
            "api_key": ak, "merchant_account": ma, "hmac_key": hk}})
        self.assertEqual(r.status, 200, r)
        self.assertRedacted(r, *values)
        adyen = r.json
        self.assertAccountShape(adyen, "adyen", ak[-4:])
        self.assertEqual(adyen["label"], "adyen")  # label defaults to the connector

        r = self.m.post(ACCOUNTS, {"connector": "sandbox", "label": "sbx", "latency_ms": 7})
        self.assertEqual(r.status, 200, r)
        sandbox = r.json
        self.assertAccountShape(sandbox, "sandbox", None)  # credentials are optional
        self.assertEqual(sandbox["latency_ms"], 7)

        r = self.m.post(ACCOUNTS, {"connector": "sandbox", "credentials": {"api_key": sbk}})
        self.assertEqual(r.status, 200, r)
        self.assertRedacted(r, *values)
        sandbox_creds = r.json
        self.assertAccountShape(sandbox_creds, "sandbox", sbk[-4:])
        self.assertIsNone(sandbox_creds["latency_ms"])

        fps = {a["credentials"]["fingerprint"] for a in (stripe, adyen, sandbox_creds)}
        self.assertEqual(len(fps), 3, "different credentials must have different fingerprints")
        # The fingerprint is keyed: not a plain digest of a credential value.
        for a, v in ((stripe, sk), (adyen, ak), (sandbox_creds, sbk)):
            hexfp = a["credentials"]["fingerprint"][3:]
            for h in (hashlib.sha256, hashlib.sha1, hashlib.md5):
                self.assertFalse(h(v.encode()).hexdigest().startswith(hexfp), a)

        # GET and the list show the same redacted objects.
        created = [stripe, adyen, sandbox, sandbox_creds]
        for a in created:
            g = self.m.get(f"{ACCOUNTS}/{a['id']}")
            self.assertEqual(g.status, 200, g)
            self.assertRedacted(g, *values)
            self.assertEqual(g.json, a)
        lst = self.m.get(ACCOUNTS + "?limit=100")
        self.assertEqual(lst.status, 200, lst)
        self.assertRedacted(lst, *values)
        by_id = {a["id"]: a for a in lst.json["data"]}
        for a in created:
            self.assertEqual(by_id.get(a["id"]), a)
        # Creation order (the routing order) is kept.
        ids = [a["id"] for a in lst.json["data"]]
        self.assertEqual([i for i in ids if i in {a["id"] for a in created}],
                         [a["id"] for a in created])

    def test_invalid_credentials_are_400_naming_the_field_and_persist_nothing(self):
        sk, whs = canary("sk_test_CANARY_"), canary("whsec_CANARY_")
        before = self.account_ids()
        cases = [
            ({"connector": "stripe", "credentials": {"secret_key": sk}},
             "parameter_missing", "credentials.webhook_secret"),
            ({"connector": "stripe", "credentials": {"webhook_secret": whs}},
             "parameter_missing", "credentials.secret_key"),
            ({"connector": "stripe", "credentials": {"secret_key": sk, "webhook_secret": whs,
                                                     "api_key": sk}},
             "parameter_unknown", "credentials.api_key"),
            ({"connector": "adyen", "credentials": {"api_key": sk, "merchant_account": "M"}},
             "parameter_missing", "credentials.hmac_key"),
            ({"connector": "adyen", "credentials": {"api_key": sk, "merchant_account": "M",
                                                    "hmac_key": whs, "secret_key": sk}},
             "parameter_unknown", "credentials.secret_key"),
            ({"connector": "sandbox", "credentials": {"secret_key": sk}},
             "parameter_unknown", "credentials.secret_key"),
            ({"connector": "stripe", "credentials": {"secret_key": "", "webhook_secret": whs}},
             "parameter_invalid", "credentials.secret_key"),
            ({"connector": "stripe", "credentials": {"secret_key": 12345, "webhook_secret": whs}},
             "parameter_invalid", "credentials.secret_key"),
            ({"connector": "stripe", "credentials": {"secret_key": "x" * 1001,
                                                     "webhook_secret": whs}},
             "parameter_invalid", "credentials.secret_key"),
            ({"connector": "stripe"}, "parameter_missing", "credentials"),
            # The descriptors' formats: a live key on a test account, a webhook secret without
            # whsec_, an HMAC key that is not 64 hex characters.
            ({"connector": "stripe", "credentials": {"secret_key": canary("sk_live_CANARY_"),
                                                     "webhook_secret": whs}},
             "parameter_invalid", "credentials.secret_key"),
            ({"connector": "stripe", "credentials": {"secret_key": sk,
                                                     "webhook_secret": canary("CANARY_")}},
             "parameter_invalid", "credentials.webhook_secret"),
            ({"connector": "adyen", "credentials": {"api_key": sk, "merchant_account": "M",
                                                    "hmac_key": canary("CANARY_HMAC_")}},
             "parameter_invalid", "credentials.hmac_key"),
            ({"connector": "stripe", "credentials": sk}, "parameter_invalid", "credentials"),
            ({"connector": "paypal", "credentials": {"secret_key": sk}},
             "parameter_invalid", "connector"),
            ({"label": "no connector"}, "parameter_missing", "connector"),
            ({"connector": "stripe", "latency_ms": 5,
              "credentials": {"secret_key": sk, "webhook_secret": whs}},
             "parameter_invalid", "latency_ms"),
            ({"connector": "stripe", "base_url": "ftp://psp.example/",
              "credentials": {"secret_key": sk, "webhook_secret": whs}},
             "parameter_invalid", "base_url"),
        ]
        for body, code, param in cases:
            with self.subTest(body=body):
                r = self.m.post(ACCOUNTS, body)
                self.assertError(r, 400, code=code, param=param, etype="invalid_request_error")
                self.assertNotIn(sk.encode(), r.body, r)
                self.assertNotIn(whs.encode(), r.body, r)
        self.assertEqual(self.account_ids(), before, "a rejected create persisted an account")

    def test_base_url_is_accepted_in_dev_mode(self):
        for url in ("http://127.0.0.1:8123/stripe-sim", "https://psp-sim.example/v1"):
            with self.subTest(url=url):
                a = self.m.post(ACCOUNTS, {"connector": "stripe", "base_url": url, "credentials": {
                    "secret_key": canary("sk_test_"), "webhook_secret": canary("whsec_")}})
                self.assertEqual(a.status, 200, a)
                self.assertEqual(a.json["base_url"], url)
                self.assertEqual(self.m.get(f"{ACCOUNTS}/{a.json['id']}").json["base_url"], url)
        p = self.m.call("PATCH", f"{ACCOUNTS}/{a.json['id']}",
                        body={"base_url": "http://127.0.0.1:9999/other"})
        self.assertEqual(p.status, 200, p)
        self.assertEqual(p.json["base_url"], "http://127.0.0.1:9999/other")

    def test_patch_label_status_and_credentials_fingerprint_changes_only_with_credentials(self):
        sk1, whs1 = canary("sk_test_CANARY_"), canary("whsec_CANARY_")
        sk2, whs2 = canary("sk_test_CANARY_") + "XY", canary("whsec_CANARY_")
        a = self.m.post(ACCOUNTS, {"connector": "stripe", "label": "one",
                                   "credentials": {"secret_key": sk1, "webhook_secret": whs1}})
        self.assertEqual(a.status, 200, a)
        a = a.json
        fp1 = a["credentials"]["fingerprint"]
        path = f"{ACCOUNTS}/{a['id']}"

        r = self.m.call("PATCH", path, body={"label": "renamed"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["label"], "renamed")
        self.assertEqual(r.json["credentials"], a["credentials"], "label change touched credentials")

        r = self.m.call("PATCH", path, body={"status": "disabled"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "disabled")
        self.assertEqual(r.json["credentials"]["fingerprint"], fp1)
        r = self.m.call("PATCH", path, body={"status": "active"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "active")

        # Re-sending the very same credentials keeps the fingerprint.
        r = self.m.call("PATCH", path, body={"credentials": {"secret_key": sk1,
                                                             "webhook_secret": whs1}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["credentials"], {"fingerprint": fp1, "last4": sk1[-4:]})

        r = self.m.call("PATCH", path, body={"credentials": {"secret_key": sk2,
                                                             "webhook_secret": whs2}})
        self.assertEqual(r.status, 200, r)
        self.assertRedacted(r, sk1, whs1, sk2, whs2)
        self.assertNotEqual(r.json["credentials"]["fingerprint"], fp1)
        self.assertRegex(r.json["credentials"]["fingerprint"], FP_RE)
        self.assertEqual(r.json["credentials"]["last4"], sk2[-4:])
        self.assertEqual(r.json["label"], "renamed")
        after = r.json

        # Invalid credential updates: 400 naming the field, nothing changes.
        for body, code, param in (
                ({"credentials": {"secret_key": sk1}}, "parameter_missing",
                 "credentials.webhook_secret"),
                ({"credentials": {"secret_key": sk1, "webhook_secret": whs1, "hmac_key": "h"}},
                 "parameter_unknown", "credentials.hmac_key"),
                ({"credentials": {"secret_key": "", "webhook_secret": whs1}},
                 "parameter_invalid", "credentials.secret_key"),
                ({"credentials": "sk"}, "parameter_invalid", "credentials"),
                ({"connector": "adyen"}, "parameter_unknown", "connector"),
                ({"status": "deleted"}, "parameter_invalid", "status")):
            with self.subTest(body=body):
                r = self.m.call("PATCH", path, body=body)
                self.assertError(r, 400, code=code, param=param)
                self.assertNotIn(sk1.encode(), r.body)
        g = self.m.get(path)
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.json, after)

    def test_same_credentials_in_another_key_order_keep_the_fingerprint(self):
        sk, whs = canary("sk_test_CANARY_"), canary("whsec_CANARY_")
        a = self.m.post(ACCOUNTS, {"connector": "stripe",
                                   "credentials": {"secret_key": sk, "webhook_secret": whs}})
        self.assertEqual(a.status, 200, a)
        r = self.m.call("PATCH", f"{ACCOUNTS}/{a.json['id']}",
                        body={"credentials": {"webhook_secret": whs, "secret_key": sk}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["credentials"], a.json["credentials"],
                         "identical credentials (only the JSON key order differs) got another "
                         "fingerprint")

    def test_delete_removes_account_from_list_and_get_404(self):
        a = self.m.post(ACCOUNTS, {"connector": "adyen", "credentials": {
            "api_key": canary("AQE_"), "merchant_account": "M", "hmac_key": hex_canary()}})
        self.assertEqual(a.status, 200, a)
        aid = a.json["id"]
        self.assertIn(aid, self.account_ids())
        d = self.m.call("DELETE", f"{ACCOUNTS}/{aid}")
        self.assertEqual(d.status, 200, d)
        self.assertEqual(d.json, {"id": aid, "object": "connector_account", "deleted": True})
        self.assertNotIn(aid, self.account_ids())
        self.assertError(self.m.get(f"{ACCOUNTS}/{aid}"), 404, code="resource_missing")
        self.assertError(self.m.call("PATCH", f"{ACCOUNTS}/{aid}", body={"label": "x"}), 404,
                         code="resource_missing")
        self.assertError(self.m.call("DELETE", f"{ACCOUNTS}/{aid}"), 404, code="resource_missing")
        self.assertError(self.m.get(f"{ACCOUNTS}/ca_doesnotexist"), 404, code="resource_missing")

    def test_list_is_oldest_first_and_pages_both_ways(self):
        made = [self.m.post(ACCOUNTS, {"connector": "sandbox", "label": f"s{i}"}).json["id"]
                for i in range(3)]
        everything = self.account_ids()  # the merchant's default sandbox account comes first
        self.assertEqual(everything[-3:], made)
        r = self.m.get(f"{ACCOUNTS}?limit=2&starting_after={made[0]}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual([a["id"] for a in r.json["data"]], made[1:])
        self.assertFalse(r.json["has_more"])
        r = self.m.get(f"{ACCOUNTS}?limit=2&ending_before={made[2]}")
        self.assertEqual([a["id"] for a in r.json["data"]], made[:2])
        self.assertTrue(r.json["has_more"])
        self.assertError(self.m.get(f"{ACCOUNTS}?ending_before=ca_nope"), 400,
                         code="resource_missing")

    def test_another_merchants_account_is_404_and_untouched(self):
        b = new_merchant(self.srv, name="B")
        sk = canary("sk_test_CANARY_")
        a = self.m.post(ACCOUNTS, {"connector": "stripe", "label": "A's",
                                   "credentials": {"secret_key": sk, "webhook_secret": canary("whsec_")}})
        self.assertEqual(a.status, 200, a)
        aid = a.json["id"]
        path = f"{ACCOUNTS}/{aid}"
        self.assertError(b.get(path), 404, code="resource_missing")
        self.assertError(b.call("PATCH", path, body={"label": "B was here"}), 404,
                         code="resource_missing")
        self.assertError(b.call("PATCH", path, body={"credentials": {
            "secret_key": "sk_B", "webhook_secret": "whsec_B"}}), 404, code="resource_missing")
        self.assertError(b.call("DELETE", path), 404, code="resource_missing")
        self.assertNotIn(aid, self.account_ids(b))
        lst = b.get(ACCOUNTS + "?limit=100")
        self.assertNotIn(aid.encode(), lst.body)
        # B's own account is invisible to A as well.
        ba = b.post(ACCOUNTS, {"connector": "sandbox", "label": "B's"})
        self.assertEqual(ba.status, 200, ba)
        self.assertError(self.m.get(f"{ACCOUNTS}/{ba.json['id']}"), 404)
        self.assertNotIn(ba.json["id"], self.account_ids())
        g = self.m.get(path)
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.json, a.json, "another merchant changed the account")


# ----------------------------------------------------------------------------------------------
# 2. Nothing leaks; 3. the database is useless without the key ring
# ----------------------------------------------------------------------------------------------

class SecretsAtRestTest(SecretsTestBase):

    def make_canary_accounts(self, m) -> tuple[dict, dict]:
        """Creates accounts with distinctive credentials (and updates one). Returns
        ({name: secret}, {account id: credentials dict currently sealed})."""
        secrets_: dict = {}
        sealed: dict = {}

        def mk(body, names):
            a = self.create(m, body)
            for k, v in body.get("credentials", {}).items():
                if k in names:
                    secrets_[f"{a['id']}.{k}"] = v
            if "credentials" in body:
                sealed[a["id"]] = body["credentials"]
            return a

        creds_s = {"secret_key": canary("sk_test_CANARY_"), "webhook_secret": canary("whsec_CANARY_")}
        s1 = mk({"connector": "stripe", "label": "stripe-1", "credentials": creds_s},
                {"secret_key", "webhook_secret"})
        # Same credentials on a second account: a fresh data key, so another ciphertext.
        mk({"connector": "stripe", "label": "stripe-2", "credentials": dict(creds_s)}, set())
        mk({"connector": "adyen", "credentials": {
            "api_key": canary("AQE_CANARY_"), "merchant_account": canary("MerchantCANARY_"),
            "hmac_key": hex_canary()}}, {"api_key", "merchant_account", "hmac_key"})
        mk({"connector": "sandbox", "credentials": {"api_key": canary("sbx_CANARY_")}},
           {"api_key"})
        # An update: both the old and the new credentials must stay secret.
        new_creds = {"secret_key": canary("sk_test_CANARY_NEW_"),
                     "webhook_secret": canary("whsec_CANARY_NEW_")}
        r = m.call("PATCH", f"{ACCOUNTS}/{s1['id']}", body={"credentials": new_creds})
        self.assertEqual(r.status, 200, r)
        for k, v in new_creds.items():
            secrets_[f"{s1['id']}.{k}.new"] = v
        sealed[s1["id"]] = new_creds
        # An invalid create carrying a canary (rejected, must not be logged either).
        rejected = canary("sk_test_CANARY_REJECTED_")
        r = m.post(ACCOUNTS, {"connector": "stripe", "credentials": {"secret_key": rejected}})
        self.assertEqual(r.status, 400, r)
        secrets_["rejected.secret_key"] = rejected
        return secrets_, sealed

    def test_credentials_never_appear_in_db_wal_data_dir_or_logs(self):
        srv = self.server()
        m = dev_merchant(srv)
        secrets_, sealed = self.make_canary_accounts(m)
        # A sandbox account with a canary api_key that a payment is routed to.
        sbx = [i for i, c in sealed.items() if set(c) == {"api_key"}][0]
        r = m.post("/v1/payments", {"amount": 1234, "currency": "usd", "payment_method": "tok_visa",
                                    "confirm": True, "routing": {"connector_account": sbx}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "succeeded", r)
        # A webhook endpoint: its signing secret is sealed as well.
        ep = m.post("/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/hook",
                                              "enabled_events": ["refund.failed"]})
        self.assertEqual(ep.status, 200, ep)
        secrets_["webhook_endpoint.secret"] = ep.json["secret"]
        secrets_["webhook_endpoint.key_bytes"] = webhook_key(ep.json["secret"])
        # Positive control: plain (non-secret) text written through the API is visible to the scan.
        marker = canary("LABEL_MARKER_")
        self.create(m, {"connector": "sandbox", "label": marker})

        wal = srv.db_path + "-wal"
        shm = srv.db_path + "-shm"
        self.assertTrue(os.path.exists(wal), "expected a WAL file while the server runs")
        db_files = [srv.db_path, wal, shm]
        others = files_under(srv.data_dir, exclude=[srv.credentials_path, *db_files])
        logs = [srv.log_path, srv.stdout_path]
        self.assertTrue(scan_files(db_files, {"marker": marker}),
                        "control failed: the label is in neither the db nor its WAL")

        leaks = scan_files(db_files + others + logs, secrets_)
        self.assertEqual(leaks, [], "credential material found in files")

        # Stop (SIGTERM): the WAL is checkpointed into the database file and removed.
        self.assertEqual(srv.stop(), 0, srv.log_tail())
        self.assertFalse(os.path.exists(wal) and os.path.getsize(wal) > 0,
                         "WAL not checkpointed at shutdown")
        self.assertTrue(scan_files([srv.db_path], {"marker": marker}),
                        "control failed: the label is not in the checkpointed db")
        leaks = scan_files(files_under(srv.data_dir, exclude=[srv.credentials_path]) + logs,
                           secrets_)
        self.assertEqual(leaks, [], "credential material found after the checkpoint")

        # What is stored: LPE1 ciphertexts, version 1, exactly plaintext + 96 bytes, all distinct.
        rows = sealed_rows(srv.db_path)
        blobs = []
        for aid, creds in sealed.items():
            blob = rows.get(aid)
            self.assertIsNotNone(blob, f"{aid} has no sealed credentials")
            self.assertEqual(blob[:4], b"LPE1", aid)
            self.assertEqual(blob_version(blob), 1, aid)
            self.assertEqual(len(blob), len(compact(creds).encode()) + SEALED_OVERHEAD, aid)
            blobs.append(blob)
        self.assertEqual(len(set(blobs)), len(blobs), "two accounts share a ciphertext")
        self.assertEqual(len({b[8:20] for b in blobs}), len(blobs), "wrap nonce reused")
        self.assertEqual(len({b[68:80] for b in blobs}), len(blobs), "data nonce reused")

    def test_stolen_database_is_unreadable_with_another_key_ring(self):
        srv = self.server()
        m = dev_merchant(srv)
        secrets_, sealed = self.make_canary_accounts(m)
        n = len(sealed)
        own = self.status_ok(srv.data_dir)
        self.assertStatus(own, 1, [(1, n)], n, 0)

        # The thief: a fresh data dir with its own (new) key ring, and the copied db + WAL.
        other = os.path.join(self.tmpdir(), "other")
        r = run_cli(["init", "--data-dir", other])
        self.assertEqual(r.returncode, 0, r.stderr[-1500:])
        self.assertTrue(os.path.exists(keyring_path(other)))
        copy_db(srv.data_dir, other)
        rc, doc, out, err = keys_cli("status", data_dir=other)
        self.assertNotEqual(rc, 0, f"keys status with a foreign key ring succeeded: {out}")
        self.assertIsInstance(doc, dict, f"stdout={out!r} stderr={err[-800:]!r}")
        self.assertEqual(doc["secrets"], n, doc)
        self.assertEqual(doc["unreadable"], n, doc)
        self.assertGreater(doc["unreadable"], 0, doc)
        self.assertEqual(doc["versions"], [{"version": 1, "active": True, "secrets": 0}], doc)
        # Nothing in the thief's view shows a credential either.
        self.assertEqual(scan_files([os.path.join(other, "liasonpay.db")], secrets_), [])

        # Control: the same copy with the original key ring reads every secret.
        ctrl = os.path.join(self.tmpdir(), "ctrl")
        r = run_cli(["init", "--data-dir", ctrl])
        self.assertEqual(r.returncode, 0, r.stderr[-1500:])
        shutil.copyfile(keyring_path(srv.data_dir), keyring_path(ctrl))
        os.chmod(keyring_path(ctrl), 0o600)
        copy_db(srv.data_dir, ctrl)
        self.assertStatus(self.status_ok(ctrl), 1, [(1, n)], n, 0)

        # Associated data binds a ciphertext to its row: swapping two rows' ciphertexts (with
        # the right key ring) makes both unreadable.
        a_id, b_id = list(sealed)[:2]
        con = sqlite3.connect(os.path.join(ctrl, "liasonpay.db"))
        try:
            ba, bb = (con.execute("SELECT credentials_sealed FROM connector_accounts WHERE id = ?",
                                  (i,)).fetchone()[0] for i in (a_id, b_id))
            con.execute("UPDATE connector_accounts SET credentials_sealed = ? WHERE id = ?",
                        (bb, a_id))
            con.execute("UPDATE connector_accounts SET credentials_sealed = ? WHERE id = ?",
                        (ba, b_id))
            con.commit()
        finally:
            con.close()
        rc, doc, out, err = keys_cli("status", data_dir=ctrl)
        self.assertNotEqual(rc, 0, out)
        self.assertIsInstance(doc, dict, out)
        self.assertEqual(doc["unreadable"], 2, doc)
        self.assertEqual(doc["secrets"], n, doc)

        # The live server's own view is unaffected.
        self.assertStatus(self.status_ok(srv.data_dir), 1, [(1, n)], n, 0)


# ----------------------------------------------------------------------------------------------
# 4. Rotation and retirement; 5. rotation under load
# ----------------------------------------------------------------------------------------------

class KeyRotationTest(SecretsTestBase):

    def deliver_and_verify(self, srv, m, rx, secret, amount):
        """A payment whose payment.succeeded webhook must arrive correctly signed: the running
        server could open the endpoint's (re-wrapped) secret."""
        p = m.pay(self, amount=amount)

        def got(reqs):
            for q in reqs:
                try:
                    body = json.loads(q.body)
                except ValueError:
                    continue
                if body.get("data", {}).get("object", {}).get("id") == p["id"] and \
                        body.get("type") == "payment.succeeded":
                    return q
            return None

        q = rx.wait_for(got, timeout=15)
        self.assertIsNotNone(q, f"no payment.succeeded webhook for {p['id']}; "
                                f"log tail:\n{srv.log_tail(15)}")
        self.assertTrue(signature_ok(secret, q), f"bad signature {q.headers}")

    def test_rotate_rewraps_everything_online_then_retire_and_rotate_again(self):
        srv = self.server()
        m = dev_merchant(srv)
        kr = keyring_path(srv.data_dir)
        self.assertEqual(file_mode(kr), 0o600)
        rx = WebhookReceiver()
        self.addCleanup(rx.close)
        for body in ({"connector": "stripe", "credentials": {"secret_key": canary("sk_test_"),
                                                             "webhook_secret": canary("whsec_")}},
                     {"connector": "adyen", "credentials": {"api_key": canary("ak_"),
                                                            "merchant_account": "M",
                                                            "hmac_key": hex_canary()}},
                     {"connector": "sandbox", "credentials": {"api_key": canary("sbx_")}},
                     {"connector": "sandbox"}):  # no credentials: no secret
            self.create(m, body)
        ep = m.post("/v1/webhook_endpoints", {"url": rx.url("/hook"),
                                              "enabled_events": ["payment.succeeded"]})
        self.assertEqual(ep.status, 200, ep)
        wsecret = ep.json["secret"]
        n = 4  # 3 credential sets + 1 webhook signing secret
        self.assertStatus(self.status_ok(srv.data_dir), 1, [(1, n)], n, 0)

        # Rotate while the server keeps answering.
        proc = subprocess.Popen([harness.binary_path(), "keys", "rotate", "--data-dir",
                                 srv.data_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True)
        answered = []
        try:
            while proc.poll() is None:
                answered.append(m.get(ACCOUNTS).status)
                answered.append(m.create_payment(payment_method="tok_visa",
                                                 confirm=True).status)
                time.sleep(0.05)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, f"keys rotate: {out!r} {err[-1500:]!r}")
        self.assertGreater(len(answered), 4, "the server was not exercised during the rotation")
        self.assertEqual(set(answered), {200}, answered)
        self.assertStatus(json.loads(out.strip().splitlines()[-1]), 2, [(1, 0), (2, n)], n, 0)
        self.assertStatus(self.status_ok(srv.data_dir), 2, [(1, 0), (2, n)], n, 0)
        self.assertEqual(file_mode(kr), 0o600, "keys rotate changed the key-ring file mode")
        self.assertIsNotNone(self.wait_log(srv, lambda r: r.get("msg") == "keyring_reloaded" and
                                           r.get("active_version") == 2),
                             f"server did not reload the key ring:\n{srv.log_tail(15)}")

        # Created after the rotation: sealed under version 2.
        self.create(m, {"connector": "stripe", "credentials": {"secret_key": canary("sk_test_"),
                                                               "webhook_secret": canary("whsec_")}})
        n += 1
        self.assertStatus(self.status_ok(srv.data_dir), 2, [(1, 0), (2, n)], n, 0)

        # The active version cannot be retired; nothing changes.
        rc, _, out, err = keys_cli("retire", "2", data_dir=srv.data_dir)
        self.assertNotEqual(rc, 0, f"retiring the active version succeeded: {out!r}")
        self.assertStatus(self.status_ok(srv.data_dir), 2, [(1, 0), (2, n)], n, 0)
        # The old, unused version can.
        rc, _, out, err = keys_cli("retire", "1", data_dir=srv.data_dir)
        self.assertEqual(rc, 0, f"keys retire 1: {out!r} {err[-1500:]!r}")
        self.assertIn("retired key version 1", out)
        self.assertEqual(file_mode(kr), 0o600, "keys retire changed the key-ring file mode")
        self.assertStatus(self.status_ok(srv.data_dir), 2, [(2, n)], n, 0)
        rc, _, out, err = keys_cli("retire", "1", data_dir=srv.data_dir)
        self.assertNotEqual(rc, 0, "retiring a version twice succeeded")
        self.deliver_and_verify(srv, m, rx, wsecret, 2001)

        # Re-runnable: a second rotation moves everything to version 3.
        rc, doc, out, err = keys_cli("rotate", data_dir=srv.data_dir)
        self.assertEqual(rc, 0, f"second keys rotate: {out!r} {err[-1500:]!r}")
        self.assertStatus(doc, 3, [(2, 0), (3, n)], n, 0)
        self.assertStatus(self.status_ok(srv.data_dir), 3, [(2, 0), (3, n)], n, 0)
        self.assertEqual(file_mode(kr), 0o600)
        self.deliver_and_verify(srv, m, rx, wsecret, 2002)
        # The running server still reads and writes credentials.
        a = self.create(m, {"connector": "sandbox", "credentials": {"api_key": canary("sbx_")}})
        self.assertRegex(a["credentials"]["fingerprint"], FP_RE)
        n += 1
        self.assertStatus(self.status_ok(srv.data_dir), 3, [(2, 0), (3, n)], n, 0)

        srv.stop()
        for aid, blob in sealed_rows(srv.db_path).items():
            if blob is not None:
                self.assertEqual(blob_version(blob), 3, aid)

    def test_retire_active_version_fails_even_when_it_protects_nothing(self):
        d = os.path.join(self.tmpdir(), "fresh")
        r = run_cli(["init", "--data-dir", d])
        self.assertEqual(r.returncode, 0, r.stderr[-1500:])
        self.assertStatus(self.status_ok(d), 1, [(1, 0)], 0, 0)
        rc, _, out, err = keys_cli("retire", "1", data_dir=d)
        self.assertNotEqual(rc, 0, f"retired the only (active) version: {out!r}")
        self.assertIn("active", err)
        self.assertStatus(self.status_ok(d), 1, [(1, 0)], 0, 0)
        rc, _, out, err = keys_cli("retire", "9", data_dir=d)
        self.assertNotEqual(rc, 0, "retired an unknown version")

    def test_rotation_under_load_loses_nothing(self):
        srv = self.server()
        m = dev_merchant(srv)
        srv.context()  # create the shared SSL context before the threads start
        base = self.status_ok(srv.data_dir)
        self.assertStatus(base, 1, [(1, 0)], 0, 0)
        payments_before = len(m.all_payments())

        stop = threading.Event()
        lock = threading.Lock()
        results = {"pay_ok": 0, "acct_ok": 0, "patch_ok": 0, "bad": []}
        sealed: dict = {}  # account id -> credentials last accepted (what must be sealed)

        def worker(idx):
            conn = srv.connection("api", timeout=30)
            i = 0
            try:
                while not stop.is_set():
                    i += 1
                    try:
                        r = m.post("/v1/payments", {"amount": 100 + i, "currency": "usd",
                                                    "payment_method": "tok_visa",
                                                    "confirm": True}, conn=conn, timeout=30)
                        ok = r.status == 200 and r.json.get("status") == "succeeded"
                        with lock:
                            if r.status == 200:
                                results["pay_ok"] += 1
                            if not ok:
                                results["bad"].append(("payment", r.status, r.body[:300]))
                        if i % 2:
                            creds = {"secret_key": canary(f"sk_test_w{idx}_"),
                                     "webhook_secret": canary("whsec_")}
                            body = {"connector": "stripe", "credentials": creds}
                        else:
                            creds = {"api_key": canary(f"sbx_w{idx}_")}
                            body = {"connector": "sandbox", "credentials": creds}
                        r = m.post(ACCOUNTS, body, conn=conn, timeout=30)
                        with lock:
                            if r.status == 200:
                                results["acct_ok"] += 1
                                sealed[r.json["id"]] = creds
                            else:
                                results["bad"].append(("account", r.status, r.body[:300]))
                        if r.status == 200 and i % 3 == 0:
                            # A credential change racing with the re-wrap (longer value).
                            creds2 = {k: v + "Changed" for k, v in creds.items()}
                            p = m.call("PATCH", f"{ACCOUNTS}/{r.json['id']}",
                                       body={"credentials": creds2}, conn=conn, timeout=30)
                            with lock:
                                if p.status == 200:
                                    results["patch_ok"] += 1
                                    sealed[r.json["id"]] = creds2
                                else:
                                    results["bad"].append(("patch", p.status, p.body[:300]))
                    except Exception as e:  # noqa: BLE001 - any failure is a finding
                        with lock:
                            results["bad"].append(("exception", repr(e)))
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.3)  # the load is running before the rotation starts
            rc, doc, out, err = keys_cli("rotate", data_dir=srv.data_dir)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "a worker hung")
        self.assertEqual(rc, 0, f"keys rotate under load: {out!r} {err[-1500:]!r}")
        self.assertEqual(results["bad"], [], "requests did not all answer 200")
        self.assertGreater(results["pay_ok"], 8, results)
        self.assertGreater(results["acct_ok"], 8, results)

        n = len(sealed)
        self.assertEqual(n, results["acct_ok"])
        self.assertStatus(self.status_ok(srv.data_dir), 2, [(1, 0), (2, n)], n, 0)
        self.assertEqual(len(m.all_payments()) - payments_before, results["pay_ok"])
        self.assertEqual(file_mode(keyring_path(srv.data_dir)), 0o600)

        # Each row holds the credentials last accepted (a racing PATCH is not undone by the
        # re-wrap): compared by ciphertext length, which is plaintext length + 96.
        self.assertEqual(srv.stop(), 0, srv.log_tail())
        rows = sealed_rows(srv.db_path)
        for aid, creds in sealed.items():
            blob = rows.get(aid)
            self.assertIsNotNone(blob, aid)
            self.assertEqual(blob_version(blob), 2, aid)
            self.assertEqual(len(blob), len(compact(creds).encode()) + SEALED_OVERHEAD,
                             f"{aid}: sealed credentials are not the last ones accepted")


# ----------------------------------------------------------------------------------------------
# 6. Key-ring file permissions
# ----------------------------------------------------------------------------------------------

class KeyRingPermissionsTest(SecretsTestBase):

    def serve_cmd(self, d):
        return [harness.binary_path(), "serve", "--dev", "--data-dir", d,
                "--api-addr", "127.0.0.1:0", "--dashboard-addr", "127.0.0.1:0",
                "--ops-addr", "127.0.0.1:0"]

    def test_group_or_world_readable_key_ring_is_refused(self):
        d = os.path.join(self.tmpdir(), "data")
        r = run_cli(["init", "--data-dir", d])
        self.assertEqual(r.returncode, 0, r.stderr[-1500:])
        kr = keyring_path(d)
        self.assertEqual(file_mode(kr), 0o600)
        with open(kr, "rb") as f:
            original = f.read()

        for mode in (0o640, 0o604):
            with self.subTest(mode=oct(mode)):
                os.chmod(kr, mode)
                try:
                    p = subprocess.run(self.serve_cmd(d), capture_output=True, text=True,
                                       timeout=20, cwd=d, stdin=subprocess.DEVNULL)
                except subprocess.TimeoutExpired:
                    self.fail(f"serve started with a key ring of mode {oct(mode)}")
                self.assertNotEqual(p.returncode, 0, p.stderr[-1500:])
                self.assertIn(f"{mode:04o}", p.stderr)
                self.assertIn("chmod 600", p.stderr)
                self.assertFalse(os.path.exists(os.path.join(d, "ports.json")),
                                 "serve opened listeners before refusing")

                rc, doc, out, err = keys_cli("status", data_dir=d)
                self.assertNotEqual(rc, 0, out)
                self.assertIsNone(doc, out)
                self.assertIn(f"{mode:04o}", err)
                self.assertIn("chmod 600", err)

                rc, doc, out, err = keys_cli("rotate", data_dir=d)
                self.assertNotEqual(rc, 0, f"keys rotate accepted an insecure key ring: {out}")
                self.assertEqual(file_mode(kr), mode, "a refused command changed the mode")
                with open(kr, "rb") as f:
                    self.assertEqual(f.read(), original, "a refused command rewrote the key ring")

        # Control: back to 0600, everything works.
        os.chmod(kr, 0o600)
        self.assertStatus(self.status_ok(d), 1, [(1, 0)], 0, 0)
        srv = self.server(data_dir=d)
        self.assertTrue(srv.alive())
        self.assertEqual(file_mode(kr), 0o600)


if __name__ == "__main__":
    unittest.main()
