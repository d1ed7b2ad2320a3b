-- Migration 1: core. Shipped: never edit, add a new file.
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
