// SQL of the containment actions (the tables belong to merchants, people and webhooks; these are
// the few bulk statements an operator's containment needs).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/store/store.hpp"

namespace lp::incident::repo {

Result<bool> MerchantExists(store::Tx& tx, std::string_view merchant_id);
// Revokes every unrevoked API key of the merchant (both modes); returns their ids.
Result<std::vector<std::string>> RevokeMerchantKeys(store::Tx& tx, std::string_view merchant_id,
                                                    int64_t now_us);
// Revokes every live session of every member of the merchant; returns how many.
Result<int64_t> RevokeMerchantSessions(store::Tx& tx, std::string_view merchant_id, int64_t now_us);
// Whether `user_id` is a dashboard user (kind 'user').
Result<bool> UserExists(store::Tx& tx, std::string_view user_id);
Result<int64_t> RevokeUserSessions(store::Tx& tx, std::string_view user_id, int64_t now_us);

struct AccountRow {
  std::string merchant_id, status;
};
// A connector account unless deleted.
Result<std::optional<AccountRow>> FindAccount(store::Tx& tx, std::string_view id);
Result<void> SetAccountStatus(store::Tx& tx, std::string_view id, std::string_view status,
                              int64_t now_us);

// The merchant's webhook endpoints that are not deleted (both modes).
Result<std::vector<std::string>> LiveEndpoints(store::Tx& tx, std::string_view merchant_id);
// Replaces the endpoint's secret and drops the previous one (no grace period).
Result<void> ReplaceSecret(store::Tx& tx, std::string_view id, std::string_view sealed,
                           int64_t now_us);

}  // namespace lp::incident::repo
