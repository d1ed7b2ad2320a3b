// Circuit breakers per connector account (issue 19): closed → open when the recent failure rate
// reaches the threshold; open → half-open after the open period; half-open lets a few probe
// calls through: all succeed → closed, one fails → open again. A failure is a PSP error,
// timeout or refused connection, or a call slower than `slow_call_us` — never a card decline
// (declines are the PSP working). Time is passed in (microseconds, any monotonic origin), so
// tests drive it with a fake clock; no I/O.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lp::routing {

struct BreakerOptions {
  int64_t window_us = 60'000'000;     // outcomes counted over the last minute (10 buckets)
  int min_calls = 20;                 // fewer calls in the window never open it
  double failure_rate = 0.5;          // opens at >= this share of failures
  int64_t slow_call_us = 10'000'000;  // a slower call counts as a failure
  int64_t open_us = 30'000'000;       // how long it stays open before probing
  int half_open_probes = 3;           // successful probes that close it
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view ToString(BreakerState s);

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerOptions options = {});

  // The state at `now` (open becomes half-open once the open period is over).
  BreakerState State(int64_t now_us);
  // Whether a call may go now: closed yes; open no; half-open while fewer than
  // `half_open_probes` probes are in flight (a granted probe must be Recorded).
  bool Allow(int64_t now_us);
  // One call's outcome; returns the new state when this call changed it.
  std::optional<BreakerState> Record(int64_t now_us, bool failed, int64_t latency_us);

  // The window's counts (for metrics and the ops API).
  int Calls(int64_t now_us);
  int Failures(int64_t now_us);

 private:
  static constexpr int kBuckets = 10;
  struct Bucket {
    int64_t slot = -1;  // now / bucket width when last written
    int calls = 0;
    int failures = 0;
  };
  void Roll(int64_t now_us);
  void Reset();

  BreakerOptions options_;
  BreakerState state_ = BreakerState::kClosed;
  Bucket buckets_[kBuckets];
  int64_t opened_at_us_ = 0;
  int probes_in_flight_ = 0;
  int probe_successes_ = 0;
};

struct BreakerTransition {
  std::string connector_account;
  BreakerState from = BreakerState::kClosed;
  BreakerState to = BreakerState::kClosed;
  int calls = 0;  // in the window when it changed
  int failures = 0;
};

struct BreakerStatus {
  std::string connector_account;
  BreakerState state = BreakerState::kClosed;
  int calls = 0;
  int failures = 0;
};

// The breakers of every connector account, shared by the I/O threads (one mutex; each call is a
// few integer operations).
class BreakerBoard {
 public:
  explicit BreakerBoard(BreakerOptions options = {}) : options_(options) {}

  // For routing's ordering (no side effect): open, or half-open with every probe slot taken.
  bool IsOpen(std::string_view account, int64_t now_us);
  // Right before a call: CircuitBreaker::Allow (takes a probe slot when half-open).
  bool Allow(std::string_view account, int64_t now_us);
  std::optional<BreakerTransition> Record(std::string_view account, int64_t now_us, bool failed,
                                          int64_t latency_us);
  std::vector<BreakerStatus> Snapshot(int64_t now_us);

 private:
  CircuitBreaker& Get(std::string_view account);

  BreakerOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, CircuitBreaker> breakers_;
};

}  // namespace lp::routing
