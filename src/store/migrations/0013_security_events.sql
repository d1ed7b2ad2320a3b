-- Migration 13: security_events. Shipped: never edit, add a new file.
-- What the detectors and the perimeter found (docs/security-monitoring.md): one row per merchant
-- concerned ('' for a platform-level event such as a sign-in burst from one address).
CREATE TABLE security_events (
  id TEXT PRIMARY KEY,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  merchant_id TEXT NOT NULL DEFAULT '',
  mode TEXT,
  subject_type TEXT NOT NULL,
  subject TEXT NOT NULL,
  source_ip TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  api_key_id TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT '{}',
  ip_blocked_until INTEGER,
  key_revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX security_events_by_time ON security_events(time);
CREATE INDEX security_events_by_merchant ON security_events(merchant_id, time);
-- Automatic containment a merchant may switch on (docs/dashboard-api.md §7).
ALTER TABLE security_policies ADD COLUMN auto_block_ip INTEGER NOT NULL DEFAULT 0;
ALTER TABLE security_policies ADD COLUMN auto_revoke_key INTEGER NOT NULL DEFAULT 0;
