-- Migration 8: sandbox_simulate. Shipped: never edit, add a new file.
-- A sandbox account's `options.simulate` (PRODUCT.md §8): unavailable | soft_decline | timeout
-- overrides the token's outcome for every payment the account takes (routing and failover tests).
ALTER TABLE connector_accounts ADD COLUMN simulate TEXT;
