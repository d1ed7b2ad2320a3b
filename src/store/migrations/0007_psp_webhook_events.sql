-- Migration 7: psp_webhook_events. Shipped: never edit, add a new file.
-- Inbound PSP webhook events already handled, per connector account: a PSP resends an event
-- until it is acknowledged, and each must be applied once (docs/psp-connectors.md).
CREATE TABLE psp_webhook_events (
  connector_account_id TEXT NOT NULL REFERENCES connector_accounts(id),
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  outcome TEXT NOT NULL,
  received INTEGER NOT NULL,
  PRIMARY KEY (connector_account_id, event_id)
);
