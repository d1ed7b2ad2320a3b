-- Migration 11: audit_query_stats_indexes. Shipped: never edit, add a new file.
-- The audit log query (docs/dashboard-api.md §8): a merchant's records by action or by actor,
-- every merchant's by actor (ops), each newest first by seq; created[] bounds by time.
CREATE INDEX audit_log_merchant_action ON audit_log(merchant_id, action, seq);
CREATE INDEX audit_log_merchant_actor ON audit_log(merchant_id, actor_id, seq);
CREATE INDEX audit_log_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_log_time ON audit_log(time);
-- Webhook stats: an endpoint's deliveries by creation time.
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, created);
-- Payment stats: authorization attempts per connector account (an account belongs to one
-- merchant and mode) by time.
CREATE INDEX payment_attempts_by_account ON payment_attempts(connector_account_id, created);
