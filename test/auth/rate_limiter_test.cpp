// Token buckets under a fake clock: exact admission counts, refill, headers, key isolation.
#include "lp/auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "lp/common/clock.hpp"

namespace lp::auth {
namespace {

using namespace std::chrono_literals;

constexpr double kRate = 100;
constexpr double kBurst = 200;

class RateLimiterTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  std::unique_ptr<RateLimiter> rl_ = MakeInProcessRateLimiter(clock_);

  // Takes until the first refusal (at most `cap` tries); returns how many were admitted.
  int Drain(std::string_view key, int cap = 10000) {
    for (int i = 0; i < cap; ++i) {
      if (!rl_->Take(key, kRate, kBurst).allowed) return i;
    }
    return cap;
  }
};

TEST_F(RateLimiterTest, ExactlyBurstAdmittedAtOnceThenRefusedWithRetryAfterOne) {
  for (int i = 0; i < 200; ++i) {
    auto d = rl_->Take("key:a", kRate, kBurst);
    ASSERT_TRUE(d.allowed) << "request " << i + 1 << " of the burst was refused";
    EXPECT_EQ(d.retry_after_s, 0);
  }
  auto refused = rl_->Take("key:a", kRate, kBurst);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);
  EXPECT_EQ(refused.limit, 200);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.reset_s, 2);  // 200 tokens at 100/s
  // Still refused while the clock stands still.
  EXPECT_FALSE(rl_->Take("key:a", kRate, kBurst).allowed);
}

TEST_F(RateLimiterTest, AfterOneSecondExactlyRateMoreAreAdmitted) {
  ASSERT_EQ(Drain("key:a"), 200);
  clock_.Advance(1s);
  EXPECT_EQ(Drain("key:a"), 100);
  // A refusal does not consume: 10 ms later exactly one more token.
  clock_.Advance(10ms);
  EXPECT_EQ(Drain("key:a"), 1);
}

TEST_F(RateLimiterTest, RefillNeverExceedsBurst) {
  ASSERT_EQ(Drain("key:a"), 200);
  clock_.Advance(1h);
  EXPECT_EQ(Drain("key:a"), 200);
}

TEST_F(RateLimiterTest, PartialRefillRetryAfterRoundsUp) {
  // rate 0.5/s, burst 1: after the one token, the next is 2 s away.
  auto first = rl_->Take("slow", 0.5, 1);
  EXPECT_TRUE(first.allowed);
  auto second = rl_->Take("slow", 0.5, 1);
  EXPECT_FALSE(second.allowed);
  EXPECT_EQ(second.retry_after_s, 2);
  clock_.Advance(1s);
  auto third = rl_->Take("slow", 0.5, 1);
  EXPECT_FALSE(third.allowed);
  EXPECT_EQ(third.retry_after_s, 1);
  clock_.Advance(1s);
  EXPECT_TRUE(rl_->Take("slow", 0.5, 1).allowed);
}

TEST_F(RateLimiterTest, HeaderValuesLimitRemainingReset) {
  auto d = rl_->Take("key:h", kRate, kBurst);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 200);
  EXPECT_EQ(d.remaining, 199);
  EXPECT_EQ(d.reset_s, 1);  // one token missing: refilled within 10 ms, rounded up to 1 s

  for (int i = 0; i < 49; ++i) ASSERT_TRUE(rl_->Take("key:h", kRate, kBurst).allowed);
  d = rl_->Take("key:h", kRate, kBurst);  // the 51st
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 200);
  EXPECT_EQ(d.remaining, 149);
  EXPECT_EQ(d.reset_s, 1);  // 51 tokens at 100/s = 0.51 s -> 1

  for (int i = 0; i < 148; ++i) ASSERT_TRUE(rl_->Take("key:h", kRate, kBurst).allowed);
  d = rl_->Take("key:h", kRate, kBurst);  // the 200th: the last token
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.reset_s, 2);

  // 1.5 s later: 150 tokens back; this request leaves 149 and 51 missing (0.51 s -> 1).
  clock_.Advance(1500ms);
  d = rl_->Take("key:h", kRate, kBurst);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 149);
  EXPECT_EQ(d.reset_s, 1);
}

TEST_F(RateLimiterTest, IndependentKeysDoNotShareBuckets) {
  EXPECT_EQ(Drain("key:a"), 200);
  EXPECT_EQ(Drain("key:b"), 200);
  EXPECT_EQ(Drain("ip:127.0.0.1"), 200);
  // Keys that differ only by prefix or case are distinct buckets.
  EXPECT_EQ(Drain("KEY:A"), 200);
  EXPECT_EQ(Drain("a"), 200);
}

TEST_F(RateLimiterTest, FloodingOneKeyLeavesAnothersBucketFull) {
  for (int i = 0; i < 5000; ++i) rl_->Take("key:flood", kRate, kBurst);
  EXPECT_FALSE(rl_->Take("key:flood", kRate, kBurst).allowed);
  auto d = rl_->Take("key:quiet", kRate, kBurst);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 199);
  EXPECT_EQ(d.limit, 200);
  EXPECT_EQ(Drain("key:quiet"), 199);
}

TEST_F(RateLimiterTest, ManyKeysAcrossShardsAreEachIndependent) {
  for (int k = 0; k < 64; ++k) {
    const std::string key = "key:" + std::to_string(k);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(rl_->Take(key, 5, 10).allowed) << key;
    EXPECT_FALSE(rl_->Take(key, 5, 10).allowed) << key;
  }
}

}  // namespace
}  // namespace lp::auth
