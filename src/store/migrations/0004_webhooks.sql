-- Migration 4: webhooks. Shipped: never edit, add a new file.
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
