// SQL of the api_keys table (and the merchant's per-key rate-limit override it is read with).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lp/common/api_result.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/store/store.hpp"

namespace lp::merchants::keys_repo {

struct NewRow {
  std::string id, merchant_id;
  Mode mode = Mode::kTest;
  std::string type, prefix, last4, hash;
  std::vector<std::string> scopes, allowed_cidrs;
  int64_t created_us = 0;
  std::optional<int64_t> expires_at_us;
};
Result<void> Insert(store::Tx& tx, const NewRow& row);

// The caller's key `id` (its merchant and mode), if any.
Result<std::optional<ApiKey>> Load(store::Tx& tx, const Principal& p, std::string_view id);
// Keys usable at `now_us` (not revoked, not expired) of the merchant in the mode.
Result<int64_t> CountUsable(store::Tx& tx, const Principal& p, int64_t now_us);
// The old key of a roll: revoked now (no grace) or expiring at `expires_at_us`.
Result<void> MarkRolled(store::Tx& tx, std::string_view id, std::string_view rolled_to,
                        std::optional<int64_t> revoked_at_us, int64_t expires_at_us);
Result<void> Revoke(store::Tx& tx, std::string_view id, int64_t now_us);
Result<void> SetAllowedCidrs(store::Tx& tx, std::string_view id,
                             const std::vector<std::string>& cidrs);
Result<void> Touch(store::Tx& tx, std::string_view id, int64_t now_us, std::string_view ip);
// A page of the caller's keys (newest first).
Result<Page<ApiKey>> List(store::Tx& tx, const Principal& p, const ListParams& params);

// What authentication needs of an unrevoked key with this hash.
struct AuthRow {
  Principal principal;
  std::optional<int64_t> expires_at_us;
  bool merchant_frozen = false;
};
Result<std::optional<AuthRow>> FindUnrevokedByHash(store::Tx& tx, std::string_view hash);
// A key that exists but is revoked (for the security monitor: use of a revoked or expired key).
struct StaleRow {
  std::string key_id, merchant_id;
  Mode mode = Mode::kTest;
  std::optional<int64_t> revoked_at_us, expires_at_us;
};
Result<std::optional<StaleRow>> FindByHash(store::Tx& tx, std::string_view hash);
Result<bool> ExistsForMerchant(store::Tx& tx, std::string_view hash, std::string_view merchant_id);

}  // namespace lp::merchants::keys_repo
