-- Migration 2: api_keys_perimeter_audit. Shipped: never edit, add a new file.
ALTER TABLE api_keys ADD COLUMN allowed_cidrs TEXT;
ALTER TABLE api_keys ADD COLUMN rolled_to TEXT;
ALTER TABLE merchants ADD COLUMN rate_limit_per_key REAL;
CREATE INDEX api_keys_list ON api_keys(merchant_id, mode, created, id);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  time INTEGER NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  request_id TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_merchant ON audit_log(merchant_id, seq);
-- Append-only: the database itself refuses edits and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
