// What `liasonpay serve` builds before it starts anything, in the order it is built: the
// foundations that can fail (TLS files, key ring, store, trusted proxies, connectors), then the
// Node: every service, request pipeline, the three listeners' dependency sets and routers, and
// the metrics that observe them. Building a Node opens no socket and starts no loop; Serve
// (serve.cpp) does that with the parts it takes from here.
//
// Members are declared in dependency order, so each is built after what it refers to and
// destroyed before it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "lp/api/audit_stats_api.hpp"
#include "lp/api/incident_api.hpp"
#include "lp/api/merchant_api.hpp"
#include "lp/api/people_api.hpp"
#include "lp/auth/ip_allowlist.hpp"
#include "lp/auth/pipeline.hpp"
#include "lp/auth/rate_limiter.hpp"
#include "lp/auth/session_pipeline.hpp"
#include "lp/common/clock.hpp"
#include "lp/connectors/connector.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/crypto/password_hash.hpp"
#include "lp/http/router.hpp"
#include "lp/http/server.hpp"
#include "lp/incident/containment.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "lp/metrics/registry.hpp"
#include "lp/net/outbound_policy.hpp"
#include "lp/payments/payment_service.hpp"
#include "lp/people/account_service.hpp"
#include "lp/people/audit_log_service.hpp"
#include "lp/people/operator_service.hpp"
#include "lp/people/team_service.hpp"
#include "lp/routing/breaker.hpp"
#include "lp/security/monitor.hpp"
#include "lp/store/store.hpp"
#include "lp/webhooks/dispatcher.hpp"
#include "lp/webhooks/endpoints.hpp"
#include "lp/webhooks/events.hpp"

namespace lp::app {

// What must exist before the I/O context: the checked TLS files, the key ring, the store (the
// I/O context, declared after, is destroyed first, with every coroutine that still refers to
// them), and the trusted proxies. Errors name what to fix.
struct Foundation {
  std::unique_ptr<crypto::KeyRing> keyring;
  store::StorePtr store;
  std::vector<auth::Cidr> trusted_proxies;
};
Result<Foundation> OpenFoundation(const Config& c);

// The built-in connectors (sandbox ledger in the data directory; Stripe and Adyen on `ioc`'s
// shared PSP connection pool, with the configured CA, proxy and timeout).
Result<std::unique_ptr<connectors::ConnectorRegistry>> OpenConnectors(const Config& c,
                                                                      boost::asio::io_context& ioc,
                                                                      const Clock& clock);

class Node {
 public:
  Node(const Config& c, Foundation& f, const connectors::ConnectorRegistry& connectors,
       boost::asio::io_context& ioc, const Clock& clock);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The three listeners (api, dashboard, ops) with their routers and security headers.
  std::vector<http::ListenerSpec> Listeners() const;

  const Config& config;
  metrics::Registry reg;
  routing::BreakerBoard breakers;
  merchants::ApiKeyService keys;
  payments::PaymentService payments;
  merchants::ConnectorAccountService accounts;
  lp::net::OutboundPolicy outbound;
  webhooks::WebhookEndpointService endpoints;
  webhooks::EventService events;
  people::PasswordPolicy password_policy;
  crypto::PasswordHasher hasher;
  people::Deps people_deps;
  people::AccountService people_accounts;
  people::TeamService people_team;
  people::OperatorService people_operators;
  people::AuditLogService people_audit_log;
  std::unique_ptr<auth::RateLimiter> limiter;
  security::Monitor monitor;
  auth::ApiKeyPipeline api_pipeline;
  webhooks::Dispatcher dispatcher;
  auth::SessionPipeline dashboard_pipeline;
  auth::SessionPipeline ops_pipeline;
  incident::ContainmentService containment;
  // The routes keep pointers to these: they live as long as the routers.
  api::MerchantApiDeps api_deps;
  api::PeopleApiDeps dashboard_deps;
  api::PeopleApiDeps ops_deps;
  api::AuditStatsApiDeps dashboard_audit_deps;
  api::AuditStatsApiDeps ops_audit_deps;
  api::IncidentApiDeps incident_deps;
  http::Router api_router;
  http::Router dashboard_router;
  http::Router ops_router;

 private:
  void Observe();  // metrics and the security monitor fed by the services
  void RegisterRoutes(const Clock& clock);
};

// Every HTTP request, once answered: its metrics and its access-log line.
http::RequestObserver RecordRequest(metrics::Registry& reg);

}  // namespace lp::app
