// The composition root's wiring (node.hpp): which service gets which dependency, which metric
// observes which event, which routes each listener has.
#include "app/node.hpp"

#include <filesystem>

#include "app/cli_common.hpp"
#include "app/monitor_options.hpp"
#include "app/ops_routes.hpp"
#include "app/security_txt.hpp"
#include "lp/api/dashboard_merchant_api.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/http/static_files.hpp"

namespace lp::app {

namespace fs = std::filesystem;

Result<Foundation> OpenFoundation(const Config& c) {
  if (!fs::exists(c.CertFile()) || !fs::exists(c.KeyFile())) {
    return Error::Internal("no TLS certificate at " + c.CertFile() + " / key at " + c.KeyFile() +
                           ": pass --tls-cert and --tls-key, or run with --dev for a "
                           "self-signed one");
  }
  Foundation f;
  auto keyring = crypto::KeyRing::Load(c.KeyringFile());
  if (!keyring) return Error::Internal(KeyringError(c, keyring.error()));
  f.keyring = std::move(*keyring);
  auto store = OpenConfiguredStore(c);
  if (!store) return store.error();
  f.store = std::move(*store);
  for (const auto& t : c.trusted_proxies) {
    auto cidr = auth::Cidr::Parse(t);
    if (!cidr) return Error::Internal("trusted proxy '" + t + "': " + cidr.error().message);
    f.trusted_proxies.push_back(*cidr);
  }
  return f;
}

Result<std::unique_ptr<connectors::ConnectorRegistry>> OpenConnectors(const Config& c,
                                                                      boost::asio::io_context& ioc,
                                                                      const Clock& clock) {
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
    if (co.psp_ca_pem.empty()) return Error::Internal("psp_ca_file: cannot read " + c.psp_ca_file);
  }
  return connectors::MakeBuiltinConnectors(co);
}

namespace {

lp::net::OutboundPolicy OutboundFor(const Config& c) {
  lp::net::OutboundPolicy p;
  p.dev_mode = c.dev;
  return p;
}

std::function<void(std::string_view)> CountSecurityEvent(metrics::Registry& reg) {
  return [&reg](std::string_view event) {
    reg.Inc("liasonpay_security_events_total", {{"event", event}});
  };
}

auth::PipelineOptions ApiPipelineOptions(const Config& c, const Foundation& f,
                                         metrics::Registry& reg, security::Monitor& monitor) {
  auth::PipelineOptions o;
  o.rate_limit_per_key = c.rate_limit_per_key;
  o.rate_limit_per_ip = 20;
  o.trusted_proxies = f.trusted_proxies;
  o.on_security_event = CountSecurityEvent(reg);
  o.monitor = &monitor;
  return o;
}

auth::SessionPipelineOptions SessionOptions(people::AccountKind kind, std::string_view cookie,
                                            const Foundation& f, metrics::Registry& reg) {
  auth::SessionPipelineOptions o;
  o.kind = kind;
  o.cookie_name = std::string(cookie);
  o.trusted_proxies = f.trusted_proxies;
  o.on_security_event = CountSecurityEvent(reg);
  return o;
}

webhooks::DispatcherOptions DispatcherOptionsFor(const Config& c,
                                                 const lp::net::OutboundPolicy& outbound) {
  webhooks::DispatcherOptions o;
  o.retry_scale = c.webhook_retry_scale;
  o.policy = outbound;
  return o;
}

// An invitation is a live-mode `user.invited` event, in the invitation's transaction. Its
// invite_url is for the merchant's own mailer (docs/webhooks.md): only the signed delivery
// holds it, sealed in the database; the events API shows null.
people::InvitationHook EmitInvitation(const crypto::KeyRing& keyring) {
  return [&keyring](store::Tx& tx, const people::Invitation& inv,
                    const Secret<std::string>& invite_url, int64_t now) {
    const Secret<std::string> delivered(api::InvitationEventObject(inv, invite_url.Expose()));
    return webhooks::EmitSealedEvent(tx, keyring, inv.merchant_id, Mode::kLive, "user.invited",
                                     inv.id, api::InvitationEventObject(inv, std::nullopt),
                                     delivered, now);
  };
}

// PSP calls by connector account, operation and outcome; latency by connector and operation.
void RecordPspCall(metrics::Registry& reg, const payments::PaymentService::PspCall& c) {
  reg.Inc("liasonpay_psp_calls_total", {{"connector", c.connector},
                                        {"connector_account", c.connector_account},
                                        {"operation", c.operation},
                                        {"outcome", c.outcome}});
  reg.Observe("liasonpay_psp_call_duration_seconds",
              {{"connector", c.connector}, {"operation", c.operation}},
              static_cast<double>(c.latency_us) / 1e6);
}

// Circuit breakers per connector account (issue 19): opening one is an ops/security event.
void RecordBreaker(metrics::Registry& reg, const routing::BreakerTransition& t) {
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
}

}  // namespace

Node::Node(const Config& c, Foundation& f, const connectors::ConnectorRegistry& connectors,
           boost::asio::io_context& ioc, const Clock& clock)
    : config(c),
      keys(*f.store, Secret<std::string>(std::string(f.keyring->ApiKeyPepper().view())), clock),
      payments(*f.store, connectors, clock, c.psp_timeout_ms, f.keyring.get()),
      accounts(*f.store, *f.keyring, clock, c.dev),
      outbound(OutboundFor(c)),
      endpoints(*f.store, *f.keyring, clock, outbound),
      events(*f.store),
      // argon2id on a bounded pool, never the I/O threads.
      hasher(crypto::PasswordHasher::Options{2, 64, {}}),
      people_deps{*f.store, *f.keyring, hasher, password_policy, clock, SystemRandom()},
      people_accounts(people_deps),
      people_team(people_deps, {}, EmitInvitation(*f.keyring)),
      people_operators(people_deps),
      people_audit_log(people_deps),
      limiter(auth::MakeInProcessRateLimiter(clock)),
      // Security monitor (PRODUCT.md §5, docs/security-monitoring.md): detectors → stored,
      // counted, audited, logged, `security.alert`; automatic containment per merchant policy.
      monitor(*f.store, clock, MonitorOptionsFrom(c, reg, ioc, keys)),
      api_pipeline(keys, *f.store, *limiter, *f.keyring, clock,
                   ApiPipelineOptions(c, f, reg, monitor)),
      dispatcher(ioc.get_executor(), *f.store, *f.keyring, clock,
                 DispatcherOptionsFor(c, outbound)),
      dashboard_pipeline(
          people_accounts, *f.store, *limiter, clock,
          SessionOptions(people::AccountKind::kUser, auth::kDashboardCookie, f, reg)),
      ops_pipeline(people_accounts, *f.store, *limiter, clock,
                   SessionOptions(people::AccountKind::kOperator, auth::kOpsCookie, f, reg)),
      containment(*f.store, *f.keyring, clock),
      api_deps{payments,
               keys,
               accounts,
               endpoints,
               events,
               api_pipeline,
               clock,
               c.dev,
               {},
               limiter.get(),
               c.psp_webhook_rate_limit,
               2 * c.psp_webhook_rate_limit,
               {}},
      dashboard_deps{people_accounts, people_team, people_operators, dashboard_pipeline, clock},
      ops_deps{people_accounts, people_team, people_operators, ops_pipeline, clock},
      dashboard_audit_deps{people_audit_log, *f.store, dashboard_pipeline, clock},
      ops_audit_deps{people_audit_log, *f.store, ops_pipeline, clock},
      incident_deps{containment, keys, ops_pipeline},
      ops_router(OpsRouter(*f.store, reg, dispatcher, breakers, payments)) {
  DescribeMetrics(reg);
  Observe();
  RegisterRoutes(clock);
}

void Node::Observe() {
  payments.SetPspCallObserver(
      [this](const payments::PaymentService::PspCall& call) { RecordPspCall(reg, call); });
  payments.SetBreakers(&breakers,
                       [this](const routing::BreakerTransition& t) { RecordBreaker(reg, t); });
  people_accounts.SetSignInFailureObserver([this](const people::AccountService::SignInFailure& f) {
    monitor.SignInFailure(f.account, f.merchant_ids, f.context.ip, f.context.request_id);
  });
  api_deps.on_psp_webhook = [this](std::string_view outcome) {
    reg.Inc("liasonpay_psp_webhooks_total", {{"outcome", outcome}});
    if (outcome != "accepted") {
      reg.Inc("liasonpay_security_events_total", {{"event", "psp_webhook_rejected"}});
    }
  };
  api_deps.on_authorization = [this](const Principal& key, const std::string& ip,
                                     std::string_view card, bool declined,
                                     const std::string& request_id) {
    monitor.Authorization(key, ip, card, declined, request_id);
  };
}

void Node::RegisterRoutes(const Clock& clock) {
  api::RegisterMerchantApi(api_router, api_deps);
  api::RegisterDashboardApi(dashboard_router, dashboard_deps);
  api::RegisterDashboardAuditStats(dashboard_router, dashboard_audit_deps);
  api::RegisterDashboardMerchantApi(dashboard_router, dashboard_deps, api_deps);
  http::MountWebApp(dashboard_router, config.WebDir());  // the SPA; a 503 page when not built
  api::RegisterOpsApi(ops_router, ops_deps);
  api::RegisterOpsAudit(ops_router, ops_audit_deps);
  api::RegisterIncidentApi(ops_router, incident_deps);
  // RFC 9116 on the public listeners only (not ops).
  const auto security_txt = BuildSecurityTxt(config, clock.NowSeconds());
  for (const auto& w : security_txt.warnings) {
    log::Warn("security_txt", {{"note", w}});
  }
  AddSecurityTxtRoute(api_router, security_txt.body);
  AddSecurityTxtRoute(dashboard_router, security_txt.body);
}

std::vector<http::ListenerSpec> Node::Listeners() const {
  return {
      {"api", config.api_addr, &api_router, {{"X-Content-Type-Options", "nosniff"}}},
      {"dashboard",
       config.dashboard_addr,
       &dashboard_router,
       {{"Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"}}},
      {"ops", config.ops_addr, &ops_router, {{"X-Content-Type-Options", "nosniff"}}},
  };
}

http::RequestObserver RecordRequest(metrics::Registry& reg) {
  return [&reg](const http::RequestRecord& r) {
    const std::string status = std::to_string(r.status);
    reg.Inc(
        "liasonpay_http_requests_total",
        {{"listener", r.listener}, {"route", r.route}, {"method", r.method}, {"status", status}});
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
  };
}

}  // namespace lp::app
