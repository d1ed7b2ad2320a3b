// `liasonpay serve` and the other store-opening commands: build every object and wire them.
#include "app/serve.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/stat.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "app/files.hpp"
#include "app/secrets.hpp"
#include "app/security_txt.hpp"
#include "lp/api/audit_stats_api.hpp"
#include "lp/api/dashboard_merchant_api.hpp"
#include "lp/api/incident_api.hpp"
#include "lp/api/merchant_api.hpp"
#include "lp/api/people_api.hpp"
#include "lp/audit/audit.hpp"
#include "lp/auth/ip_allowlist.hpp"
#include "lp/auth/pipeline.hpp"
#include "lp/auth/rate_limiter.hpp"
#include "lp/auth/session_pipeline.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/connectors/connector.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/crypto/password_hash.hpp"
#include "lp/http/errors.hpp"
#include "lp/http/server.hpp"
#include "lp/http/static_files.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "lp/metrics/registry.hpp"
#include "lp/payments/payment_service.hpp"
#include "lp/people/account_service.hpp"
#include "lp/people/operator_service.hpp"
#include "lp/people/team_service.hpp"
#include "lp/routing/breaker.hpp"
#include "lp/security/monitor.hpp"
#include "lp/store/store.hpp"
#include "lp/webhooks/dispatcher.hpp"
#include "lp/webhooks/endpoints.hpp"
#include "lp/webhooks/events.hpp"
#include "lp/webhooks/signer.hpp"

// jemalloc's control entry point, when the server links jemalloc (see ReleaseFreeMemory).
extern "C" int mallctl(const char*, void*, size_t*, void*, size_t) __attribute__((weak));

namespace lp::app {

namespace {
// Hands freed memory back to the OS after a connection burst. The server links jemalloc (see
// CMakeLists.txt); sanitizer builds and tests run on glibc malloc, hence the weak symbol.
void ReleaseFreeMemory() {
  if (mallctl) {
    (void)mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // MALLCTL_ARENAS_ALL
  } else {
    malloc_trim(0);
  }
}
}  // namespace

namespace net = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

log::Level ParseLevel(const std::string& s) {
  if (s == "debug") return log::Level::kDebug;
  if (s == "warn") return log::Level::kWarn;
  if (s == "error") return log::Level::kError;
  return log::Level::kInfo;
}

int Fail(const std::string& what) {
  log::Error("startup_failed", {{"error", what}});
  log::Flush();
  fmt::print(stderr, "liasonpay: {}\n", what);
  return 1;
}

Result<void> EnsureDevDataDir(const Config& c) {
  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec) return Error::Internal("cannot create data dir " + c.data_dir + ": " + ec.message());
  ::chmod(c.data_dir.c_str(), 0700);
  if (!fs::exists(c.CertFile()) || !fs::exists(c.KeyFile())) {
    fs::create_directories(fs::path(c.CertFile()).parent_path(), ec);
    fs::create_directories(fs::path(c.KeyFile()).parent_path(), ec);
    if (auto r = http::WriteSelfSignedCert(c.CertFile(), c.KeyFile()); !r) return r;
    log::Info("dev_certificate_created", {{"cert", c.CertFile()}});
  }
  auto k = crypto::FileKeyRing::CreateIfMissing(c.KeyringFile());
  if (!k) return k.error();
  return {};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Whether `creds[field]` is {"email","password"} naming an account of `kind` that still signs in
// with that password (blocking: one argon2id verification; start-up only).
bool DevAccountValid(store::Store& store, const json::object& creds, std::string_view field,
                     people::AccountKind kind) {
  const auto* v = creds.if_contains(field);
  if (!v || !v->is_object()) return false;
  const auto* email = v->as_object().if_contains("email");
  const auto* password = v->as_object().if_contains("password");
  if (!email || !email->is_string() || !password || !password->is_string()) return false;
  bool valid = false;
  (void)store.ReadSync([&](store::Tx& tx) -> Result<void> {
    auto ok = people::CheckAccountPasswordSync(tx, kind, std::string(email->as_string()),
                                               std::string_view(password->as_string()));
    if (!ok) return ok.error();
    valid = *ok;
    return {};
  });
  return valid;
}

// --dev: a demo merchant with a sandbox account and a test key, its owner (a dashboard user) and
// a first operator, written to dev-credentials.json (0600). Only what is missing is created.
Result<json::object> EnsureDevCredentials(const Config& c, store::Store& store,
                                          merchants::ApiKeyService& keys,
                                          const people::PasswordPolicy& policy,
                                          const Clock& clock) {
  const std::string path = c.data_dir + "/dev-credentials.json";
  json::object creds;
  if (fs::exists(path)) {
    boost::system::error_code ec;
    auto v = json::parse(ReadFile(path), ec);
    if (!ec && v.is_object()) creds = v.as_object();
  }
  bool valid = false;
  if (auto* m = creds.if_contains("merchant_id"); m && m->is_string()) {
    if (auto* k = creds.if_contains("api_key"); k && k->is_string()) {
      (void)store.ReadSync([&](store::Tx& tx) -> Result<void> {
        auto is =
            keys.IsKeyOf(tx, std::string_view(k->as_string()), std::string_view(m->as_string()));
        if (!is) return is.error();
        valid = *is;
        return {};
      });
    }
  }
  bool changed = false;
  if (!valid) {
    std::string merchant_id, api_key;
    auto w = store.WriteSync([&](store::Tx& tx) -> Result<void> {
      auto m = merchants::CreateMerchant(tx, "Demo merchant", clock);
      if (!m) return m.error();
      merchant_id = *m;
      auto k = keys.Create(tx, merchant_id, Mode::kTest, merchants::KeyOptions{});
      if (!k) return k.error();
      api_key = k->secret;
      return {};
    });
    if (!w) return w.error();
    creds["merchant_id"] = merchant_id;
    creds["api_key"] = api_key;
    creds.erase("dashboard_user");  // the owner of the merchant that was replaced
    changed = true;
  }
  const Actor actor{"system", "dev", "local", ""};
  const struct {
    std::string_view field;
    people::AccountKind kind;
    std::string email;
    std::string role;
  } accounts[] = {
      {"dashboard_user", people::AccountKind::kUser, "owner@demo.example", "owner"},
      {"operator", people::AccountKind::kOperator, "operator@demo.example", "platform_admin"},
  };
  for (const auto& a : accounts) {
    if (DevAccountValid(store, creds, a.field, a.kind)) continue;
    people::AccountSpec spec;
    spec.kind = a.kind;
    spec.email = a.email;
    spec.role = a.role;
    if (a.kind == people::AccountKind::kUser)
      spec.merchant_id = std::string(creds["merchant_id"].as_string());
    auto prepared = people::PrepareAccount(policy, SystemRandom(), std::move(spec));
    if (!prepared) return prepared.error();
    // An account of that address from an earlier run whose password was lost: a new password.
    auto w = store.WriteSync([&](store::Tx& tx) -> Result<void> {
      auto r = people::UpsertDevAccount(tx, *prepared, actor, clock.NowMicros());
      if (!r) return r.error();
      return {};
    });
    if (!w) return w.error();
    creds[a.field] = json::object{{"email", a.email}, {"password", prepared->password.Expose()}};
    changed = true;
  }
  if (changed) {
    if (auto r = WriteFileAtomic(path, json::serialize(creds) + "\n", 0600); !r) return r.error();
  }
  return creds;
}

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

// A transaction that signs the audit chain's head when a checkpoint is due (`made`: the new
// one, if any; the caller also writes it to the anchor file).
store::TxFn CheckpointTx(const std::string& key, const Clock& clock, int64_t every_records,
                         int64_t every_us, std::optional<audit::Checkpoint>& made) {
  return [&key, &clock, every_records, every_us, &made](store::Tx& tx) -> Result<void> {
    auto cp = audit::WriteCheckpointIfDue(tx, key, clock.NowMicros(), every_records, every_us);
    if (!cp) return cp.error();
    made = *cp;
    return {};
  };
}

// The audit hash chain, verified on a reader thread (store::Read), then and every `interval`:
// the gauges say whether it was intact when last checked (an edit, deletion or reordering since
// start-up shows within one interval; the alert rules watch them).
Task<void> VerifyAuditChainPeriodically(net::io_context& ioc, store::Store& store,
                                        metrics::Registry& reg, const Clock& clock,
                                        std::chrono::seconds interval, std::string key,
                                        std::string anchor_path) {
  net::steady_timer t(ioc);
  for (;;) {
    audit::VerifyReport rep;
    audit::VerifyOptions vopt{key, std::nullopt};
    Result<void> r;
    auto anchor = audit::ReadAnchor(anchor_path);
    if (!anchor) {
      r = anchor.error();
    } else {
      vopt.anchor = *anchor;
      r = co_await store::Read(store, [&rep, &vopt](store::Tx& tx) -> Result<void> {
        auto v = audit::Verify(tx, vopt);
        if (!v) return v.error();
        rep = *v;
        return {};
      });
    }
    if (!r) {
      reg.Set("liasonpay_audit_verification_ok", {}, 0);
      log::Error("audit_verification_failed", {{"error", r.error().detail}});
    } else {
      reg.Set("liasonpay_audit_chain_records", {}, static_cast<double>(rep.records));
      reg.Set("liasonpay_audit_last_verification_timestamp_seconds", {},
              static_cast<double>(clock.NowSeconds()));
      reg.Set("liasonpay_audit_verification_ok", {}, rep.ok ? 1 : 0);
      if (!rep.ok) {
        log::Error("audit_chain_broken", {{"first_bad_seq", rep.first_bad_seq},
                                          {"problem", rep.problem},
                                          {"records", rep.records}});
      }
    }
    t.expires_after(interval);
    auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
  }
}

// 0 closed, 1 half-open, 2 open (the gauge's values).
int BreakerGauge(routing::BreakerState s) {
  return s == routing::BreakerState::kOpen ? 2 : s == routing::BreakerState::kHalfOpen ? 1 : 0;
}

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

std::string KeyringError(const Config& c, const Error& e) {
  std::string msg = e.detail.empty() ? e.message : e.detail;
  if (e.code == "keyring_missing" || msg.find("No such file") != std::string::npos ||
      msg.find("not found") != std::string::npos) {
    msg += " (run `liasonpay init` or `serve --dev`, or pass --keyring " + c.KeyringFile() + ")";
  }
  return msg;
}

}  // namespace

Result<store::StorePtr> OpenConfiguredStore(const Config& c) {
  store::StoreOptions so;
  so.url = c.DatabaseUrl();
  so.readers = 2;
  return store::OpenStore(so);
}

int Serve(const Config& c) {
  // Few malloc arenas: with many short-lived TLS buffers, per-thread arenas hoard memory.
  mallopt(M_ARENA_MAX, 2);
  log::Init(ParseLevel(c.log_level), c.log_file);
  if (c.dev) {
    log::Warn("dev_mode", {{"note",
                            "DEV MODE: self-signed certificate, demo credentials, "
                            "sandbox PSP. Never use for real payments."}});
    if (auto r = EnsureDevDataDir(c); !r) return Fail(r.error().detail);
  }
  if (!fs::exists(c.CertFile()) || !fs::exists(c.KeyFile())) {
    return Fail("no TLS certificate at " + c.CertFile() + " / key at " + c.KeyFile() +
                ": pass --tls-cert and --tls-key, or run with --dev for a self-signed one");
  }
  auto keyring = crypto::KeyRing::Load(c.KeyringFile());
  if (!keyring) return Fail(KeyringError(c, keyring.error()));
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);

  // The I/O threads' context: declared before everything that keeps sockets or timers on it.
  net::io_context ioc;
  SystemClock clock;
  connectors::BuiltinOptions co;
  co.sandbox_ledger_path = c.data_dir + "/sandbox-ledger.jsonl";
  co.sandbox_latency_ms = c.sandbox_latency_ms;
  co.psp_timeout_ms = c.psp_timeout_ms;
  co.executor = ioc.get_executor();
  co.clock = &clock;
  co.psp_proxy_url = c.psp_proxy_url;
  co.allow_http_psp = c.dev;
  if (!c.psp_ca_file.empty()) {
    co.psp_ca_pem = ReadFile(c.psp_ca_file);
    if (co.psp_ca_pem.empty()) return Fail("psp_ca_file: cannot read " + c.psp_ca_file);
  }
  auto connectors = connectors::MakeBuiltinConnectors(co);
  if (!connectors) return Fail(connectors.error().detail);

  merchants::ApiKeyService keys(
      **store, Secret<std::string>(std::string((*keyring)->ApiKeyPepper().view())), clock);
  payments::PaymentService payments(**store, **connectors, clock, c.psp_timeout_ms, &**keyring);
  merchants::ConnectorAccountService accounts(**store, **keyring, clock, c.dev);
  lp::net::OutboundPolicy outbound;
  outbound.dev_mode = c.dev;
  webhooks::WebhookEndpointService endpoints(**store, **keyring, clock, outbound);
  webhooks::EventService events(**store);

  metrics::Registry reg;
  DescribeMetrics(reg);

  // PSP calls by connector account, operation and outcome; latency by connector and operation.
  payments.SetPspCallObserver([&reg](const payments::PaymentService::PspCall& c) {
    reg.Inc("liasonpay_psp_calls_total", {{"connector", c.connector},
                                          {"connector_account", c.connector_account},
                                          {"operation", c.operation},
                                          {"outcome", c.outcome}});
    reg.Observe("liasonpay_psp_call_duration_seconds",
                {{"connector", c.connector}, {"operation", c.operation}},
                static_cast<double>(c.latency_us) / 1e6);
  });

  // Circuit breakers per connector account (issue 19): opening one is an ops/security event.
  routing::BreakerBoard breakers;
  payments.SetBreakers(&breakers, [&reg](const routing::BreakerTransition& t) {
    const std::string_view to = routing::ToString(t.to);
    reg.Inc("liasonpay_circuit_breaker_transitions_total",
            {{"connector_account", t.connector_account}, {"to", to}});
    if (t.to == routing::BreakerState::kOpen) {
      reg.Inc("liasonpay_security_events_total", {{"event", "circuit_breaker_opened"}});
      log::Warn("circuit_breaker_opened", {{"connector_account", t.connector_account},
                                           {"calls", static_cast<int64_t>(t.calls)},
                                           {"failures", static_cast<int64_t>(t.failures)}});
    } else {
      log::Info("circuit_breaker_changed",
                {{"connector_account", t.connector_account}, {"to", std::string(to)}});
    }
  });

  // People: dashboard users and operators (argon2id on a bounded pool, never the I/O threads).
  people::PasswordPolicy password_policy;
  crypto::PasswordHasher hasher(crypto::PasswordHasher::Options{2, 64, {}});
  const people::Deps people_deps{**store,         **keyring, hasher,
                                 password_policy, clock,     SystemRandom()};
  people::AccountService people_accounts(people_deps);
  // An invitation is a live-mode `user.invited` event, in the invitation's transaction (its
  // invite_url is for the merchant's own mailer, docs/webhooks.md).
  people::TeamService people_team(people_deps, {},
                                  [](store::Tx& tx, const people::Invitation& inv,
                                     const Secret<std::string>& invite_url, int64_t now) {
                                    return webhooks::EmitEvent(
                                        tx, inv.merchant_id, Mode::kLive, "user.invited", inv.id,
                                        api::InvitationEventObject(inv, invite_url.Expose()), now);
                                  });
  people::OperatorService people_operators(people_deps);
  people::AuditLogService people_audit_log(people_deps);

  json::object creds;
  if (c.dev) {
    auto cr = EnsureDevCredentials(c, **store, keys, password_policy, clock);
    if (!cr) return Fail(cr.error().detail);
    creds = *cr;
  }

  std::vector<auth::Cidr> trusted_proxies;
  for (const auto& t : c.trusted_proxies) {
    auto cidr = auth::Cidr::Parse(t);
    if (!cidr) return Fail("trusted proxy '" + t + "': " + cidr.error().message);
    trusted_proxies.push_back(*cidr);
  }
  auto limiter = auth::MakeInProcessRateLimiter(clock);

  // Security monitor (PRODUCT.md §5, docs/security-monitoring.md): detectors → stored, counted,
  // audited, logged, `security.alert`; automatic containment per merchant policy.
  security::MonitorOptions mopt;
  mopt.detector.window_s = c.detect_window_s;
  mopt.detector.cooldown_s = c.detect_cooldown_s;
  mopt.detector.signin_failures_per_account =
      static_cast<int>(c.detect_signin_failures_per_account);
  mopt.detector.signin_failures_per_ip = static_cast<int>(c.detect_signin_failures_per_ip);
  mopt.detector.card_declines_per_ip = static_cast<int>(c.detect_card_declines_per_ip);
  mopt.detector.card_declines_per_key = static_cast<int>(c.detect_card_declines_per_key);
  mopt.detector.distinct_cards_per_ip = static_cast<int>(c.detect_distinct_cards_per_ip);
  mopt.block_for_s = c.contain_block_s;
  mopt.count = [&reg](std::string_view kind) {
    reg.Inc("liasonpay_security_events_total", {{"event", kind}});
  };
  mopt.revoke_key = [&ioc, &keys](const security::StoredEvent& e) {
    // Containment acts with the platform's authority on the merchant's own key (audited by
    // the key service as actor system/security_monitor).
    Principal authority{
        e.merchant_id, e.event.mode.value_or(Mode::kTest), "security_monitor", "secret", {}, {},
        std::nullopt};
    Actor actor{"system", "security_monitor", e.event.source_ip, e.event.request_id};
    net::co_spawn(
        ioc,
        [&keys, authority, actor, key = e.event.api_key_id]() -> Task<void> {
          auto r = co_await keys.RevokeKey(authority, key, actor);
          if (!r) log::Error("containment_revoke_failed", {{"detail", r.error().detail}});
        },
        net::detached);
  };
  security::Monitor monitor(**store, clock, std::move(mopt));
  people_accounts.SetSignInFailureObserver(
      [&monitor](const people::AccountService::SignInFailure& f) {
        monitor.SignInFailure(f.account, f.merchant_ids, f.context.ip, f.context.request_id);
      });
  http::Router api_router;
  auth::PipelineOptions popt;
  popt.rate_limit_per_key = c.rate_limit_per_key;
  popt.rate_limit_per_ip = 20;
  popt.trusted_proxies = trusted_proxies;
  popt.on_security_event = [&reg](std::string_view event) {
    reg.Inc("liasonpay_security_events_total", {{"event", event}});
  };
  popt.monitor = &monitor;
  auth::ApiKeyPipeline pipeline(keys, **store, *limiter, **keyring, clock, std::move(popt));
  api::MerchantApiDeps api_deps{
      payments,
      keys,
      accounts,
      endpoints,
      events,
      pipeline,
      clock,
      c.dev,
      [&reg](std::string_view outcome) {
        reg.Inc("liasonpay_psp_webhooks_total", {{"outcome", outcome}});
        if (outcome != "accepted") {
          reg.Inc("liasonpay_security_events_total", {{"event", "psp_webhook_rejected"}});
        }
      },
      limiter.get(),
      c.psp_webhook_rate_limit,
      2 * c.psp_webhook_rate_limit};
  api_deps.on_authorization = [&monitor](const Principal& key, const std::string& ip,
                                         std::string_view card, bool declined,
                                         const std::string& request_id) {
    monitor.Authorization(key, ip, card, declined, request_id);
  };
  api::RegisterMerchantApi(api_router, api_deps);
  webhooks::DispatcherOptions dopt;
  dopt.retry_scale = c.webhook_retry_scale;
  dopt.policy = outbound;
  webhooks::Dispatcher dispatcher(ioc.get_executor(), **store, **keyring, clock, dopt);
  const auto security_event = [&reg](std::string_view event) {
    reg.Inc("liasonpay_security_events_total", {{"event", event}});
  };
  auth::SessionPipelineOptions dash_opt;
  dash_opt.kind = people::AccountKind::kUser;
  dash_opt.cookie_name = std::string(auth::kDashboardCookie);
  dash_opt.trusted_proxies = trusted_proxies;
  dash_opt.on_security_event = security_event;
  auth::SessionPipeline dashboard_pipeline(people_accounts, **store, *limiter, clock, dash_opt);
  auth::SessionPipelineOptions ops_opt = dash_opt;
  ops_opt.kind = people::AccountKind::kOperator;
  ops_opt.cookie_name = std::string(auth::kOpsCookie);
  auth::SessionPipeline ops_pipeline(people_accounts, **store, *limiter, clock, ops_opt);
  const api::PeopleApiDeps dashboard_deps{people_accounts, people_team, people_operators,
                                          dashboard_pipeline, clock};
  const api::PeopleApiDeps ops_deps{people_accounts, people_team, people_operators, ops_pipeline,
                                    clock};
  http::Router dashboard_router;
  api::RegisterDashboardApi(dashboard_router, dashboard_deps);
  const api::AuditStatsApiDeps dashboard_audit_deps{people_audit_log, **store, dashboard_pipeline,
                                                    clock};
  api::RegisterDashboardAuditStats(dashboard_router, dashboard_audit_deps);
  api::RegisterDashboardMerchantApi(dashboard_router, dashboard_deps, api_deps);
  http::MountWebApp(dashboard_router, c.WebDir());  // the SPA; a 503 page when not built
  http::Router ops_router = OpsRouter(**store, reg, dispatcher, breakers, payments);
  api::RegisterOpsApi(ops_router, ops_deps);
  const api::AuditStatsApiDeps ops_audit_deps{people_audit_log, **store, ops_pipeline, clock};
  api::RegisterOpsAudit(ops_router, ops_audit_deps);
  incident::ContainmentService containment(**store, **keyring, clock);
  const api::IncidentApiDeps ops_incident_deps{containment, keys, ops_pipeline};
  api::RegisterIncidentApi(ops_router, ops_incident_deps);
  // RFC 9116 on the public listeners only (not ops).
  const auto security_txt = BuildSecurityTxt(c, clock.NowSeconds());
  for (const auto& w : security_txt.warnings) {
    log::Warn("security_txt", {{"note", w}});
  }
  AddSecurityTxtRoute(api_router, security_txt.body);
  AddSecurityTxtRoute(dashboard_router, security_txt.body);

  http::Limits limits;
  limits.max_connections = static_cast<size_t>(c.max_connections);
  http::Server server(
      ioc, limits, {c.CertFile(), c.KeyFile()}, [&reg](const http::RequestRecord& r) {
        const std::string status = std::to_string(r.status);
        reg.Inc("liasonpay_http_requests_total", {{"listener", r.listener},
                                                  {"route", r.route},
                                                  {"method", r.method},
                                                  {"status", status}});
        reg.Observe("liasonpay_http_request_duration_seconds",
                    {{"listener", r.listener}, {"route", r.route}}, r.duration_us / 1e6);
        reg.Observe("liasonpay_http_app_duration_seconds",
                    {{"listener", r.listener}, {"route", r.route}},
                    std::max<int64_t>(0, r.duration_us - r.psp_us) / 1e6);
        log::Info("access", {{"listener", r.listener},
                             {"method", r.method},
                             {"route", r.route},
                             {"status", r.status},
                             {"duration_us", r.duration_us},
                             {"request_id", r.request_id},
                             {"client_ip", r.client_ip}});
      });
  std::vector<http::ListenerSpec> specs = {
      {"api", c.api_addr, &api_router, {{"X-Content-Type-Options", "nosniff"}}},
      {"dashboard",
       c.dashboard_addr,
       &dashboard_router,
       {{"Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"}}},
      {"ops", c.ops_addr, &ops_router, {{"X-Content-Type-Options", "nosniff"}}},
  };
  // Signals are registered before ports.json tells anyone we are up: a SIGINT/SIGTERM/SIGHUP
  // from then on is queued for the handlers installed below, never the default action.
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  net::signal_set hup(ioc, SIGHUP);
  // Attempts last touched before this instant belong to a previous process.
  const int64_t boot_us = clock.NowMicros();
  if (auto r = server.Start(specs); !r) return Fail(r.error().detail);

  reg.Set("liasonpay_tls_certificate_expiry_timestamp_seconds", {},
          static_cast<double>(server.CertificateNotAfter()));
  auto ports = server.Ports();
  json::object pj;
  for (const auto& [name, port] : ports) pj[name] = port;
  if (auto r = WriteFileAtomic(c.data_dir + "/ports.json", json::serialize(pj) + "\n", 0644); !r) {
    return Fail(r.error().detail);
  }
  log::Info("listening", {{"api", static_cast<int64_t>(ports["api"])},
                          {"dashboard", static_cast<int64_t>(ports["dashboard"])},
                          {"ops", static_cast<int64_t>(ports["ops"])},
                          {"database", (*store)->Backend()},
                          {"schema_version", (*store)->SchemaVersion()}});
  if (c.dev) {
    const auto host = [](const std::string& addr) {
      auto h = addr.substr(0, addr.rfind(':'));
      return (h == "0.0.0.0" || h.empty()) ? std::string("127.0.0.1") : h;
    };
    // The banner goes to stdout: stderr carries JSON log lines only.
    fmt::print(stdout,
               "\n  LiasonPay DEV MODE (self-signed certificate, sandbox PSP; not for real "
               "payments)\n"
               "  API:       https://{}:{}/v1/\n  Dashboard: https://{}:{}/\n"
               "  Ops:       https://{}:{}/healthz\n"
               "  Credentials (merchant id, test API key, dashboard owner, operator): "
               "{}/dev-credentials.json\n\n"
               "  Try:\n  curl --cacert {} https://localhost:{}/v1/payments \\\n"
               "    -H \"Authorization: Bearer $(python3 -c 'import "
               "json;print(json.load(open(\"{}/dev-credentials.json\"))[\"api_key\"])')\" \\\n"
               "    -H 'Content-Type: application/json' \\\n"
               "    -d '{{\"amount\":1000,\"currency\":\"usd\",\"payment_method\":\"tok_visa\","
               "\"confirm\":true}}'\n\n",
               host(c.api_addr), ports["api"], host(c.dashboard_addr), ports["dashboard"],
               host(c.ops_addr), ports["ops"], c.data_dir, c.CertFile(), ports["api"], c.data_dir);
    std::fflush(stdout);
  }

  // Recovery: first everything a previous process left unsettled, then unclear outcomes.
  net::co_spawn(
      ioc,
      [&payments, &c, &ioc, &clock, boot_us]() -> Task<void> {
        size_t n = co_await payments.Recover(true, boot_us);
        if (n > 0) log::Info("recovery_pass", {{"settled", static_cast<int64_t>(n)}});
        net::steady_timer t(ioc);
        int64_t since_prune = 0;
        for (;;) {
          t.expires_after(std::chrono::milliseconds(c.recovery_interval_ms));
          auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
          if (ec) co_return;
          n = co_await payments.Recover(false, clock.NowMicros() - c.recovery_interval_ms * 1000);
          if (n > 0) log::Info("recovery_pass", {{"settled", static_cast<int64_t>(n)}});
          since_prune += c.recovery_interval_ms;
          if (since_prune >= 3'600'000) {
            since_prune = 0;
            (void)co_await payments.PruneIdempotency(int64_t{48} * 3600 * 1'000'000);
          }
        }
      },
      net::detached);

  // Memory freed after a burst of connections (TLS buffers) goes back to the OS once the
  // burst is over, instead of staying in malloc's free lists.
  net::co_spawn(
      ioc,
      [&server, &ioc, &keyring]() -> Task<void> {
        net::steady_timer t(ioc);
        size_t peak = 0;
        for (int tick = 0;; ++tick) {
          t.expires_after(std::chrono::milliseconds(250));
          auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
          if (ec) co_return;
          // A `keys rotate` elsewhere rewrites the key-ring file: pick it up within a second.
          if (tick % 4 == 0) {
            auto r = (*keyring)->Reload();
            if (!r) {
              log::Error("keyring_reload_failed", {{"error", r.error().message}});
            } else if (*r) {
              log::Info("keyring_reloaded",
                        {{"active_version", static_cast<int64_t>((*keyring)->ActiveVersion())}});
            }
          }
          const size_t now = server.ActiveConnections();
          peak = std::max(peak, now);
          if (peak >= now + 100) {
            ReleaseFreeMemory();
            peak = now;
          }
        }
      },
      net::detached);

  net::co_spawn(ioc, dispatcher.Run(), net::detached);
  // Signed audit checkpoints (docs/audit.md): at least every `audit_checkpoint_interval_s` and
  // every 1,000 records, in the database and in the anchor file outside it; verified with them.
  const std::string checkpoint_key = audit::CheckpointKey((*keyring)->ApiKeyPepper().view());
  const std::string anchor_path = c.data_dir + "/audit-anchor.json";
  net::co_spawn(
      ioc,
      [&ioc, &store, &clock, &c, checkpoint_key, anchor_path]() -> Task<void> {
        net::steady_timer t(ioc);
        const int64_t every_us = c.audit_checkpoint_interval_s * 1'000'000;
        for (;;) {
          std::optional<audit::Checkpoint> made;
          auto w = co_await store::Write(**store,
                                         CheckpointTx(checkpoint_key, clock, 1000, every_us, made));
          if (w && made) w = audit::WriteAnchor(anchor_path, *made);
          if (!w) log::Error("audit_checkpoint_failed", {{"detail", w.error().detail}});
          t.expires_after(
              std::chrono::seconds(std::min<int64_t>(60, c.audit_checkpoint_interval_s)));
          auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
          if (ec) co_return;
        }
      },
      net::detached);
  net::co_spawn(ioc,
                VerifyAuditChainPeriodically(ioc, **store, reg, clock,
                                             std::chrono::seconds(c.audit_verify_interval_s),
                                             checkpoint_key, anchor_path),
                net::detached);

  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      auto r = server.ReloadTls();
      if (r) {
        reg.Set("liasonpay_tls_certificate_expiry_timestamp_seconds", {},
                static_cast<double>(server.CertificateNotAfter()));
        log::Info("tls_reloaded", {});
      } else {
        log::Error("tls_reload_failed", {{"error", r.error().detail}});
      }
      if (auto k = (*keyring)->ForceReload(); !k) {
        log::Error("keyring_reload_failed", {{"error", k.error().message}});
      }
      wait_hup();
    });
  };
  wait_hup();
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::Info("shutdown", {{"signal", sig}});
    hup.cancel();
    dispatcher.Stop();
    server.Shutdown([&ioc] { ioc.stop(); });
  });

  size_t n_threads = c.threads > 0 ? static_cast<size_t>(c.threads)
                                   : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < n_threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  // A clean stop seals the chain: a checkpoint over every record written.
  std::optional<audit::Checkpoint> sealed;
  auto sealing = (*store)->WriteSync(CheckpointTx(checkpoint_key, clock, 1, 0, sealed));
  if (sealing && sealed) sealing = audit::WriteAnchor(anchor_path, *sealed);
  if (!sealing) log::Error("audit_checkpoint_failed", {{"detail", sealing.error().detail}});
  (*store)->Close();
  log::Info("stopped", {});
  log::Flush();
  return 0;
}

int Migrate(const Config& c) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  fmt::print("schema version {}\n", (*store)->SchemaVersion());
  (*store)->Close();
  log::Flush();
  return 0;
}

int Init(const Config& c) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec) return Fail("cannot create data dir " + c.data_dir);
  ::chmod(c.data_dir.c_str(), 0700);
  if (auto r = crypto::FileKeyRing::CreateIfMissing(c.KeyringFile()); !r) {
    return Fail(r.error().detail.empty() ? r.error().message : r.error().detail);
  }
  return Migrate(c);
}

int CreateMerchantCommand(const Config& c, const std::string& name, const std::string& mode,
                          const std::string& owner_email) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto keyring = crypto::KeyRing::Load(c.KeyringFile());
  if (!keyring) return Fail(KeyringError(c, keyring.error()));
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  SystemClock clock;
  merchants::ApiKeyService keys(
      **store, Secret<std::string>(std::string((*keyring)->ApiKeyPepper().view())), clock);
  // The owner's initial password is hashed before the transaction (argon2id is slow).
  std::optional<people::PasswordPolicy> policy;
  std::optional<people::PreparedAccount> owner;
  if (!owner_email.empty()) {
    policy.emplace();
    people::AccountSpec spec;
    spec.kind = people::AccountKind::kUser;
    spec.email = owner_email;
    spec.role = "owner";
    auto prepared = people::PrepareAccount(*policy, SystemRandom(), std::move(spec));
    if (!prepared) {
      (*store)->Close();
      return Fail("--owner-email: " + prepared.error().message);
    }
    owner = std::move(*prepared);
  }
  std::string merchant_id, key;
  std::optional<people::CreatedAccount> created;
  auto w = (*store)->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto m = merchants::CreateMerchant(tx, name, clock);
    if (!m) return m.error();
    merchant_id = *m;
    auto k = keys.Create(tx, merchant_id, mode == "live" ? Mode::kLive : Mode::kTest,
                         merchants::KeyOptions{});
    if (!k) return k.error();
    key = k->secret;
    if (owner) {
      owner->spec.merchant_id = merchant_id;
      auto a = people::InsertAccount(tx, *owner, Actor{"operator", "cli", "local", ""},
                                     clock.NowMicros());
      if (!a) return a.error();
      created = std::move(*a);
    }
    return {};
  });
  (*store)->Close();
  if (!w) return Fail(w.error().detail.empty() ? w.error().message : w.error().detail);
  json::object out{{"merchant_id", merchant_id}, {"api_key", key}};
  if (created) {
    json::object o{{"id", created->user_id}, {"email", created->email}, {"role", "owner"}};
    // An address that already had an account keeps its password (none is printed).
    if (!created->password.Expose().empty()) o["password"] = created->password.Expose();
    out["owner"] = std::move(o);
  }
  fmt::print("{}\n", json::serialize(out));
  log::Flush();
  return 0;
}

int CreateOperatorCommand(const Config& c, const std::string& email, const std::string& role) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  people::PasswordPolicy policy;
  SystemClock clock;
  people::AccountSpec spec;
  spec.kind = people::AccountKind::kOperator;
  spec.email = email;
  spec.role = role;
  auto a = people::CreateAccountSync(**store, policy, SystemRandom(), clock, std::move(spec),
                                     Actor{"operator", "cli", "local", ""});
  (*store)->Close();
  if (!a) return Fail(a.error().detail.empty() ? a.error().message : a.error().detail);
  // The generated initial password is printed this once (MFA enrolment follows at sign-in).
  fmt::print("{}\n", json::serialize(json::object{{"operator_id", a->user_id},
                                                  {"email", a->email},
                                                  {"role", role},
                                                  {"password", a->password.Expose()}}));
  log::Flush();
  return 0;
}

namespace {
int PrintSecrets(store::Store& store, const crypto::KeyRing& ring) {
  auto rep = InspectSecrets(store, ring);
  if (!rep) return Fail(rep.error().detail.empty() ? rep.error().message : rep.error().detail);
  json::array versions;
  for (const auto& v : ring.Versions()) {
    auto it = rep->by_version.find(v.version);
    versions.push_back(json::object{{"version", v.version},
                                    {"active", v.active},
                                    {"secrets", it == rep->by_version.end() ? 0 : it->second}});
  }
  fmt::print("{}\n", json::serialize(json::object{{"active_version", ring.ActiveVersion()},
                                                  {"versions", versions},
                                                  {"secrets", rep->total},
                                                  {"unreadable", rep->unreadable}}));
  return rep->unreadable == 0 ? 0 : 1;
}
}  // namespace

int KeysStatus(const Config& c) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto ring = crypto::KeyRing::Load(c.KeyringFile());
  if (!ring) return Fail(KeyringError(c, ring.error()));
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  int rc = PrintSecrets(**store, **ring);
  (*store)->Close();
  log::Flush();
  return rc;
}

int KeysRotate(const Config& c) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  if (const char* env = std::getenv("LIASONPAY_KEYRING"); env && *env) {
    return Fail("the key ring comes from LIASONPAY_KEYRING; rotate it where it is managed");
  }
  // Open the store first: a wrong --database must not leave a half-done rotation behind.
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  auto added = crypto::FileKeyRing::AddVersion(c.KeyringFile());
  if (!added) return Fail(KeyringError(c, added.error()));
  log::Info("key_version_added", {{"version", static_cast<int64_t>(*added)}});
  // Running servers re-read the file within a second; wait so none keeps sealing with the old
  // version, then re-wrap (twice: the second pass catches anything sealed meanwhile).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto ring = crypto::KeyRing::Load(c.KeyringFile());
  if (!ring) return Fail(KeyringError(c, ring.error()));
  int64_t total = 0;
  for (int pass = 0; pass < 2; ++pass) {
    auto n = RewrapSecrets(**store, **ring);
    if (!n) return Fail(n.error().detail.empty() ? n.error().message : n.error().detail);
    total += *n;
    if (pass == 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  log::Info("secrets_rewrapped", {{"rows", total}, {"version", static_cast<int64_t>(*added)}});
  (void)store->get()->WriteSync([&](store::Tx& tx) -> Result<void> {
    return audit::Append(
        tx,
        audit::Record{"operator", "cli", "keys.rotate", "keyring", "", "success", "local", "",
                      json::serialize(json::object{{"new_version", *added}, {"rewrapped", total}})},
        SystemClock().NowMicros());
  });
  int rc = PrintSecrets(**store, **ring);
  (*store)->Close();
  log::Flush();
  return rc;
}

int KeysRetire(const Config& c, uint32_t version) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto ring = crypto::KeyRing::Load(c.KeyringFile());
  if (!ring) return Fail(KeyringError(c, ring.error()));
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  auto rep = InspectSecrets(**store, **ring);
  if (!rep) return Fail(rep.error().detail.empty() ? rep.error().message : rep.error().detail);
  if (auto it = rep->by_version.find(version); it != rep->by_version.end() && it->second > 0) {
    return Fail("key version " + std::to_string(version) + " still protects " +
                std::to_string(it->second) + " secrets; run `liasonpay keys rotate` first");
  }
  if (rep->unreadable > 0) {
    return Fail(std::to_string(rep->unreadable) +
                " secrets cannot be opened; refusing to retire any key version");
  }
  auto r = crypto::FileKeyRing::RetireVersion(c.KeyringFile(), version);
  if (!r) return Fail(r.error().detail.empty() ? r.error().message : r.error().detail);
  (void)store->get()->WriteSync([&](store::Tx& tx) -> Result<void> {
    return audit::Append(tx,
                         audit::Record{"operator", "cli", "keys.retire", std::to_string(version),
                                       "", "success", "local", "", "{}"},
                         SystemClock().NowMicros());
  });
  fmt::print("retired key version {}\n", version);
  (*store)->Close();
  log::Flush();
  return 0;
}

int VerifyWebhookCommand(const std::string& secret, int64_t tolerance_s) {
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  // Headers end at the first blank line (CRLF or LF); a request line is allowed and ignored.
  size_t split = input.find("\r\n\r\n");
  size_t body_at = split == std::string::npos ? std::string::npos : split + 4;
  if (split == std::string::npos) {
    split = input.find("\n\n");
    body_at = split == std::string::npos ? std::string::npos : split + 2;
  }
  if (split == std::string::npos) {
    fmt::print(stderr, "invalid: no blank line between headers and body\n");
    return 1;
  }
  std::string id, ts, sig;
  std::istringstream head(input.substr(0, split));
  std::string line;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name == "webhook-id") id = value;
    if (name == "webhook-timestamp") ts = value;
    if (name == "webhook-signature") sig = value;
  }
  const std::string body = input.substr(body_at);
  auto r = webhooks::Verify({secret}, {id, ts, sig}, body, SystemClock().NowSeconds(), tolerance_s);
  if (!r) {
    fmt::print(stderr, "invalid: {}\n", r.error().message);
    return 1;
  }
  fmt::print("valid\n");
  return 0;
}

}  // namespace lp::app
