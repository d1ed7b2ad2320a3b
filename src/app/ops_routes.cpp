#include "app/ops_routes.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "lp/common/clock.hpp"
#include "lp/http/errors.hpp"

namespace lp::app {

namespace json = boost::json;

void DescribeMetrics(metrics::Registry& m) {
  m.Describe("liasonpay_http_requests_total", "counter",
             "HTTP requests by listener, route, method and status.");
  m.Describe("liasonpay_http_request_duration_seconds", "histogram",
             "HTTP request latency by listener and route.");
  m.Describe("liasonpay_http_app_duration_seconds", "histogram",
             "Time LiasonPay itself spent on a request (total minus PSP wait).");
  m.Describe("liasonpay_psp_calls_total", "counter",
             "PSP calls by connector, connector account, operation and outcome (succeeded, "
             "declined, requires_action, pending, or the error code).");
  m.Describe("liasonpay_psp_call_duration_seconds", "histogram",
             "PSP call latency as LiasonPay saw it, by connector and operation.");
  m.Describe("liasonpay_payment_attempts_unsettled", "gauge",
             "PSP operations whose outcome is not settled yet (pending or processing).");
  m.Describe("liasonpay_payment_attempts_oldest_unsettled_age_seconds", "gauge",
             "Age of the oldest unsettled PSP operation (0 when none).");
  m.Describe("liasonpay_circuit_breaker_state", "gauge",
             "Circuit breaker per connector account: 0 closed, 1 half-open, 2 open.");
  m.Describe("liasonpay_circuit_breaker_transitions_total", "counter",
             "Circuit breaker changes by connector account and new state.");
  m.Describe("liasonpay_psp_webhooks_total", "counter",
             "Inbound PSP webhook requests by outcome: accepted, or why they were refused.");
  m.Describe("liasonpay_security_events_total", "counter",
             "Security events: auth failures, IP allowlist refusals, rate limiting.");
  m.Describe("liasonpay_webhook_queue_depth", "gauge", "Webhook deliveries pending.");
  m.Describe("liasonpay_webhook_oldest_due_age_seconds", "gauge",
             "Age of the oldest webhook delivery that is due.");
  m.Describe("liasonpay_store_commits_total", "counter",
             "Database commits (each holds a batch of write transactions).");
  m.Describe("liasonpay_store_transactions_total", "counter", "Logical write transactions.");
  m.Describe("liasonpay_tls_certificate_expiry_timestamp_seconds", "gauge",
             "notAfter of the listeners' serving certificate (Unix time; updated on reload).");
  m.Describe("liasonpay_audit_chain_records", "gauge",
             "Audit records the last verification of the hash chain read.");
  m.Describe("liasonpay_audit_last_verification_timestamp_seconds", "gauge",
             "When the audit chain was last verified (Unix time).");
  m.Describe("liasonpay_audit_verification_ok", "gauge",
             "1 if the last audit chain verification found it intact, 0 if not or if it failed.");
}

namespace {

// 0 closed, 1 half-open, 2 open (the gauge's values).
int BreakerGauge(routing::BreakerState s) {
  return s == routing::BreakerState::kOpen ? 2 : s == routing::BreakerState::kHalfOpen ? 1 : 0;
}

}  // namespace

http::Router OpsRouter(store::Store& store, metrics::Registry& reg,
                       webhooks::Dispatcher& dispatcher, routing::BreakerBoard& breakers,
                       payments::PaymentService& payments) {
  http::Router r;
  r.Add("GET", "/healthz", "none", [](http::Request&) -> Task<http::Response> {
    co_return http::Response::Json(200, R"({"status":"ok"})");
  });
  r.Add("GET", "/readyz", "none", [&store](http::Request& req) -> Task<http::Response> {
    auto ok = co_await store::Read(store, [&](store::Tx&) -> Result<void> { return {}; });
    if (ok) ok = store.Ready();
    if (!ok) {
      co_return http::ErrorResponse(Error::Unavailable("Not ready: " + ok.error().message),
                                    req.request_id);
    }
    co_return http::Response::Json(200, R"({"status":"ready"})");
  });
  // The circuit breakers of the connector accounts this process has called (issue 19).
  r.Add("GET", "/circuit-breakers", "none", [&breakers](http::Request&) -> Task<http::Response> {
    json::array out;
    for (const auto& b : breakers.Snapshot(MonotonicMicros())) {
      out.push_back(json::object{{"connector_account", b.connector_account},
                                 {"state", std::string(routing::ToString(b.state))},
                                 {"calls", b.calls},
                                 {"failures", b.failures}});
    }
    co_return http::Response::Json(200, json::serialize(json::object{{"data", std::move(out)}}));
  });
  r.Add(
      "GET", "/metrics", "none",
      [&store, &reg, &dispatcher, &breakers, &payments](http::Request&) -> Task<http::Response> {
        auto stats = store.Stats();
        auto queue = co_await dispatcher.Stats();
        auto u = co_await payments.Unsettled();
        if (u) {
          reg.Set("liasonpay_payment_attempts_unsettled", {}, static_cast<double>(u->count));
          reg.Set("liasonpay_payment_attempts_oldest_unsettled_age_seconds", {}, u->oldest_age_s);
        }
        for (const auto& b : breakers.Snapshot(MonotonicMicros())) {
          reg.Set("liasonpay_circuit_breaker_state", {{"connector_account", b.connector_account}},
                  BreakerGauge(b.state));
        }
        reg.Set("liasonpay_webhook_queue_depth", {}, static_cast<double>(queue.pending));
        reg.Set("liasonpay_webhook_oldest_due_age_seconds", {},
                static_cast<double>(queue.oldest_due_age_s));
        std::string body = reg.Render();
        body += fmt::format(
            "# TYPE liasonpay_store_commits_total counter\nliasonpay_store_commits_total {}\n"
            "# TYPE liasonpay_store_transactions_total counter\nliasonpay_store_transactions_total "
            "{}\n"
            "# HELP liasonpay_store_writer_seconds_total Database writer time by phase.\n"
            "# TYPE liasonpay_store_writer_seconds_total counter\n"
            "liasonpay_store_writer_seconds_total{{phase=\"exec\"}} {:.6f}\n"
            "liasonpay_store_writer_seconds_total{{phase=\"commit\"}} {:.6f}\n"
            "liasonpay_store_writer_seconds_total{{phase=\"idle\"}} {:.6f}\n"
            "liasonpay_store_writer_seconds_total{{phase=\"checkpoint\"}} {:.6f}\n"
            "# TYPE liasonpay_store_syncs_total counter\nliasonpay_store_syncs_total {}\n"
            "# TYPE liasonpay_store_sync_seconds_total counter\n"
            "liasonpay_store_sync_seconds_total {:.6f}\n"
            "# HELP liasonpay_store_memory_bytes Heap the database connections hold (page caches, "
            "schema, prepared statements).\n"
            "# TYPE liasonpay_store_memory_bytes gauge\nliasonpay_store_memory_bytes {}\n"
            "# HELP liasonpay_store_wal_writes_total WAL writes by the database engine (engine) "
            "and the write calls they became (file).\n"
            "# TYPE liasonpay_store_wal_writes_total counter\n"
            "liasonpay_store_wal_writes_total{{stage=\"engine\"}} {}\n"
            "liasonpay_store_wal_writes_total{{stage=\"file\"}} {}\n",
            stats.commits, stats.transactions, stats.writer_exec_us / 1e6,
            stats.writer_commit_us / 1e6, stats.writer_idle_us / 1e6,
            stats.writer_checkpoint_us / 1e6, stats.syncs, stats.sync_us / 1e6, stats.memory_bytes,
            stats.wal_writes, stats.wal_write_calls);
        co_return http::Response::Text(200, std::move(body), "text/plain; version=0.0.4");
      });
  return r;
}

}  // namespace lp::app
