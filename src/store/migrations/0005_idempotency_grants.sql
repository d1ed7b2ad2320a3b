-- Migration 5: idempotency_grants. Shipped: never edit, add a new file.
ALTER TABLE idempotency_keys ADD COLUMN required_grants TEXT NOT NULL DEFAULT '';
