// The dashboard's webhook aggregates (docs/dashboard-api.md §8): per endpoint, its deliveries
// created in the range by state and its delivery attempts in the range; and attempts per time
// bucket (every bucket present, zeros included). Computed in SQL with GROUP BY.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lp/common/principal.hpp"
#include "lp/common/result.hpp"
#include "lp/common/time_buckets.hpp"
#include "lp/store/store.hpp"

namespace lp::webhooks {

struct EndpointStats {
  std::string endpoint_id;
  std::string url;
  std::string status;
  int64_t deliveries_succeeded = 0, deliveries_failed = 0, deliveries_pending = 0;
  int64_t attempts_total = 0, attempts_failed = 0;
  std::optional<double> avg_latency_ms;                     // over attempts with a latency
  std::optional<int64_t> last_success_at, last_failure_at;  // seconds, within the range
};

struct AttemptBucket {
  int64_t start = 0;
  int64_t attempts = 0, failed = 0;
};

struct WebhookStats {
  std::vector<EndpointStats> endpoints;  // the merchant's endpoints in the mode, oldest first
  std::vector<AttemptBucket> buckets;    // every bucket, oldest first
};

// Attempts are found through their deliveries: those created from kAttemptLookback before
// `from` (the retry schedule spans ~28 h) up to `to`.
inline constexpr int64_t kAttemptLookbackSeconds = 7 * 86400;

Result<WebhookStats> LoadWebhookStats(store::Tx& tx, const std::string& merchant_id, Mode mode,
                                      const TimeBuckets& range);

}  // namespace lp::webhooks
