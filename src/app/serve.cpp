// `liasonpay serve`: build every object and wire them (the parts live in ops_routes, background,
// dev_mode and monitor_options).
#include "app/serve.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "app/background.hpp"
#include "app/cli_common.hpp"
#include "app/dev_mode.hpp"
#include "app/files.hpp"
#include "app/monitor_options.hpp"
#include "app/ops_routes.hpp"
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

namespace lp::app {

namespace net = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

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
  security::Monitor monitor(**store, clock, MonitorOptionsFrom(c, reg, ioc, keys));
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
  if (c.dev) PrintDevBanner(c, ports);

  // Recovery: first everything a previous process left unsettled, then unclear outcomes.
  net::co_spawn(ioc, RecoverPeriodically(ioc, payments, clock, c.recovery_interval_ms, boot_us),
                net::detached);
  net::co_spawn(ioc, ReleaseMemoryAndReloadKeys(ioc, server, **keyring), net::detached);
  net::co_spawn(ioc, dispatcher.Run(), net::detached);
  // Signed audit checkpoints (docs/audit.md): at least every `audit_checkpoint_interval_s` and
  // every 1,000 records, in the database and in the anchor file outside it; verified with them.
  const std::string checkpoint_key = audit::CheckpointKey((*keyring)->ApiKeyPepper().view());
  const std::string anchor_path = c.data_dir + "/audit-anchor.json";
  net::co_spawn(ioc,
                CheckpointAuditPeriodically(ioc, **store, clock, c.audit_checkpoint_interval_s,
                                            checkpoint_key, anchor_path),
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
  SealAuditChain(**store, clock, checkpoint_key, anchor_path);
  (*store)->Close();
  log::Info("stopped", {});
  log::Flush();
  return 0;
}

}  // namespace lp::app
