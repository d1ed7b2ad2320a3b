#include "store/sqlite/migrations.hpp"

namespace lp::store::sqlite {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "core", R"SQL(
CREATE TABLE merchants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  mode TEXT NOT NULL CHECK (mode IN ('test', 'live')),
  type TEXT NOT NULL CHECK (type IN ('secret', 'restricted', 'publishable')),
  prefix TEXT NOT NULL,
  last4 TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scopes TEXT,
  created INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER,
  last_used_ip TEXT
);
CREATE TABLE connector_accounts (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  mode TEXT NOT NULL,
  connector TEXT NOT NULL,
  label TEXT NOT NULL,
  credentials_sealed BLOB,
  base_url TEXT,
  latency_ms INTEGER,
  status TEXT NOT NULL DEFAULT 'active',
  created INTEGER NOT NULL
);
CREATE INDEX connector_accounts_by_merchant ON connector_accounts(merchant_id, mode, created);
CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  mode TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  capture_method TEXT NOT NULL,
  payment_method TEXT,
  description TEXT,
  metadata TEXT,
  amount_capturable INTEGER NOT NULL DEFAULT 0,
  amount_received INTEGER NOT NULL DEFAULT 0,
  amount_refunded INTEGER NOT NULL DEFAULT 0 CHECK (amount_refunded <= amount_received),
  connector_account_id TEXT,
  connector TEXT,
  psp_reference TEXT,
  last_error TEXT,
  routing TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX payments_list ON payments(merchant_id, mode, created, id);
CREATE TABLE payment_attempts (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL REFERENCES payments(id),
  seq INTEGER NOT NULL,
  operation TEXT NOT NULL,
  connector TEXT NOT NULL,
  connector_account_id TEXT,
  status TEXT NOT NULL,
  amount INTEGER NOT NULL,
  psp_reference TEXT,
  decline_code TEXT,
  error_code TEXT,
  error_message TEXT,
  latency_us INTEGER,
  routing_reason TEXT,
  idempotency_key TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  UNIQUE (payment_id, seq)
);
CREATE INDEX attempts_unsettled ON payment_attempts(status) WHERE status IN ('pending', 'processing');
CREATE TABLE refunds (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  mode TEXT NOT NULL,
  payment_id TEXT NOT NULL REFERENCES payments(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  psp_reference TEXT,
  failure_code TEXT,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX refunds_list ON refunds(merchant_id, mode, created, id);
CREATE INDEX refunds_by_payment ON refunds(payment_id);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  merchant_id TEXT NOT NULL,
  mode TEXT NOT NULL,
  type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  data TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX events_list ON events(merchant_id, mode, seq);
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL REFERENCES events(id),
  merchant_id TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  next_attempt_at INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE TABLE idempotency_keys (
  merchant_id TEXT NOT NULL,
  mode TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
  resource_id TEXT,
  response_status INTEGER,
  response_body TEXT,
  created INTEGER NOT NULL,
  PRIMARY KEY (merchant_id, mode, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created);
)SQL"},
      {2, "api_keys_perimeter_audit", R"SQL(
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
)SQL"},
      {3, "connector_account_credentials", R"SQL(
ALTER TABLE connector_accounts ADD COLUMN credentials_fingerprint TEXT;
ALTER TABLE connector_accounts ADD COLUMN credentials_last4 TEXT;
ALTER TABLE connector_accounts ADD COLUMN updated INTEGER;
)SQL"},
      {4, "webhooks", R"SQL(
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  mode TEXT NOT NULL,
  url TEXT NOT NULL,
  enabled_events TEXT NOT NULL,
  description TEXT,
  secret_sealed BLOB,
  old_secret_sealed BLOB,
  old_secret_expires INTEGER,
  status TEXT NOT NULL DEFAULT 'enabled',
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints(merchant_id, mode, created);
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL REFERENCES events(id),
  event_seq INTEGER NOT NULL,
  object_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
  merchant_id TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries(endpoint_id, object_id, state, event_seq);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries(event_id);
CREATE TABLE webhook_attempts (
  id TEXT PRIMARY KEY,
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
  attempt INTEGER NOT NULL,
  time INTEGER NOT NULL,
  status_code INTEGER,
  latency_us INTEGER,
  error TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts(delivery_id, attempt);
)SQL"},
  };
  return kMigrations;
}

}  // namespace lp::store::sqlite
