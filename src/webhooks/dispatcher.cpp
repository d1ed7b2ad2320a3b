#include "lp/webhooks/dispatcher.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/webhooks/endpoints.hpp"
#include "lp/webhooks/events.hpp"
#include "lp/webhooks/signer.hpp"
#include "webhooks/repositories.hpp"

namespace lp::webhooks {

namespace json = boost::json;

struct Dispatcher::Due : deliveries_repo::Due {};

Dispatcher::Dispatcher(boost::asio::any_io_executor ex, store::Store& store,
                       const crypto::KeyRing& keyring, const Clock& clock,
                       DispatcherOptions options)
    : ex_(ex),
      store_(store),
      keyring_(keyring),
      clock_(clock),
      options_(std::move(options)),
      client_(std::make_unique<net::HttpClient>(ex, options_.policy)) {}

Dispatcher::~Dispatcher() = default;

void Dispatcher::Stop() { stopped_ = true; }

// Deliveries to an endpoint go out in event order per payment: a refund's events are ordered
// with the payment they refund.
std::string OrderKey(const std::string& type, const std::string& object_id,
                     const std::string& event_json) {
  if (!type.starts_with("refund.")) return object_id;
  boost::system::error_code ec;
  auto v = json::parse(event_json, ec);
  if (ec) return object_id;
  auto* pay = v.is_object() ? v.as_object().if_contains("data") : nullptr;
  pay = pay && pay->is_object() ? pay->as_object().if_contains("object") : nullptr;
  pay = pay && pay->is_object() ? pay->as_object().if_contains("payment") : nullptr;
  return pay && pay->is_string() ? std::string(pay->as_string()) : object_id;
}

bool Wants(const std::vector<std::string>& enabled_events, std::string_view type) {
  for (const auto& e : enabled_events) {
    if (e == "*" || e == type) return true;
  }
  return false;
}

Result<void> Dispatcher::FanOut(store::Tx& tx, size_t& created) {
  const int64_t now = clock_.NowMicros();
  created = 0;  // the transaction may run twice
  auto rows = events_repo::PendingOutbox(tx, 1000);
  if (!rows) return rows.error();
  std::map<std::string, std::vector<std::pair<std::string, std::vector<std::string>>>> endpoints;
  for (const auto& row : *rows) {
    const std::string key = row.merchant_id + "/" + row.mode;
    if (!endpoints.count(key)) {
      auto list = endpoints_repo::Receiving(tx, row.merchant_id, row.mode);
      if (!list) return list.error();
      endpoints[key] = std::move(*list);
    }
    const std::string object_id = OrderKey(row.type, row.object_id, row.data);
    for (const auto& [endpoint_id, enabled] : endpoints[key]) {
      if (!Wants(enabled, row.type)) continue;
      deliveries_repo::NewRow d{
          NewId("whd"), row.event_id, row.event_seq, object_id, endpoint_id, row.merchant_id, now};
      if (auto r = deliveries_repo::Insert(tx, d); !r) return r;
      ++created;
    }
    if (auto u = events_repo::MarkOutboxDone(tx, row.outbox_seq); !u) return u;
  }
  return {};
}

Task<size_t> Dispatcher::RunOnce() {
  // Fan-out is one short, bounded (1,000 rows) write transaction on the store's writer.
  size_t created = 0;
  auto fan = co_await store::Write(store_, [&](store::Tx& tx) { return FanOut(tx, created); });
  if (!fan) log::Error("webhook_fanout_failed", {{"detail", fan.error().detail}});
  const int64_t now = clock_.NowMicros();
  std::vector<Due> due;
  size_t budget;
  uint64_t scan;
  {
    std::lock_guard lk(mu_);
    scan = ++scan_counter_;
    budget =
        options_.max_in_flight > in_flight_.size() ? options_.max_in_flight - in_flight_.size() : 0;
  }
  if (budget == 0) co_return 0;
  // The scan runs on the writer, after every attempt recorded so far: a delivery whose send
  // just finished is either seen with its new state or still marked in flight, never re-sent.
  auto r = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    due.clear();
    auto rows = deliveries_repo::DueAt(tx, now, static_cast<int64_t>(budget + 64));
    if (!rows) return rows.error();
    for (auto& x : *rows) due.push_back(Due{std::move(x)});
    return {};
  });
  if (!r) {
    log::Error("webhook_scan_failed", {{"detail", r.error().detail}});
    co_return 0;
  }
  size_t started = 0;
  {
    // Sends that finished before this scan began are reflected in its snapshot; forget them.
    std::lock_guard lk(mu_);
    for (auto it = finished_.begin(); it != finished_.end();) {
      it = it->second < scan &&
                   !std::count_if(due.begin(), due.end(),
                                  [&](const Due& x) { return x.delivery_id == it->first; })
               ? finished_.erase(it)
               : std::next(it);
    }
  }
  for (auto& d : due) {
    {
      std::lock_guard lk(mu_);
      if (in_flight_.size() >= options_.max_in_flight) break;
      if (in_flight_.count(d.delivery_id)) continue;
      // Finished while this scan ran: the snapshot may predate its recorded attempt.
      if (auto f = finished_.find(d.delivery_id); f != finished_.end() && f->second >= scan) {
        continue;
      }
      auto& n = per_endpoint_[d.endpoint_id];
      if (n >= options_.max_per_endpoint) continue;
      ++n;
      in_flight_.insert(d.delivery_id);
    }
    ++started;
    boost::asio::co_spawn(ex_, Send(std::move(d)), boost::asio::detached);
  }
  co_return started;
}

namespace {

// The Standard Webhooks signature header over `body`, with the endpoint's current secret and,
// during a roll's grace period, the old one as well ("" when neither opens). The opened secrets
// are wiped before returning.
std::string SignFor(const crypto::KeyRing& keyring, const endpoints_repo::SendInfo& info,
                    const std::string& endpoint_id, const std::string& event_id, int64_t now_us,
                    const std::string& body) {
  std::vector<std::string> secrets;
  if (auto s = keyring.Open(info.secret_blob, store::AssociatedData(kSecretColumn, endpoint_id));
      s) {
    secrets.emplace_back(s->view());
  }
  if (!info.old_blob.empty() && info.old_expires_us > now_us) {
    if (auto s = keyring.Open(info.old_blob, store::AssociatedData(kOldSecretColumn, endpoint_id));
        s) {
      secrets.emplace_back(s->view());
    }
  }
  std::string signature = SignatureHeader(secrets, event_id, now_us / 1'000'000, body);
  for (auto& s : secrets) std::fill(s.begin(), s.end(), '\0');
  return signature;
}

// What one attempt's result means for its delivery: succeeded; pending until the next retry of
// the schedule (scaled); or failed for good after the last attempt, or at once when the endpoint
// is disabled or deleted (`endpoint_…` errors).
deliveries_repo::AttemptRecord AttemptOutcome(const deliveries_repo::Due& d, int64_t start_us,
                                              int status_code, int64_t latency_us,
                                              std::string error, int64_t now_us,
                                              double retry_scale) {
  const bool ok = error.empty();
  const int64_t attempt = d.attempts + 1;
  const bool final_failure = !ok && (attempt >= kMaxAttempts || error.starts_with("endpoint_"));
  int64_t next = now_us;
  if (!ok && !final_failure) {
    next = now_us + static_cast<int64_t>(kRetryDelaysSeconds[attempt - 1] * retry_scale * 1e6);
  }
  const char* status = ok ? "succeeded" : final_failure ? "failed" : "pending";
  return {d.delivery_id,    attempt, start_us, status_code, latency_us,
          std::move(error), status,  next,     now_us};
}

}  // namespace

Task<void> Dispatcher::Send(Due d) {
  struct Release {
    Dispatcher* self;
    std::string delivery, endpoint;
    ~Release() {
      std::lock_guard lk(self->mu_);
      self->in_flight_.erase(delivery);
      self->finished_[delivery] = self->scan_counter_;
      if (--self->per_endpoint_[endpoint] == 0) self->per_endpoint_.erase(endpoint);
    }
  } release{this, d.delivery_id, d.endpoint_id};

  endpoints_repo::SendInfo info;
  std::string body, sealed;
  bool found = false;
  auto load = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto i = endpoints_repo::LoadSendInfo(tx, d.endpoint_id);
    if (!i) return i.error();
    auto data = events_repo::DataOf(tx, d.event_id);
    if (!data) return data.error();
    if (!*i || !*data) return {};
    info = std::move(**i);
    body = std::move((*data)->data);
    sealed = std::move((*data)->sealed);
    found = true;
    return {};
  });
  if (!load || !found) co_return;
  // An event whose delivered body holds a secret (EmitSealedEvent): opened only to be sent.
  if (!sealed.empty()) {
    auto opened = keyring_.Open(sealed, store::AssociatedData(kSealedDataColumn, d.event_id));
    if (opened) {
      std::fill(body.begin(), body.end(), '\0');
      body.assign(opened->view());
    } else {
      body.clear();
    }
  }

  const int64_t start = clock_.NowMicros();
  std::string error;
  int status_code = 0;
  int64_t latency_us = 0;
  std::string signature;
  if (info.status != "enabled" && info.status != "failing") {
    error = "endpoint_" + info.status;
  } else if (body.empty()) {
    error = "secret_unavailable";  // the sealed body did not open (key ring): retried
  } else if (signature = SignFor(keyring_, info, d.endpoint_id, d.event_id, start, body);
             signature.empty()) {
    error = "secret_unavailable";
  } else {
    net::HttpHeaders headers = {{"webhook-id", d.event_id},
                                {"webhook-timestamp", std::to_string(start / 1'000'000)},
                                {"webhook-signature", signature},
                                {"Content-Type", "application/json"},
                                {"User-Agent", "LiasonPay-Webhooks/1"}};
    auto res = co_await client_->Post(info.url, body, std::move(headers));
    if (res) {
      status_code = res->status;
      latency_us = res->latency_us;
      if (status_code < 200 || status_code > 299) error = "http_" + std::to_string(status_code);
    } else {
      error = res.error().code;
      latency_us = clock_.NowMicros() - start;
    }
  }
  const auto record = AttemptOutcome(d, start, status_code, latency_us, error, clock_.NowMicros(),
                                     options_.retry_scale);
  const bool ok = record.state == std::string_view("succeeded");
  const bool failed = record.state == std::string_view("failed");
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    if (auto r = deliveries_repo::RecordAttempt(tx, record); !r) return r;
    if (ok) return endpoints_repo::MarkRecovered(tx, d.endpoint_id);
    if (failed && !error.starts_with("endpoint_")) {
      return endpoints_repo::MarkFailing(tx, d.endpoint_id, record.now_us);
    }
    return {};
  });
  if (!w) {
    log::Error("webhook_attempt_not_recorded",
               {{"delivery", d.delivery_id}, {"detail", w.error().detail}});
  }
  if (!sealed.empty()) std::fill(body.begin(), body.end(), '\0');
  if (!ok) {
    log::Info("webhook_attempt_failed", {{"delivery", d.delivery_id},
                                         {"attempt", record.attempt},
                                         {"error", error},
                                         {"final", failed}});
  }
}

Task<void> Dispatcher::Run() {
  boost::asio::steady_timer t(ex_);
  while (!stopped_) {
    size_t n = 0;
    try {
      n = co_await RunOnce();
    } catch (const std::exception& e) {
      log::Error("webhook_round_failed", {{"error", e.what()}});
    }
    t.expires_after(std::chrono::milliseconds(n > 0 ? 20 : 100));
    co_await t.async_wait(boost::asio::use_awaitable);
  }
}

Task<Dispatcher::QueueStats> Dispatcher::Stats() {
  QueueStats s;
  const int64_t now = clock_.NowMicros();
  (void)co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto q = deliveries_repo::QueueAt(tx, now);
    if (!q) return q.error();
    s.pending = q->pending;
    if (q->oldest_due_us) s.oldest_due_age_s = (now - *q->oldest_due_us) / 1'000'000;
    return {};
  });
  co_return s;
}

}  // namespace lp::webhooks
