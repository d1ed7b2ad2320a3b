#include "lp/webhook/dispatcher.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/webhook/signer.hpp"

namespace lp::webhook {

namespace json = boost::json;

std::string SecretAd(std::string_view endpoint_id, bool old_secret) {
  return std::string("webhook_endpoints:") + (old_secret ? "old_secret_sealed" : "secret_sealed") +
         ":" + std::string(endpoint_id);
}

struct Dispatcher::Due {
  std::string delivery_id, event_id, endpoint_id;
  int64_t attempts = 0;
};

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

namespace {
bool Matches(const std::string& enabled_events_json, const std::string& type) {
  boost::system::error_code ec;
  auto v = json::parse(enabled_events_json, ec);
  if (ec || !v.is_array()) return false;
  for (const auto& e : v.as_array()) {
    if (e.is_string() && (e.as_string() == "*" || e.as_string() == type)) return true;
  }
  return false;
}
}  // namespace

Result<void> Dispatcher::FanOut(store::Tx& tx, size_t& created) {
  const int64_t now = clock_.NowMicros();
  created = 0;  // the transaction may run twice
  {
    struct Row {
      int64_t outbox_seq;
      std::string event_id, merchant_id, mode, type, object_id;
      int64_t event_seq;
    };
    std::vector<Row> rows;
    auto q = tx.Query(
        "SELECT o.seq, e.id, e.merchant_id, e.mode, e.type, e.object_id, e.seq, e.data "
        "FROM outbox o JOIN events e ON e.id = o.event_id WHERE o.state = 'pending' "
        "ORDER BY o.seq LIMIT 1000",
        {}, [&](const store::Row& row) {
          rows.push_back({row.Int(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4),
                          OrderKey(row.Text(4), row.Text(5), row.Text(7)), row.Int(6)});
          return true;
        });
    if (!q) return q;
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> endpoints;
    for (const auto& row : rows) {
      const std::string key = row.merchant_id + "/" + row.mode;
      if (!endpoints.count(key)) {
        auto& list = endpoints[key];
        auto e = tx.Query(
            "SELECT id, enabled_events FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? "
            "AND status IN ('enabled', 'failing')",
            {row.merchant_id, row.mode}, [&](const store::Row& er) {
              list.emplace_back(er.Text(0), er.Text(1));
              return true;
            });
        if (!e) return e;
      }
      for (const auto& [endpoint_id, enabled] : endpoints[key]) {
        if (!Matches(enabled, row.type)) continue;
        auto ins = tx.Exec(
            "INSERT INTO webhook_deliveries (id, event_id, event_seq, object_id, endpoint_id, "
            "merchant_id, state, attempts, next_attempt_at, created, updated) "
            "VALUES (?,?,?,?,?,?,'pending',0,?,?,?)",
            {NewId("whd"), row.event_id, row.event_seq, row.object_id, endpoint_id, row.merchant_id,
             now, now, now});
        if (!ins) return ins.error();
        ++created;
      }
      auto u = tx.Exec("UPDATE outbox SET state = 'done' WHERE seq = ?", {row.outbox_seq});
      if (!u) return u.error();
    }
    return {};
  }
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
    return tx.Query(
        "SELECT d.id, d.event_id, d.endpoint_id, d.attempts FROM webhook_deliveries d "
        "WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND NOT EXISTS ("
        "  SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND "
        "  p.object_id = d.object_id AND p.state = 'pending' AND "
        "  (p.event_seq < d.event_seq OR (p.event_seq = d.event_seq AND p.created < d.created))) "
        "ORDER BY d.event_seq, d.created LIMIT ?",
        {now, static_cast<int64_t>(budget + 64)}, [&](const store::Row& row) {
          due.push_back({row.Text(0), row.Text(1), row.Text(2), row.Int(3)});
          return true;
        });
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

  std::string url, status, body, secret_blob, old_blob;
  int64_t old_expires = 0;
  bool found = false;
  auto load = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto q = tx.Query(
        "SELECT w.url, w.status, w.secret_sealed, w.old_secret_sealed, w.old_secret_expires, "
        "e.data FROM webhook_endpoints w JOIN events e ON e.id = ? WHERE w.id = ?",
        {d.event_id, d.endpoint_id}, [&](const store::Row& row) {
          found = true;
          url = row.Text(0);
          status = row.Text(1);
          secret_blob = row.IsNull(2) ? "" : row.Text(2);
          old_blob = row.IsNull(3) ? "" : row.Text(3);
          old_expires = row.IsNull(4) ? 0 : row.Int(4);
          body = row.Text(5);
          return false;
        });
    return q;
  });
  if (!load || !found) co_return;

  const int64_t start = clock_.NowMicros();
  std::string error;
  int status_code = 0;
  int64_t latency_us = 0;
  if (status != "enabled" && status != "failing") {
    error = "endpoint_" + status;
  } else {
    std::vector<std::string> secrets;
    if (auto s = keyring_.Open(secret_blob, SecretAd(d.endpoint_id, false)); s) {
      secrets.emplace_back(s->view());
    }
    if (!old_blob.empty() && old_expires > start) {
      if (auto s = keyring_.Open(old_blob, SecretAd(d.endpoint_id, true)); s) {
        secrets.emplace_back(s->view());
      }
    }
    const int64_t ts = start / 1'000'000;
    std::string signature = SignatureHeader(secrets, d.event_id, ts, body);
    for (auto& s : secrets) std::fill(s.begin(), s.end(), '\0');
    if (signature.empty()) {
      error = "secret_unavailable";
    } else {
      net::HttpHeaders headers = {{"webhook-id", d.event_id},
                                  {"webhook-timestamp", std::to_string(ts)},
                                  {"webhook-signature", signature},
                                  {"Content-Type", "application/json"},
                                  {"User-Agent", "LiasonPay-Webhooks/1"}};
      auto res = co_await client_->Post(url, body, std::move(headers));
      if (res) {
        status_code = res->status;
        latency_us = res->latency_us;
        if (status_code < 200 || status_code > 299) error = "http_" + std::to_string(status_code);
      } else {
        error = res.error().code;
        latency_us = clock_.NowMicros() - start;
      }
    }
  }
  const bool ok = error.empty();
  const int64_t attempt = d.attempts + 1;
  const int64_t now = clock_.NowMicros();
  const bool final_failure = !ok && (attempt >= kMaxAttempts || error.starts_with("endpoint_"));
  int64_t next = now;
  if (!ok && !final_failure) {
    next =
        now + static_cast<int64_t>(kRetryDelaysSeconds[attempt - 1] * options_.retry_scale * 1e6);
  }
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto a = tx.Exec(
        "INSERT INTO webhook_attempts (id, delivery_id, attempt, time, status_code, latency_us, "
        "error) VALUES (?,?,?,?,?,?,?)",
        {NewId("wha"), d.delivery_id, attempt, start,
         status_code ? store::Value(status_code) : store::Value(), latency_us,
         ok ? store::Value() : store::Value(error)});
    if (!a) return a.error();
    auto u = tx.Exec(
        "UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, "
        "last_status = ?, last_error = ?, updated = ? WHERE id = ?",
        {ok              ? "succeeded"
         : final_failure ? "failed"
                         : "pending",
         attempt, next, status_code ? store::Value(status_code) : store::Value(),
         ok ? store::Value() : store::Value(error), now, d.delivery_id});
    if (!u) return u.error();
    if (ok) {
      auto e = tx.Exec(
          "UPDATE webhook_endpoints SET status = 'enabled' WHERE id = ? AND status = 'failing'",
          {d.endpoint_id});
      if (!e) return e.error();
    } else if (final_failure && !error.starts_with("endpoint_")) {
      auto e = tx.Exec(
          "UPDATE webhook_endpoints SET status = 'failing', updated = ? WHERE id = ? AND "
          "status = 'enabled'",
          {now, d.endpoint_id});
      if (!e) return e.error();
    }
    return {};
  });
  if (!w)
    log::Error("webhook_attempt_not_recorded",
               {{"delivery", d.delivery_id}, {"detail", w.error().detail}});
  if (!ok) {
    log::Info("webhook_attempt_failed", {{"delivery", d.delivery_id},
                                         {"attempt", attempt},
                                         {"error", error},
                                         {"final", final_failure}});
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
    return tx.Query(
        "SELECT COUNT(*), MIN(CASE WHEN next_attempt_at <= ? THEN next_attempt_at END) FROM "
        "webhook_deliveries WHERE state = 'pending'",
        {now}, [&](const store::Row& row) {
          s.pending = row.Int(0);
          if (!row.IsNull(1)) s.oldest_due_age_s = (now - row.Int(1)) / 1'000'000;
          return false;
        });
  });
  co_return s;
}

}  // namespace lp::webhook
