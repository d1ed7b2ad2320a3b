// Webhook dispatcher: turns outbox rows into deliveries (one per matching endpoint), POSTs due
// deliveries signed per Standard Webhooks, records every attempt, retries on the schedule of
// PRODUCT.md §3 and marks an endpoint failing after the last attempt. At-least-once: a delivery
// is done only once a 2xx was recorded, so a crash re-sends rather than loses. Per endpoint and
// payment (object), deliveries go out in event order. Owns no payment state.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/clock.hpp"
#include "lp/common/task.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/net/http_client.hpp"
#include "lp/store/store.hpp"

namespace lp::webhooks {

// Waits after attempt n (1-based) failed, before attempt n+1: 5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h, 10 h. Eight attempts in all.
inline constexpr int64_t kRetryDelaysSeconds[] = {5, 300, 1800, 7200, 18000, 36000, 36000};
inline constexpr int kMaxAttempts = 8;

struct DispatcherOptions {
  double retry_scale = 1.0;  // multiplies the schedule (tests use e.g. 0.01)
  size_t max_in_flight = 128;
  size_t max_per_endpoint = 32;
  net::OutboundPolicy policy;
};

class Dispatcher {
 public:
  Dispatcher(boost::asio::any_io_executor ex, store::Store& store, const crypto::KeyRing& keyring,
             const Clock& clock, DispatcherOptions options);
  ~Dispatcher();

  // One round: fan out new outbox rows, start sending every due delivery that may go now.
  // Returns how many sends it started.
  Task<size_t> RunOnce();
  // Rounds until Stop(); waits briefly when idle.
  Task<void> Run();
  void Stop();
  // Queue depth for metrics: deliveries pending and the age of the oldest due one.
  struct QueueStats {
    int64_t pending = 0;
    int64_t oldest_due_age_s = 0;
  };
  Task<QueueStats> Stats();

 private:
  struct Due;
  Task<void> Send(Due d);
  Result<void> FanOut(store::Tx& tx, size_t& created);

  boost::asio::any_io_executor ex_;
  store::Store& store_;
  const crypto::KeyRing& keyring_;
  const Clock& clock_;
  DispatcherOptions options_;
  std::unique_ptr<net::HttpClient> client_;
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::set<std::string> in_flight_;
  // Deliveries whose send finished, with the scan counter at that moment: a scan that started
  // before a finish may still see the delivery as pending and must not send it again.
  std::map<std::string, uint64_t> finished_;
  uint64_t scan_counter_ = 0;
  std::map<std::string, size_t> per_endpoint_;
};

// The key deliveries are ordered by: the payment, also for refund events.
std::string OrderKey(const std::string& type, const std::string& object_id,
                     const std::string& event_json);

// Whether an endpoint subscribed to these event types ("*" = all) wants an event of `type`.
bool Wants(const std::vector<std::string>& enabled_events, std::string_view type);

}  // namespace lp::webhooks
