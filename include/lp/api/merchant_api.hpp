// The merchant API (/v1/...): thin handlers that parse, authenticate, call a core service and
// render. Every route declares its permission in the route table.
#pragma once

#include <functional>
#include <vector>

#include "lp/auth/ip_allowlist.hpp"
#include "lp/auth/rate_limiter.hpp"
#include "lp/common/clock.hpp"
#include "lp/core/api_keys.hpp"
#include "lp/core/connector_accounts.hpp"
#include "lp/core/payments.hpp"
#include "lp/core/webhook_endpoints.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/http/router.hpp"
#include "lp/store/store.hpp"

namespace lp::api {

struct MerchantApiDeps {
  core::ApiKeyService& keys;
  core::PaymentService& payments;
  core::ConnectorAccountService& accounts;
  core::WebhookEndpointService& webhooks;
  store::Store& store;  // audit records of refused requests
  auth::RateLimiter& limiter;
  const Clock& clock;
  double rate_limit_per_key = 100;  // requests/s (burst 2x); 0 turns per-key limits off
  double rate_limit_per_ip = 20;    // failed authentications per client IP per second
  std::vector<auth::Cidr> trusted_proxies;
  bool dev_mode = false;
  // Called for every security event ("ip_not_allowed", "auth_failed", "rate_limited").
  std::function<void(std::string_view event)> on_security_event;
  // Seals stored idempotent responses that carry secrets.
  const crypto::KeyRing* keyring = nullptr;
};

void RegisterMerchantApi(http::Router& router, MerchantApiDeps deps);

}  // namespace lp::api
