// SQL of the routing_configs table (versions of a merchant's routing configuration per mode).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/store/store.hpp"

namespace lp::payments::routing_repo {

struct Version {
  int64_t version = 0;
  std::string config;  // canonical JSON (routing::RenderConfig)
  bool active = false;
  int64_t created_us = 0;
  std::string created_by;
};

// The active version, if the merchant ever configured routing in this mode.
Result<std::optional<Version>> Active(store::Tx& tx, const std::string& merchant_id,
                                      std::string_view mode);
// Only the active version's number (the payment path's per-payment question: the configuration
// itself is read with Get when the parsed cache does not hold that version). Index-only with
// migration 14's routing_configs_active_version.
Result<std::optional<int64_t>> ActiveVersion(store::Tx& tx, const std::string& merchant_id,
                                             std::string_view mode);
// One version.
Result<std::optional<Version>> Get(store::Tx& tx, const std::string& merchant_id,
                                   std::string_view mode, int64_t version);
// Every version, newest first.
Result<std::vector<Version>> List(store::Tx& tx, const std::string& merchant_id,
                                  std::string_view mode);
// Adds the next version and makes it the active one; returns it.
Result<Version> Add(store::Tx& tx, const std::string& merchant_id, std::string_view mode,
                    const std::string& config, const std::string& created_by, int64_t now_us);
// Makes `version` the active one; false when there is no such version.
Result<bool> Activate(store::Tx& tx, const std::string& merchant_id, std::string_view mode,
                      int64_t version);

}  // namespace lp::payments::routing_repo
