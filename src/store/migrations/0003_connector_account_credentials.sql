-- Migration 3: connector_account_credentials. Shipped: never edit, add a new file.
ALTER TABLE connector_accounts ADD COLUMN credentials_fingerprint TEXT;
ALTER TABLE connector_accounts ADD COLUMN credentials_last4 TEXT;
ALTER TABLE connector_accounts ADD COLUMN updated INTEGER;
