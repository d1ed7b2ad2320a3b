#include "lp/auth/rate_limiter.hpp"

#include <array>
#include <cmath>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace lp::auth {
namespace {

class InProcessRateLimiter final : public RateLimiter {
 public:
  explicit InProcessRateLimiter(const Clock& clock) : clock_(clock) {}

  RateDecision Take(std::string_view key, double rate, double burst) override {
    const int64_t now = clock_.NowMicros();
    auto& shard = shards_[std::hash<std::string_view>{}(key) % shards_.size()];
    std::lock_guard lk(shard.mu);
    if (shard.buckets.size() > 100000) Sweep(shard, now);
    auto [it, inserted] = shard.buckets.try_emplace(std::string(key), Bucket{burst, now});
    Bucket& b = it->second;
    if (!inserted) {
      b.tokens = std::min(burst, b.tokens + rate * static_cast<double>(now - b.updated) / 1e6);
      b.updated = now;
    }
    RateDecision d;
    d.limit = static_cast<int64_t>(burst);
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      d.allowed = true;
    } else {
      d.allowed = false;
      d.retry_after_s =
          std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - b.tokens) / rate)));
    }
    d.remaining = static_cast<int64_t>(std::floor(b.tokens));
    d.reset_s = static_cast<int64_t>(std::ceil((burst - b.tokens) / rate));
    return d;
  }

 private:
  struct Bucket {
    double tokens;
    int64_t updated;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  static void Sweep(Shard& s, int64_t now) {
    for (auto it = s.buckets.begin(); it != s.buckets.end();) {
      it = now - it->second.updated > 60'000'000 ? s.buckets.erase(it) : std::next(it);
    }
  }
  const Clock& clock_;
  std::array<Shard, 16> shards_;
};

}  // namespace

std::unique_ptr<RateLimiter> MakeInProcessRateLimiter(const Clock& clock) {
  return std::make_unique<InProcessRateLimiter>(clock);
}

}  // namespace lp::auth
