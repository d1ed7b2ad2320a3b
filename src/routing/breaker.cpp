#include "lp/routing/breaker.hpp"

#include <algorithm>

namespace lp::routing {

std::string_view ToString(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

CircuitBreaker::CircuitBreaker(BreakerOptions options) : options_(options) {
  options_.window_us = std::max<int64_t>(options_.window_us, kBuckets);
  options_.min_calls = std::max(options_.min_calls, 1);
  options_.half_open_probes = std::max(options_.half_open_probes, 1);
}

void CircuitBreaker::Reset() {
  for (auto& b : buckets_) b = Bucket{};
}

void CircuitBreaker::Roll(int64_t now_us) {
  const int64_t width = options_.window_us / kBuckets;
  const int64_t slot = now_us / width;
  for (auto& b : buckets_) {
    if (b.slot >= 0 && slot - b.slot >= kBuckets) b = Bucket{};  // older than the window
  }
}

int CircuitBreaker::Calls(int64_t now_us) {
  Roll(now_us);
  int n = 0;
  for (const auto& b : buckets_) n += b.calls;
  return n;
}

int CircuitBreaker::Failures(int64_t now_us) {
  Roll(now_us);
  int n = 0;
  for (const auto& b : buckets_) n += b.failures;
  return n;
}

BreakerState CircuitBreaker::State(int64_t now_us) {
  if (state_ == BreakerState::kOpen && now_us - opened_at_us_ >= options_.open_us) {
    state_ = BreakerState::kHalfOpen;
    probes_in_flight_ = 0;
    probe_successes_ = 0;
  }
  return state_;
}

bool CircuitBreaker::Allow(int64_t now_us) {
  switch (State(now_us)) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      return false;
    case BreakerState::kHalfOpen:
      if (probes_in_flight_ + probe_successes_ >= options_.half_open_probes) return false;
      ++probes_in_flight_;
      return true;
  }
  return false;
}

std::optional<BreakerState> CircuitBreaker::Record(int64_t now_us, bool failed,
                                                   int64_t latency_us) {
  failed = failed || latency_us >= options_.slow_call_us;
  const BreakerState before = State(now_us);
  if (before == BreakerState::kHalfOpen) {
    probes_in_flight_ = std::max(0, probes_in_flight_ - 1);
    if (failed) {
      state_ = BreakerState::kOpen;
      opened_at_us_ = now_us;
      return state_;
    }
    if (++probe_successes_ >= options_.half_open_probes) {
      state_ = BreakerState::kClosed;
      Reset();  // a fresh window: the failures that opened it are history
      return state_;
    }
    return std::nullopt;
  }
  if (before == BreakerState::kOpen) return std::nullopt;  // a call that started before it opened
  Roll(now_us);
  const int64_t slot = now_us / (options_.window_us / kBuckets);
  Bucket& b = buckets_[static_cast<size_t>(slot % kBuckets)];
  if (b.slot != slot) b = Bucket{slot, 0, 0};
  ++b.calls;
  if (failed) ++b.failures;
  const int calls = Calls(now_us);
  const int failures = Failures(now_us);
  if (failed && calls >= options_.min_calls &&
      static_cast<double>(failures) >= options_.failure_rate * static_cast<double>(calls)) {
    state_ = BreakerState::kOpen;
    opened_at_us_ = now_us;
    return state_;
  }
  return std::nullopt;
}

CircuitBreaker& BreakerBoard::Get(std::string_view account) {
  auto it = breakers_.find(std::string(account));
  if (it == breakers_.end()) {
    it = breakers_.emplace(std::string(account), CircuitBreaker(options_)).first;
  }
  return it->second;
}

bool BreakerBoard::IsOpen(std::string_view account, int64_t now_us) {
  std::lock_guard lock(mu_);
  auto it = breakers_.find(std::string(account));
  if (it == breakers_.end()) return false;
  CircuitBreaker copy = it->second;  // Allow on a copy: no probe slot is taken
  return !copy.Allow(now_us);
}

bool BreakerBoard::Allow(std::string_view account, int64_t now_us) {
  std::lock_guard lock(mu_);
  return Get(account).Allow(now_us);
}

std::optional<BreakerTransition> BreakerBoard::Record(std::string_view account, int64_t now_us,
                                                      bool failed, int64_t latency_us) {
  std::lock_guard lock(mu_);
  CircuitBreaker& b = Get(account);
  const BreakerState from = b.State(now_us);
  auto to = b.Record(now_us, failed, latency_us);
  if (!to || *to == from) return std::nullopt;
  return BreakerTransition{std::string(account), from, *to, b.Calls(now_us), b.Failures(now_us)};
}

std::vector<BreakerStatus> BreakerBoard::Snapshot(int64_t now_us) {
  std::lock_guard lock(mu_);
  std::vector<BreakerStatus> out;
  out.reserve(breakers_.size());
  for (auto& [id, b] : breakers_) {
    out.push_back({id, b.State(now_us), b.Calls(now_us), b.Failures(now_us)});
  }
  std::sort(out.begin(), out.end(), [](const BreakerStatus& a, const BreakerStatus& b) {
    return a.connector_account < b.connector_account;
  });
  return out;
}

}  // namespace lp::routing
