// Merchant API handlers (issue 14 shape): parse the request strictly, call one service, render.
// The pipeline (auth::ApiKeyPipeline) has authenticated the caller and checked the route's
// permission before any of these runs.
#pragma once

#include "lp/api/merchant_api.hpp"
#include "lp/common/api_result.hpp"
#include "lp/http/message.hpp"

namespace lp::api::handlers {

using http::Request;

Error Missing(std::string_view name);
// The Idempotency-Key and hash of a request that does not parse its body for them itself.
Result<Idempotency> IdempotencyFor(const Request& req);

// Payments, refunds, events.
Task<Result<Answer>> CreatePayment(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> ConfirmPayment(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> CapturePayment(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> CancelPayment(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> GetPayment(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> ListPayments(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> CreateRefund(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> GetRefund(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> ListRefunds(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> GetEvent(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> ListEvents(const MerchantApiDeps& d, Request& req, const Principal& p);

// API keys, connector accounts, webhook endpoints and deliveries.
Task<Result<Answer>> CreateApiKey(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> ListApiKeys(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> RollApiKey(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> RevokeApiKey(const MerchantApiDeps& d, Request& req, const Principal& p);
// Dashboard only (docs/dashboard-api.md §5): PATCH an API key's allowed_cidrs.
Task<Result<Answer>> UpdateApiKeyCidrs(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> CreateAccount(const MerchantApiDeps& d, Request& req, const Principal& p);
// Routing configuration (routing_handlers.cpp).
Task<Result<Answer>> GetRouting(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> PutRouting(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> ListRoutingVersions(const MerchantApiDeps& d, Request& req,
                                         const Principal& p);
Task<Result<Answer>> ActivateRoutingVersion(const MerchantApiDeps& d, Request& req,
                                            const Principal& p);
Task<Result<Answer>> SimulateRouting(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> UpdateAccount(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> GetAccount(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> ListAccounts(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> DeleteAccount(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> CreateEndpoint(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> UpdateEndpoint(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> GetEndpoint(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> ListEndpoints(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> DeleteEndpoint(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> RotateEndpointSecret(const MerchantApiDeps& d, Request& req,
                                          const Principal& p);
Task<Result<Answer>> Deliveries(const MerchantApiDeps& d, Request& req, const Principal& p);
Task<Result<Answer>> Redeliver(const MerchantApiDeps& d, Request& req, const Principal& p);
// Dashboard only: one webhook endpoint's deliveries, newest first, cursor-paginated.
Task<Result<Answer>> EndpointDeliveries(const MerchantApiDeps& d, Request& req, const Principal& p);

}  // namespace lp::api::handlers
