-- Migration 12: psp_connector_state. Shipped: never edit, add a new file.
-- Issue 18 (docs/psp-connectors.md). A connector account's last credential failure at its PSP
-- (set when the PSP refuses the credentials, cleared when they are replaced), and its return URL
-- (Adyen requires one on every payment).
ALTER TABLE connector_accounts ADD COLUMN last_error_code TEXT;
ALTER TABLE connector_accounts ADD COLUMN last_error_at INTEGER;
ALTER TABLE connector_accounts ADD COLUMN return_url TEXT;
-- Reconciliation backoff per attempt: how many syncs left it unsettled, and when the next one is
-- due (unix microseconds; NULL = at once). Persisted so that a restart keeps the schedule.
ALTER TABLE payment_attempts ADD COLUMN sync_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payment_attempts ADD COLUMN next_sync_at INTEGER;
-- The PSP's next action of a `requires_action` attempt: {"type","redirect_url"} only.
ALTER TABLE payment_attempts ADD COLUMN next_action TEXT;
-- A payment's return URL (where the shopper comes back after a redirect).
ALTER TABLE payments ADD COLUMN return_url TEXT;
