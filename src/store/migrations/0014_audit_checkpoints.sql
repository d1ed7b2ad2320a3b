-- Migration 14: audit_checkpoints. Shipped: never edit, add a new file.
-- Signed checkpoints of the audit chain (docs/audit.md): the chain head (seq, hash) at a time,
-- with an HMAC under a key derived from the key ring, so truncating the tail or rewriting the
-- whole chain without the key is detected by `liasonpay audit verify`. Append-only.
CREATE TABLE audit_checkpoints (
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  time INTEGER NOT NULL,
  mac TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
