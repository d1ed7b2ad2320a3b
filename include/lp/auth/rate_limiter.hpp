// Rate limiting: token buckets keyed by API key or client IP. An interface, so a Redis-backed
// limiter shared by several nodes can replace the in-process one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lp/common/clock.hpp"

namespace lp::auth {

struct RateDecision {
  bool allowed = true;
  int64_t limit = 0;          // bucket size (burst)
  int64_t remaining = 0;      // whole tokens left after this request
  int64_t reset_s = 0;        // seconds until the bucket is full again
  int64_t retry_after_s = 0;  // when refused: seconds until one token is available
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Takes one token from `key`'s bucket (refilled at `rate` per second up to `burst`).
  virtual RateDecision Take(std::string_view key, double rate, double burst) = 0;
};

// Thread-safe, sharded; buckets idle for a minute are dropped.
std::unique_ptr<RateLimiter> MakeInProcessRateLimiter(const Clock& clock);

}  // namespace lp::auth
