// The payment flow's side of routing: the active configuration of a merchant (parsed once per
// version and cached), and a payment's facts for routing::Decide.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lp/payments/payment_service.hpp"
#include "lp/routing/routing.hpp"

namespace lp::payments {

struct PaymentService::RoutingCache {
  std::mutex mu;
  // "<merchant>/<mode>" -> (version, parsed configuration)
  std::unordered_map<std::string, std::pair<int64_t, std::shared_ptr<const routing::Config>>>
      by_key;
};

namespace routing_flow {

struct ActiveConfig {
  int64_t version = 0;  // 0: the merchant never configured routing in this mode
  std::shared_ptr<const routing::Config> config;
};
// Reads which version is active (one indexed query) and parses it unless cached.
Result<ActiveConfig> LoadActive(store::Tx& tx, PaymentService::RoutingCache& cache,
                                const std::string& merchant_id, Mode mode);

// What routing knows of a payment. `metadata` holds the parsed pairs `facts.metadata` points to.
routing::PaymentFacts FactsOf(const Payment& p,
                              std::vector<std::pair<std::string, std::string>>& metadata);

}  // namespace routing_flow
}  // namespace lp::payments
