-- Migration 14: routing scopes. Shipped: never edit, add a new file.
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
