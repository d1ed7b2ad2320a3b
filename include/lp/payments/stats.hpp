// The dashboard's payment aggregates (docs/dashboard-api.md §8): authorization attempts per
// connector account and time bucket, and failed authorizations by decline code. Computed in SQL
// (GROUP BY over the buckets); every bucket of the range is present, zeros included.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lp/common/principal.hpp"
#include "lp/common/result.hpp"
#include "lp/common/time_buckets.hpp"
#include "lp/store/store.hpp"

namespace lp::payments {

struct AttemptBucket {
  int64_t start = 0;  // seconds
  int64_t attempts = 0, succeeded = 0, failed = 0, processing = 0;
  std::map<std::string, int64_t> volume;  // currency → minor units of succeeded authorizations
};

struct AccountStats {
  std::string connector_account_id;
  std::string label;
  std::string connector;
  std::vector<AttemptBucket> buckets;  // one per bucket of the range, oldest first
};

struct DeclineCount {
  std::optional<std::string> decline_code;  // nullopt: a failure without a code
  int64_t count = 0;
};

struct DeclineStats {
  int64_t total = 0;
  std::vector<DeclineCount> data;  // at most kMaxDeclineRows, by count descending
};
inline constexpr int64_t kMaxDeclineRows = 20;

// The merchant's connector accounts in `mode` (those not deleted, and deleted ones with attempts
// in the range), each with every bucket.
Result<std::vector<AccountStats>> LoadPaymentStats(store::Tx& tx, const std::string& merchant_id,
                                                   Mode mode, const TimeBuckets& range);
Result<DeclineStats> LoadDeclineStats(store::Tx& tx, const std::string& merchant_id, Mode mode,
                                      const TimeBuckets& range);

}  // namespace lp::payments
