#include "lp/routing/breaker.hpp"

#include <gtest/gtest.h>

namespace lp::routing {
namespace {

constexpr int64_t kSec = 1'000'000;

BreakerOptions Options() {
  BreakerOptions o;
  o.window_us = 60 * kSec;
  o.min_calls = 20;
  o.failure_rate = 0.5;
  o.slow_call_us = 5 * kSec;
  o.open_us = 30 * kSec;
  o.half_open_probes = 3;
  return o;
}

TEST(CircuitBreaker, OpensAtAFiftyPercentErrorRateThenProbesAndClosesAfterRecovery) {
  BreakerBoard board(Options());
  int64_t now = 1000 * kSec;
  std::optional<BreakerTransition> opened;
  for (int i = 0; i < 40 && !opened; ++i) {
    now += kSec / 2;
    opened = board.Record("ca_a", now, /*failed=*/i % 2 == 1, 100'000);
  }
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->to, BreakerState::kOpen);
  EXPECT_GE(opened->calls, 20);
  EXPECT_TRUE(board.IsOpen("ca_a", now));
  EXPECT_FALSE(board.Allow("ca_a", now));
  EXPECT_FALSE(board.IsOpen("ca_b", now));  // another account is unaffected

  now += 30 * kSec;  // the open period is over: half-open, three probe slots
  EXPECT_FALSE(board.IsOpen("ca_a", now));
  EXPECT_TRUE(board.Allow("ca_a", now));
  EXPECT_TRUE(board.Allow("ca_a", now));
  EXPECT_TRUE(board.Allow("ca_a", now));
  EXPECT_FALSE(board.Allow("ca_a", now));  // every probe slot is taken
  EXPECT_TRUE(board.IsOpen("ca_a", now));
  EXPECT_FALSE(board.Record("ca_a", now, false, 1000));
  EXPECT_FALSE(board.Record("ca_a", now, false, 1000));
  auto closed = board.Record("ca_a", now, false, 1000);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->from, BreakerState::kHalfOpen);
  EXPECT_EQ(closed->to, BreakerState::kClosed);
  EXPECT_FALSE(board.IsOpen("ca_a", now));
}

TEST(CircuitBreaker, AFailedProbeOpensItAgain) {
  CircuitBreaker b(Options());
  int64_t now = 0;
  for (int i = 0; i < 20; ++i) b.Record(now += kSec, true, 0);
  ASSERT_EQ(b.State(now), BreakerState::kOpen);
  now += 31 * kSec;
  ASSERT_TRUE(b.Allow(now));
  EXPECT_EQ(b.Record(now, true, 0), BreakerState::kOpen);
  EXPECT_FALSE(b.Allow(now + 29 * kSec));
  EXPECT_EQ(b.State(now + 30 * kSec), BreakerState::kHalfOpen);
}

TEST(CircuitBreaker, BelowTheMinimumCallsOrTheRateItStaysClosed) {
  CircuitBreaker few(Options());
  for (int i = 0; i < 19; ++i) few.Record(i * kSec, true, 0);
  EXPECT_EQ(few.State(19 * kSec), BreakerState::kClosed);

  CircuitBreaker healthy(Options());
  for (int i = 0; i < 100; ++i) healthy.Record(i * kSec / 2, i % 3 == 0, 0);  // 34 % failures
  EXPECT_EQ(healthy.State(50 * kSec), BreakerState::kClosed);
}

TEST(CircuitBreaker, OldFailuresLeaveTheWindowAndSlowCallsCountAsFailures) {
  CircuitBreaker b(Options());
  for (int i = 0; i < 15; ++i) b.Record(i * kSec, true, 0);
  // Two minutes later the window is empty: 15 fresh successes and 5 failures are 25 %.
  int64_t now = 200 * kSec;
  for (int i = 0; i < 15; ++i) b.Record(now += kSec, false, 0);
  EXPECT_EQ(b.Failures(now), 0);
  for (int i = 0; i < 5; ++i) b.Record(now += kSec, true, 0);
  EXPECT_EQ(b.State(now), BreakerState::kClosed);
  // Slow successes are failures: 20 more slow calls reach 25/40 = 62 %.
  for (int i = 0; i < 20 && b.State(now) == BreakerState::kClosed; ++i) {
    b.Record(now += kSec / 4, false, 6 * kSec);
  }
  EXPECT_EQ(b.State(now), BreakerState::kOpen);
}

TEST(CircuitBreaker, SnapshotListsEveryAccountsStateAndCounts) {
  BreakerBoard board(Options());
  board.Record("ca_b", kSec, false, 0);
  board.Record("ca_a", kSec, true, 0);
  auto s = board.Snapshot(2 * kSec);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].connector_account, "ca_a");
  EXPECT_EQ(s[0].failures, 1);
  EXPECT_EQ(s[1].calls, 1);
  EXPECT_EQ(ToString(s[1].state), "closed");
}

}  // namespace
}  // namespace lp::routing
