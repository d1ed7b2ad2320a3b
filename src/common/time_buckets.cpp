#include "lp/common/time_buckets.hpp"

#include "lp/common/error.hpp"

namespace lp {

namespace {
// Floor division (times before 1970 are refused anyway, but keep the rounding right).
int64_t FloorTo(int64_t t, int64_t step) {
  const int64_t q = t / step;
  return (t % step != 0 && t < 0 ? q - 1 : q) * step;
}
}  // namespace

Result<TimeBuckets> MakeTimeBuckets(std::optional<int64_t> from, std::optional<int64_t> to,
                                    std::optional<std::string_view> interval, int64_t now) {
  TimeBuckets b;
  // The default range ends now, the current second included (`to` is exclusive).
  b.to = to.value_or(now + 1);
  b.from = from.value_or(b.to - kDefaultStatsRange);
  if (b.from < 0) {
    return Error::Invalid("parameter_invalid", "`from` must be a Unix time in seconds.", "from");
  }
  if (b.to <= b.from) {
    return Error::Invalid("parameter_invalid", "`to` must be after `from`.", "to");
  }
  if (interval) {
    if (*interval == "hour") {
      b.interval = "hour";
    } else if (*interval == "day") {
      b.interval = "day";
    } else {
      return Error::Invalid("parameter_invalid", "`interval` must be `hour` or `day`.", "interval");
    }
  } else {
    b.interval = b.to - b.from <= kHourlyUpTo ? "hour" : "day";
  }
  b.seconds = b.interval == "hour" ? 3600 : 86400;
  b.first_start = FloorTo(b.from, b.seconds);
  b.count = (b.to - b.first_start + b.seconds - 1) / b.seconds;
  if (b.count > kMaxStatsBuckets) {
    return Error::Invalid("parameter_invalid",
                          "The range holds more than 500 buckets of this interval: use a longer "
                          "interval or a shorter range.",
                          "interval");
  }
  return b;
}

}  // namespace lp
