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

// The volume-split draw for routing::Decide: a per-thread splitmix64 seeded once from the CSPRNG.
// Uniform enough for weights (unit-tested within 2 % over 10,000 draws), and not a secret (which
// account takes a payment is no attacker's prize): a CSPRNG call per payment cost ~6.7k
// instructions (bench/RESULTS.md), this one a few.
uint64_t SplitDraw();

// What routing knows of a payment. `metadata` holds the parsed pairs `facts.metadata` points to.
routing::PaymentFacts FactsOf(const Payment& p,
                              std::vector<std::pair<std::string, std::string>>& metadata);

}  // namespace routing_flow
}  // namespace lp::payments
