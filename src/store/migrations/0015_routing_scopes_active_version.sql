-- Migration 15: routing scopes; the active routing version from an index. Shipped: never edit,
-- add a new file.
-- The routing API (GET/PUT /v1/routing, versions, activate, simulate) now needs routing:read /
-- routing:write (PRODUCT.md §2) instead of connectors:read / connectors:write. Restricted keys
-- made before keep exactly what they could do: a key holding connectors:write gains
-- routing:write, one holding only connectors:read gains routing:read. Keys made from now on hold
-- only the scopes asked for. Idempotent (a key already holding the scope is left alone).
UPDATE api_keys SET scopes = json_insert(scopes, '$[#]', 'routing:write')
 WHERE type = 'restricted' AND scopes IS NOT NULL AND json_valid(scopes)
   AND EXISTS (SELECT 1 FROM json_each(api_keys.scopes) WHERE value = 'connectors:write')
   AND NOT EXISTS (SELECT 1 FROM json_each(api_keys.scopes) WHERE value = 'routing:write');
UPDATE api_keys SET scopes = json_insert(scopes, '$[#]', 'routing:read')
 WHERE type = 'restricted' AND scopes IS NOT NULL AND json_valid(scopes)
   AND EXISTS (SELECT 1 FROM json_each(api_keys.scopes) WHERE value = 'connectors:read')
   AND NOT EXISTS (SELECT 1 FROM json_each(api_keys.scopes)
                    WHERE value IN ('routing:read', 'routing:write'));
-- The payment path asks every payment which routing version is active: an index that holds the
-- version answers it without reading the row (whose config text, ~30 KB with 100 rules, spans
-- overflow pages; `active` is in the index too, or SQLite reads the row to check it). Replaces
-- routing_configs_active, which held only (merchant_id, mode).
CREATE INDEX IF NOT EXISTS routing_configs_active_version
  ON routing_configs(merchant_id, mode, active, version) WHERE active = 1;
DROP INDEX IF EXISTS routing_configs_active;
