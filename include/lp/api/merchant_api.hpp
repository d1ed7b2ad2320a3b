// The merchant API (/v1/...): the route table. Every route declares its permission; the
// pipeline (auth/) authenticates and authorises; handlers parse, call one service, render.
#pragma once

#include <functional>
#include <string_view>

#include "lp/auth/pipeline.hpp"
#include "lp/common/clock.hpp"
#include "lp/http/router.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "lp/payments/payment_service.hpp"
#include "lp/webhooks/endpoints.hpp"

namespace lp::api {

struct MerchantApiDeps {
  payments::PaymentService& payments;
  merchants::ApiKeyService& keys;
  merchants::ConnectorAccountService& accounts;
  webhooks::WebhookEndpointService& endpoints;
  webhooks::EventService& events;
  const auth::ApiKeyPipeline& pipeline;
  const Clock& clock;
  bool dev_mode = false;
  // Counts inbound PSP webhooks by outcome: "accepted", or the refusal code
  // (webhook_signature_invalid, …). Optional.
  std::function<void(std::string_view outcome)> on_psp_webhook;
  // Inbound PSP webhooks are limited per client IP (behind trusted proxies) before any work:
  // `psp_webhook_rate` requests/s, bursts of `psp_webhook_burst` (docs/psp-connectors.md).
  // The same limiter bounds the audit records of refused webhooks. Optional (nullptr: off).
  auth::RateLimiter* limiter = nullptr;
  double psp_webhook_rate = 50;
  double psp_webhook_burst = 100;
  // Each authorization a request ran (create or confirm; not replays): the key, the client
  // address, the payment method as sent (a token, never a PAN) and whether it was declined.
  // The security monitor's card-testing detector. Optional.
  std::function<void(const Principal& key, const std::string& ip, std::string_view payment_method,
                     bool declined, const std::string& request_id)>
      on_authorization;
};

// Registers every /v1 route on `router`; `deps` must outlive it.
void RegisterMerchantApi(http::Router& router, const MerchantApiDeps& deps);

}  // namespace lp::api
