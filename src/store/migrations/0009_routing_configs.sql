-- Migration 9: routing_configs. Shipped: never edit, add a new file.
-- A merchant's routing configuration per mode (PRODUCT.md §2): every change is a new version;
-- exactly one version per merchant and mode is active (the newest unless one was re-activated).
CREATE TABLE routing_configs (
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  mode TEXT NOT NULL,
  version INTEGER NOT NULL,
  config TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (merchant_id, mode, version)
);
CREATE INDEX routing_configs_active ON routing_configs(merchant_id, mode) WHERE active = 1;
