#include "lp/api/merchant_api.hpp"

#include "api/handlers.hpp"
#include "lp/http/errors.hpp"

namespace lp::api {

void RegisterMerchantApi(http::Router& r, const MerchantApiDeps& deps) {
  const MerchantApiDeps* d = &deps;
  // Each route: method, path, the permission it needs, the handler behind the pipeline.
  using Fn = Task<Result<Answer>> (*)(const MerchantApiDeps&, http::Request&, const Principal&);
  auto add = [&](std::string method, std::string path, std::string permission, Fn fn) {
    r.Add(std::move(method), std::move(path), std::move(permission),
          d->pipeline.Wrap(
              [d, fn](http::Request& req, const Principal& p) { return fn(*d, req, p); }));
  };
  using namespace handlers;
  add("POST", "/v1/payments", "payments:write", CreatePayment);
  add("GET", "/v1/payments", "payments:read", ListPayments);
  add("GET", "/v1/payments/{id}", "payments:read", GetPayment);
  add("POST", "/v1/payments/{id}/confirm", "payments:write", ConfirmPayment);
  add("POST", "/v1/payments/{id}/capture", "payments:write", CapturePayment);
  add("POST", "/v1/payments/{id}/cancel", "payments:write", CancelPayment);
  add("POST", "/v1/refunds", "refunds:write", CreateRefund);
  add("GET", "/v1/refunds", "payments:read", ListRefunds);
  add("GET", "/v1/refunds/{id}", "payments:read", GetRefund);
  add("GET", "/v1/events", "events:read", ListEvents);
  add("GET", "/v1/events/{id}", "events:read", GetEvent);
  add("GET", "/v1/events/{id}/deliveries", "events:read", Deliveries);
  add("POST", "/v1/events/{id}/redeliver", "webhooks:write", Redeliver);
  add("POST", "/v1/connector_accounts", "connectors:write", CreateAccount);
  add("GET", "/v1/connector_accounts", "connectors:read", ListAccounts);
  add("GET", "/v1/connector_accounts/{id}", "connectors:read", GetAccount);
  add("PATCH", "/v1/connector_accounts/{id}", "connectors:write", UpdateAccount);
  add("DELETE", "/v1/connector_accounts/{id}", "connectors:write", DeleteAccount);
  add("POST", "/v1/webhook_endpoints", "webhooks:write", CreateEndpoint);
  add("GET", "/v1/webhook_endpoints", "webhooks:read", ListEndpoints);
  add("GET", "/v1/webhook_endpoints/{id}", "webhooks:read", GetEndpoint);
  add("PATCH", "/v1/webhook_endpoints/{id}", "webhooks:write", UpdateEndpoint);
  add("DELETE", "/v1/webhook_endpoints/{id}", "webhooks:write", DeleteEndpoint);
  add("POST", "/v1/webhook_endpoints/{id}/rotate_secret", "webhooks:write", RotateEndpointSecret);
  add("POST", "/v1/api_keys", "api_keys:write", CreateApiKey);
  add("GET", "/v1/api_keys", "api_keys:write", ListApiKeys);
  add("POST", "/v1/api_keys/{id}/roll", "api_keys:write", RollApiKey);
  add("DELETE", "/v1/api_keys/{id}", "api_keys:write", RevokeApiKey);
  // routing:* (not connectors:*): where money goes is its own privilege (docs/routing.md);
  // keys made before it existed were given it by migration 14.
  add("GET", "/v1/routing", "routing:read", GetRouting);
  add("PUT", "/v1/routing", "routing:write", PutRouting);
  add("GET", "/v1/routing/versions", "routing:read", ListRoutingVersions);
  add("POST", "/v1/routing/versions/{n}/activate", "routing:write", ActivateRoutingVersion);
  add("POST", "/v1/routing/simulate", "routing:read", SimulateRouting);

  // Inbound PSP webhooks: no API key. The PSP's signature over the raw body, checked with the
  // named connector account's own signing secret, authenticates the request
  // (payments/psp_webhooks.cpp); nothing is parsed for use before it is verified.
  r.Add("POST", "/psp-webhooks/{id}", "none", [d](http::Request& req) -> Task<http::Response> {
    const std::string ip = d->pipeline.ClientIp(req);
    // A forged flood must not cost a database read, a key-ring open and an audit write per
    // request: the client IP's bucket is taken before anything else.
    if (d->limiter && d->psp_webhook_rate > 0) {
      const auth::RateDecision rd =
          d->limiter->Take("psp_webhook:" + ip, d->psp_webhook_rate, d->psp_webhook_burst);
      if (!rd.allowed) {
        if (d->on_psp_webhook) d->on_psp_webhook("rate_limited");
        http::Response resp = http::ErrorResponse(
            Error{ErrorType::kRateLimited,
                  "rate_limited",
                  "Too many requests; retry after " + std::to_string(rd.retry_after_s) + " s.",
                  {},
                  {}},
            req.request_id);
        resp.SetHeader("Retry-After", std::to_string(rd.retry_after_s));
        co_return resp;
      }
    }
    // One audit record per account, address and refusal reason a minute (the log line and the
    // counter see every refusal).
    std::function<bool(std::string_view)> may_audit = [d](std::string_view key) {
      return !d->limiter ||
             d->limiter->Take("audit:psp_webhook:" + std::string(key), 1.0 / 60, 1).allowed;
    };
    auto a = co_await d->payments.ApplyPspWebhook(req.params.at(0), req.body, req.headers, ip,
                                                  req.request_id, std::move(may_audit));
    if (!a) {
      if (d->on_psp_webhook && a.error().type == ErrorType::kInvalidRequest) {
        d->on_psp_webhook(a.error().code);
      }
      co_return http::ErrorResponse(a.error(), req.request_id);
    }
    if (d->on_psp_webhook) d->on_psp_webhook("accepted");
    http::Response resp;
    resp.status = a->status;
    resp.content_type = std::move(a->content_type);
    resp.body = std::move(a->body);
    co_return resp;
  });
}

}  // namespace lp::api
