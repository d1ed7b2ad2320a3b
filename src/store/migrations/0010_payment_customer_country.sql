-- Migration 10: payment_customer_country. Shipped: never edit, add a new file.
-- The customer's country (ISO 3166-1 alpha-2), an optional payment parameter routing rules use.
ALTER TABLE payments ADD COLUMN customer_country TEXT;
