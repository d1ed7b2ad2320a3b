// SQL of the connector_accounts table.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lp/merchants/connector_accounts.hpp"

namespace lp::merchants::accounts_repo {

struct NewRow {
  std::string id, merchant_id;
  Mode mode = Mode::kTest;
  std::string connector, label;
  std::optional<std::string> credentials_blob, fingerprint, last4, base_url;
  std::optional<int64_t> latency_ms;
  std::optional<std::string> simulate, return_url;
  int64_t now_us = 0;
};
Result<void> Insert(store::Tx& tx, const NewRow& row);
// The caller's account `id` unless deleted.
Result<std::optional<ConnectorAccount>> Load(store::Tx& tx, const Principal& p,
                                             std::string_view id);

struct Changes {
  std::optional<std::string> label, base_url, status, return_url;
  std::optional<int64_t> latency_ms;
  std::optional<std::string> credentials_blob, fingerprint, last4;
};
Result<void> Update(store::Tx& tx, std::string_view id, const Changes& c, int64_t now_us);
Result<void> MarkDeleted(store::Tx& tx, std::string_view id, int64_t now_us);
// Oldest first: the order routing tries them.
Result<Page<ConnectorAccount>> List(store::Tx& tx, const Principal& p, const ListParams& params);

}  // namespace lp::merchants::accounts_repo
