"""`liasonpay audit verify` and `liasonpay audit export` (PRODUCT.md §1, §5; issue 16).

A dev server records privileged actions (API keys, connector accounts) in the hash-chained audit
log. `audit verify` reports the chain intact with its record count while the server runs;
`audit export` prints every record as a JSON line (filters: merchant, time window). The table's
triggers refuse UPDATE and DELETE; with those dropped (someone holding the database file),
editing a record, deleting one or swapping two makes `verify` exit 1 naming the first bad record
and why.

Signed checkpoints (docs/audit.md): a clean stop signs the chain's head with a key derived from
the key ring, in the database and in `audit-anchor.json` outside it. Truncating the tail,
rewriting the whole chain consistently (recomputing every hash, without the key), forging a
checkpoint, or deleting the tail together with the checkpoints from the database are all named.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import unittest

from harness import Server, run_cli
from payments_helpers import dev_merchant, new_merchant


class AuditCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        cls.m = dev_merchant(cls.srv)
        cls.other = new_merchant(cls.srv, name="Other")
        for m in (cls.m, cls.other):
            r = m.post("/v1/api_keys", {"type": "restricted", "scopes": ["payments:read"]})
            assert r.status == 200, r
            r = m.post("/v1/connector_accounts", {"connector": "sandbox", "label": "audited"})
            assert r.status == 200, r

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def export(self, *args, data_dir=None):
        r = run_cli(["audit", "export", "--data-dir", data_dir or self.srv.data_dir, *args])
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def test_verify_is_intact_while_the_server_runs(self):
        n = len(self.export())
        self.assertGreaterEqual(n, 4)
        r = run_cli(["audit", "verify", "--data-dir", self.srv.data_dir])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout.strip(), r"^intact: \d+ records, (last checkpoint at record \d+ "
                                           r"\(.*\), \d+ checkpoints verified|no checkpoint yet)$")
        self.assertGreaterEqual(int(r.stdout.split()[1]), n)

    def test_export_prints_json_lines_with_the_pci_fields_and_filters(self):
        rows = self.export()
        self.assertEqual([r["seq"] for r in rows], list(range(1, len(rows) + 1)))
        for r in rows:
            for k in ("id", "time", "time_us", "actor_type", "actor_id", "action", "target",
                      "merchant_id", "outcome", "source_ip", "request_id", "details", "hash"):
                self.assertIn(k, r)
        actions = {r["action"] for r in rows}
        self.assertIn("api_key.create", actions)
        self.assertIn("connector_account.create", actions)
        mine = self.export("--merchant", self.m.merchant_id)
        self.assertTrue(mine)
        self.assertTrue(all(r["merchant_id"] == self.m.merchant_id for r in mine))
        self.assertLess(len(mine), len(rows))
        self.assertEqual(self.export("--to", "2000-01-01T00:00:00Z"), [])
        self.assertEqual(len(self.export("--from", "2000-01-01T00:00:00Z")), len(rows))
        r = run_cli(["audit", "export", "--data-dir", self.srv.data_dir, "--from", "yesterday"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("RFC 3339", r.stderr)

    def test_tampering_is_named(self):
        cases = [
            ("edited", "UPDATE audit_log SET outcome = 'failure' WHERE seq = 2",
             2, "content hash mismatch"),
            ("deleted", "DELETE FROM audit_log WHERE seq = 2", 3, "sequence gap"),
            ("swapped", "UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END "
                        "WHERE seq IN (2, 3)", 2, "previous-hash mismatch"),
        ]
        for name, sql, bad, why in cases:
            with self.subTest(name):
                d = tempfile.mkdtemp(prefix="lp-audit-")
                try:
                    copy = os.path.join(d, "var")
                    shutil.copytree(self.srv.data_dir, copy)
                    con = sqlite3.connect(os.path.join(copy, "liasonpay.db"))
                    try:
                        # The table's triggers refuse UPDATE and DELETE; someone with the file
                        # can drop them, and then the chain is what shows the change.
                        with self.assertRaises(sqlite3.IntegrityError):
                            con.execute("DELETE FROM audit_log WHERE seq = 2")
                        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE "
                                                "type = 'trigger' AND tbl_name = 'audit_log'"
                                                ).fetchall():
                            con.execute(f'DROP TRIGGER "{t}"')
                        # Swapping needs a free slot for the unique seq: go through -1.
                        if name == "swapped":
                            con.execute("UPDATE audit_log SET seq = -1 WHERE seq = 2")
                            con.execute("UPDATE audit_log SET seq = 2 WHERE seq = 3")
                            con.execute("UPDATE audit_log SET seq = 3 WHERE seq = -1")
                        else:
                            con.execute(sql)
                        con.commit()
                    finally:
                        con.close()
                    r = run_cli(["audit", "verify", "--data-dir", copy])
                    self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                    self.assertIn(f"TAMPERED: record {bad}:", r.stdout)
                    self.assertIn(why, r.stdout)
                finally:
                    shutil.rmtree(d, ignore_errors=True)


def canonical(row) -> str:
    """The record's canonical content, as the server hashes it (a compact JSON array)."""
    return json.dumps(list(row), separators=(",", ":"), ensure_ascii=False)


class AuditCheckpointTest(unittest.TestCase):
    """Checkpoints signed at a clean stop; tampering that the chain alone cannot show."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        m = dev_merchant(cls.srv)
        for label in ("one", "two", "three"):
            r = m.post("/v1/connector_accounts", {"connector": "sandbox", "label": label})
            assert r.status == 200, r
        cls.srv.stop()  # a clean stop signs a checkpoint over every record

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def verify(self, data_dir):
        return run_cli(["audit", "verify", "--data-dir", data_dir])

    def tampered(self, change):
        """A copy of the data dir, `change(connection)` applied with the triggers dropped."""
        d = tempfile.mkdtemp(prefix="lp-audit-")
        self.addCleanup(shutil.rmtree, d, True)
        copy = os.path.join(d, "var")
        shutil.copytree(self.srv.data_dir, copy)
        con = sqlite3.connect(os.path.join(copy, "liasonpay.db"))
        try:
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                    "tbl_name IN ('audit_log', 'audit_checkpoints')").fetchall():
                con.execute(f'DROP TRIGGER "{t}"')
            change(con, copy)
            con.commit()
        finally:
            con.close()
        return copy

    def records(self, con):
        return con.execute("SELECT seq, id, time, actor_type, actor_id, action, target, "
                           "merchant_id, outcome, source_ip, request_id, details FROM audit_log "
                           "ORDER BY seq").fetchall()

    def test_a_clean_stop_signs_the_chain(self):
        r = self.verify(self.srv.data_dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        n = int(r.stdout.split()[1])
        self.assertIn(f"last checkpoint at record {n} ", r.stdout)
        with open(os.path.join(self.srv.data_dir, "audit-anchor.json")) as f:
            anchor = json.load(f)
        self.assertEqual(anchor["seq"], n)
        self.assertEqual(os.stat(os.path.join(self.srv.data_dir, "audit-anchor.json")).st_mode
                         & 0o777, 0o600)

    def test_truncating_the_tail_is_named(self):
        def cut(con, _):
            last = con.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
            con.execute("DELETE FROM audit_log WHERE seq > ?", (last - 2,))
        r = self.verify(self.tampered(cut))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("truncated", r.stdout)

    def test_truncating_the_tail_and_the_checkpoints_is_named_by_the_anchor(self):
        def cut(con, _):
            last = con.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
            con.execute("DELETE FROM audit_log WHERE seq > ?", (last - 2,))
            con.execute("DELETE FROM audit_checkpoints")
        r = self.verify(self.tampered(cut))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("truncated", r.stdout)

    def test_rewriting_the_whole_chain_without_the_key_is_named(self):
        def rewrite(con, _):
            rows = [list(r) for r in self.records(con)]
            rows[1][8] = "failure"  # record 2's outcome
            prev = "0" * 64
            con.execute("DELETE FROM audit_log")
            for row in rows:
                h = hashlib.sha256((prev + canonical(row)).encode()).hexdigest()
                con.execute("INSERT INTO audit_log (seq, id, time, actor_type, actor_id, action, "
                            "target, merchant_id, outcome, source_ip, request_id, details, "
                            "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            (*row, prev, h))
                prev = h
        copy = self.tampered(rewrite)
        # The chain alone is consistent again: only the signed checkpoint shows the rewrite.
        r = self.verify(copy)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("rewritten", r.stdout)

    def test_a_forged_checkpoint_is_named(self):
        def forge(con, copy):
            con.execute("UPDATE audit_checkpoints SET hash = ? WHERE seq = "
                        "(SELECT MAX(seq) FROM audit_checkpoints)", ("ab" * 32,))
            os.unlink(os.path.join(copy, "audit-anchor.json"))
        r = self.verify(self.tampered(forge))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("checkpoint signature invalid", r.stdout)


if __name__ == "__main__":
    unittest.main()
