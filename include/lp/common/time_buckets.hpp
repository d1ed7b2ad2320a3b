// Time buckets of the dashboard's aggregates (docs/dashboard-api.md §8): a range [from, to) in
// Unix seconds cut into buckets aligned to UTC multiples of the interval (hour or day). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lp/common/result.hpp"

namespace lp {

inline constexpr int64_t kMaxStatsBuckets = 500;
inline constexpr int64_t kDefaultStatsRange = 7 * 86400;  // the last 7 days
inline constexpr int64_t kHourlyUpTo = 48 * 3600;         // default interval: hour up to 48 h

struct TimeBuckets {
  int64_t from = 0;         // as asked (seconds)
  int64_t to = 0;           // exclusive
  std::string interval;     // "hour" | "day"
  int64_t seconds = 3600;   // the interval's length
  int64_t first_start = 0;  // from rounded down to a multiple of `seconds`
  int64_t count = 0;        // buckets from first_start up to `to`

  int64_t Start(int64_t index) const { return first_start + index * seconds; }
  // The bucket of a time in [from, to) (seconds).
  int64_t IndexOf(int64_t t) const { return (t - first_start) / seconds; }
};

// From the query's `from`, `to` (defaults: the 7 days ending at `now`, its second included: `to`
// = now + 1) and `interval` (default:
// hour when the range is at most 48 h, else day). Errors are 400 parameter_invalid naming
// `from`, `to` or `interval` (an unknown interval, or more than kMaxStatsBuckets buckets).
Result<TimeBuckets> MakeTimeBuckets(std::optional<int64_t> from, std::optional<int64_t> to,
                                    std::optional<std::string_view> interval, int64_t now);

}  // namespace lp
