#include "lp/api/merchant_api.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "api/input.hpp"
#include "lp/audit/audit.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/log.hpp"
#include "lp/common/money.hpp"
#include "lp/core/idempotency.hpp"
#include "lp/crypto/hash.hpp"
#include "lp/http/errors.hpp"

namespace lp::api {

namespace json = boost::json;
using http::Request;
using http::Response;

namespace {

void AddServerTiming(const Request& req, Response& resp, int64_t psp_us) {
  const int64_t total = MonotonicMicros() - req.start_us;
  resp.SetHeader("Server-Timing",
                 fmt::format("app;dur={:.3f}, psp;dur={:.3f}",
                             std::max<int64_t>(0, total - psp_us) / 1000.0, psp_us / 1000.0));
}

Response Respond(const Request& req, const Result<core::ApiResult>& r) {
  if (!r) {
    if (r.error().type == ErrorType::kInternal || r.error().type == ErrorType::kUnavailable) {
      log::Error("request_failed", {{"request_id", req.request_id},
                                    {"route", req.route},
                                    {"code", r.error().code},
                                    {"detail", r.error().detail}});
    }
    Response resp = http::ErrorResponse(r.error(), req.request_id);
    AddServerTiming(req, resp, 0);
    return resp;
  }
  Response resp = Response::Json(r->status, r->body);
  if (r->replayed) resp.SetHeader("Idempotent-Replayed", "true");
  resp.psp_us = r->psp_us;
  AddServerTiming(req, resp, r->psp_us);
  return resp;
}

using AuthedFn = std::function<Task<Result<core::ApiResult>>(Request&, const core::Principal&)>;

void SetRateHeaders(Response& resp, const auth::RateDecision& d) {
  resp.SetHeader("RateLimit-Limit", std::to_string(d.limit));
  resp.SetHeader("RateLimit-Remaining", std::to_string(d.remaining));
  resp.SetHeader("RateLimit-Reset", std::to_string(d.reset_s));
}

Response RateLimited(const Request& req, const auth::RateDecision& d) {
  Response resp = http::ErrorResponse(
      Error{ErrorType::kRateLimited,
            "rate_limited",
            "Too many requests; retry after " + std::to_string(d.retry_after_s) + " s.",
            {},
            {}},
      req.request_id);
  resp.SetHeader("Retry-After", std::to_string(d.retry_after_s));
  SetRateHeaders(resp, d);
  return resp;
}

// Records a refused request: log line, metric, and an audit record (written without delaying
// the answer).
void SecurityEvent(const MerchantApiDeps& d, const Request& req, std::string_view event,
                   const core::Principal* p, const std::string& ip) {
  log::Warn("security_event", {{"event", event},
                               {"request_id", req.request_id},
                               {"client_ip", ip},
                               {"key_id", p ? std::string_view(p->key_id) : std::string_view()}});
  if (d.on_security_event) d.on_security_event(event);
  if (!p) return;
  // A flood of refused requests must not flood the audit log: one record per key, address
  // and event a minute (the log line and the counter above see every one).
  if (!d.limiter.Take("audit:" + p->key_id + "|" + ip + "|" + std::string(event), 1.0 / 60, 1)
           .allowed) {
    return;
  }
  audit::Record rec{"api_key", p->key_id,      "security." + std::string(event),
                    req.route, p->merchant_id, "denied",
                    ip,        req.request_id};
  const int64_t now = d.clock.NowMicros();
  d.store.SubmitWrite([rec, now](store::Tx& tx) { return audit::Append(tx, rec, now); },
                      [](Result<void> r) {
                        if (!r) log::Error("audit_append_failed", {{"detail", r.error().detail}});
                      });
}

// Authentication, then the perimeter: IP allowlist, the route's permission, the per-key rate
// limit. Failed authentications count against the client IP's own limit.
http::Handler Authed(MerchantApiDeps d, AuthedFn fn) {
  return [d, fn = std::move(fn)](Request& req) -> Task<Response> {
    const std::string ip =
        auth::ClientIp(req.client_ip, req.JoinedHeader("x-forwarded-for"), d.trusted_proxies);
    auto principal = co_await d.keys.Authenticate(req.Header("authorization").value_or(""));
    if (!principal) {
      if (principal.error().type == ErrorType::kAuthentication && d.rate_limit_per_ip > 0) {
        auto rd = d.limiter.Take("ip:" + ip, d.rate_limit_per_ip, 2 * d.rate_limit_per_ip);
        if (!rd.allowed) {
          SecurityEvent(d, req, "auth_rate_limited", nullptr, ip);
          co_return RateLimited(req, rd);
        }
        if (d.on_security_event) d.on_security_event("auth_failed");
      }
      co_return Respond(req, principal.error());
    }
    const core::Principal& p = *principal;
    if (!p.allowed_cidrs.empty()) {
      bool allowed = false;
      for (const auto& text : p.allowed_cidrs) {
        auto c = auth::Cidr::Parse(text);
        if (c && c->Contains(ip)) allowed = true;
      }
      if (!allowed) {
        SecurityEvent(d, req, "ip_not_allowed", &p, ip);
        co_return Respond(req, Error{ErrorType::kPermission,
                                     "ip_not_allowed",
                                     "This API key may not be used from " + ip + ".",
                                     {},
                                     {}});
      }
    }
    if (!core::Grants(p, req.permission)) {
      co_return Respond(
          req, Error{ErrorType::kPermission,
                     "permission_denied",
                     p.key_type == "publishable"
                         ? std::string("Publishable keys cannot be used with this endpoint.")
                         : "This API key lacks the scope " + req.permission + ".",
                     {},
                     {}});
    }
    std::optional<auth::RateDecision> rate;
    const double limit = p.rate_limit.value_or(d.rate_limit_per_key);
    if (limit > 0) {
      rate = d.limiter.Take("key:" + p.key_id, limit, 2 * limit);
      if (!rate->allowed) {
        if (d.on_security_event) d.on_security_event("rate_limited");
        co_return RateLimited(req, *rate);
      }
    }
    d.keys.Touch(p, ip);
    auto r = co_await fn(req, p);
    Response resp = Respond(req, r);
    if (rate) SetRateHeaders(resp, *rate);
    co_return resp;
  };
}

// Idempotency for the POSTs whose services do not handle it. Responses that carry a secret (a
// new API key or webhook secret) are stored sealed by the key ring, never in plaintext.
using ApiFn = std::function<Task<Result<core::ApiResult>>()>;
Task<Result<core::ApiResult>> Idempotent(MerchantApiDeps d, Request& req, const core::Principal& p,
                                         bool secret_in_response, ApiFn fn) {
  auto idem = IdempotencyOf(req);
  if (!idem) co_return idem.error();
  if (idem->key.empty()) co_return co_await fn();
  const std::string ad = "idempotency_keys:response_body:" + p.merchant_id + ":" + idem->key;
  auto claimed = co_await core::ClaimIdempotencyKey(d.store, p, *idem, d.clock.NowMicros());
  if (!claimed) co_return claimed.error();
  if (*claimed) {
    core::ApiResult replay = std::move(**claimed);
    constexpr std::string_view kSealed = "sealed:";
    if (replay.body.starts_with(kSealed)) {
      std::string blob;
      if (!d.keyring || !crypto::Base64Decode(replay.body.substr(kSealed.size()), blob)) {
        co_return Error::Internal("stored idempotent response cannot be decoded");
      }
      auto opened = d.keyring->Open(blob, ad);
      if (!opened) co_return opened.error();
      replay.body = std::string(opened->view());
    }
    co_return replay;
  }
  auto r = co_await fn();
  if (!r) {
    (void)co_await core::ReleaseIdempotencyKey(d.store, p, *idem);
    co_return r;
  }
  std::string stored = r->body;
  if (secret_in_response) {
    if (!d.keyring) co_return Error::Internal("no key ring to seal the idempotent response");
    auto sealed = d.keyring->Seal(r->body, ad);
    if (!sealed) co_return sealed.error();
    stored = "sealed:" + crypto::Base64(*sealed);
  }
  auto f = co_await core::FinishIdempotencyKey(d.store, p, *idem, r->status, std::move(stored));
  if (!f) co_return f.error();
  co_return r;
}

core::Actor ActorOf(const Request& req, const core::Principal& p,
                    const std::vector<auth::Cidr>& trusted) {
  return core::Actor{"api_key", p.key_id,
                     auth::ClientIp(req.client_ip, req.JoinedHeader("x-forwarded-for"), trusted),
                     req.request_id};
}

Error Missing(std::string_view name) {
  return Error::Invalid("parameter_missing", "Missing required parameter: " + std::string(name),
                        std::string(name));
}

Result<std::string> Metadata(const json::object& body) {
  auto* v = body.if_contains("metadata");
  if (!v || v->is_null()) return std::string("{}");
  if (!v->is_object()) {
    return Error::Invalid("parameter_invalid", "metadata must be an object of strings.",
                          "metadata");
  }
  const auto& o = v->as_object();
  if (o.size() > 50) {
    return Error::Invalid("parameter_invalid", "metadata may have at most 50 keys.", "metadata");
  }
  for (const auto& kv : o) {
    const std::string param = "metadata[" + std::string(kv.key()) + "]";
    if (kv.key().empty() || kv.key().size() > 40) {
      return Error::Invalid("parameter_invalid", "metadata keys must be 1 to 40 characters.",
                            param);
    }
    if (!kv.value().is_string() || kv.value().as_string().size() > 500) {
      return Error::Invalid("parameter_invalid",
                            "metadata values must be strings of at most 500 characters.", param);
    }
  }
  return json::serialize(o);
}

Task<Result<core::ApiResult>> CreatePayment(MerchantApiDeps d, Request& req,
                                            const core::Principal& p) {
  auto in = ParseIdempotentBody(req, {"amount", "currency", "payment_method", "capture_method",
                                      "confirm", "description", "metadata", "routing"});
  if (!in) co_return in.error();
  const json::object& body = in->body();
  core::CreatePaymentParams params;
  auto* amount = body.if_contains("amount");
  if (!amount) co_return Missing("amount");
  auto a = ParseAmount(*amount, "amount", false);
  if (!a) co_return a.error();
  params.amount = *a;
  auto* currency = body.if_contains("currency");
  if (!currency) co_return Missing("currency");
  auto c = ParseCurrency(*currency, "currency");
  if (!c) co_return c.error();
  params.currency = std::string(c->Code());
  auto pm = OptString(body, "payment_method", 255);
  if (!pm) co_return pm.error();
  params.payment_method = *pm;
  auto cm = OptString(body, "capture_method", 20);
  if (!cm) co_return cm.error();
  if (*cm) {
    if (**cm == "manual") {
      params.capture_method = core::CaptureMethod::kManual;
    } else if (**cm != "automatic") {
      co_return Error::Invalid("parameter_invalid",
                               "capture_method must be \"automatic\" or \"manual\".",
                               "capture_method");
    }
  }
  auto confirm = OptBool(body, "confirm");
  if (!confirm) co_return confirm.error();
  params.confirm = confirm->value_or(false);
  if (params.confirm && !params.payment_method) co_return Missing("payment_method");
  auto desc = OptString(body, "description", 1000);
  if (!desc) co_return desc.error();
  params.description = *desc;
  auto md = Metadata(body);
  if (!md) co_return md.error();
  params.metadata_json = *md;
  if (auto* r = body.if_contains("routing"); r && !r->is_null()) {
    if (!r->is_object()) {
      co_return Error::Invalid("parameter_invalid", "routing must be an object.", "routing");
    }
    for (const auto& kv : r->as_object()) {
      if (kv.key() != "connector_account") {
        co_return Error::Invalid("parameter_unknown",
                                 "Received unknown parameter: routing." + std::string(kv.key()),
                                 "routing." + std::string(kv.key()));
      }
      if (!kv.value().is_string()) {
        co_return Error::Invalid("parameter_invalid", "routing.connector_account must be a string.",
                                 "routing.connector_account");
      }
      params.connector_account = std::string(kv.value().as_string());
    }
  }
  co_return co_await d.payments.Create(p, std::move(params), std::move(in->idem));
}

Task<Result<core::ApiResult>> ConfirmPayment(MerchantApiDeps d, Request& req,
                                             const core::Principal& p) {
  auto in = ParseIdempotentBody(req, {"payment_method"});
  if (!in) co_return in.error();
  const json::object& body = in->body();
  auto pm = OptString(body, "payment_method", 255);
  if (!pm) co_return pm.error();
  co_return co_await d.payments.Confirm(p, req.params.at(0), *pm, std::move(in->idem));
}

Task<Result<core::ApiResult>> CapturePayment(MerchantApiDeps d, Request& req,
                                             const core::Principal& p) {
  auto in = ParseIdempotentBody(req, {"amount_to_capture"});
  if (!in) co_return in.error();
  const json::object& body = in->body();
  std::optional<int64_t> amount;
  if (auto* v = body.if_contains("amount_to_capture"); v && !v->is_null()) {
    auto a = ParseAmount(*v, "amount_to_capture", false);
    if (!a) co_return a.error();
    amount = *a;
  }
  co_return co_await d.payments.Capture(p, req.params.at(0), amount, std::move(in->idem));
}

Task<Result<core::ApiResult>> CancelPayment(MerchantApiDeps d, Request& req,
                                            const core::Principal& p) {
  auto in = ParseIdempotentBody(req, {});  // no parameters: the body may only be {}
  if (!in) co_return in.error();
  co_return co_await d.payments.Cancel(p, req.params.at(0), std::move(in->idem));
}

Task<Result<core::ApiResult>> ListPayments(MerchantApiDeps d, Request& req,
                                           const core::Principal& p) {
  auto q = ParseQuery(
      req, {"limit", "starting_after", "ending_before", "status", "created[gte]", "created[lte]"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  if (auto s = QueryValue(*q, "status")) {
    if (!core::ParsePaymentStatus(*s)) {
      co_return Error::Invalid("parameter_invalid", "status is not a payment status.", "status");
    }
    params->status = *s;
  }
  co_return co_await d.payments.List(p, std::move(*params));
}

Task<Result<core::ApiResult>> CreateRefund(MerchantApiDeps d, Request& req,
                                           const core::Principal& p) {
  auto in = ParseIdempotentBody(req, {"payment", "amount", "reason"});
  if (!in) co_return in.error();
  const json::object& body = in->body();
  core::RefundParams params;
  auto pay = OptString(body, "payment", 255);
  if (!pay) co_return pay.error();
  if (!*pay) co_return Missing("payment");
  params.payment_id = **pay;
  if (auto* v = body.if_contains("amount"); v && !v->is_null()) {
    auto a = ParseAmount(*v, "amount", false);
    if (!a) co_return a.error();
    params.amount = *a;
  }
  auto reason = OptString(body, "reason", 40);
  if (!reason) co_return reason.error();
  if (*reason && **reason != "duplicate" && **reason != "fraudulent" &&
      **reason != "requested_by_customer") {
    co_return Error::Invalid("parameter_invalid",
                             "reason must be duplicate, fraudulent or requested_by_customer.",
                             "reason");
  }
  params.reason = *reason;
  co_return co_await d.payments.CreateRefund(p, std::move(params), std::move(in->idem));
}

Task<Result<core::ApiResult>> ListRefunds(MerchantApiDeps d, Request& req,
                                          const core::Principal& p) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before", "payment", "status",
                            "created[gte]", "created[lte]"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  if (auto s = QueryValue(*q, "status")) {
    if (*s != "pending" && *s != "succeeded" && *s != "failed") {
      co_return Error::Invalid("parameter_invalid", "status is not a refund status.", "status");
    }
    params->status = *s;
  }
  co_return co_await d.payments.ListRefunds(p, std::move(*params), QueryValue(*q, "payment"));
}

Task<Result<core::ApiResult>> ListEvents(MerchantApiDeps d, Request& req,
                                         const core::Principal& p) {
  auto q = ParseQuery(
      req, {"limit", "starting_after", "ending_before", "type", "created[gte]", "created[lte]"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  co_return co_await d.payments.ListEvents(p, std::move(*params), QueryValue(*q, "type"));
}

Task<Result<core::ApiResult>> CreateApiKey(MerchantApiDeps d, Request& req,
                                           const core::Principal& p) {
  auto body = ParseBody(req, {"type", "scopes", "allowed_cidrs", "expires_at"});
  if (!body) co_return body.error();
  core::KeyOptions o;
  auto type = OptString(*body, "type", 20);
  if (!type) co_return type.error();
  o.type = type->value_or("secret");
  if (o.type != "secret" && o.type != "restricted" && o.type != "publishable") {
    co_return Error::Invalid("parameter_invalid", "type must be secret, restricted or publishable.",
                             "type");
  }
  if (p.key_type != "secret" && o.type == "secret") {
    co_return Error{ErrorType::kPermission,
                    "permission_denied",
                    "Only a secret key can create secret keys.",
                    "type",
                    {}};
  }
  if (auto* v = body->if_contains("scopes"); v && !v->is_null()) {
    if (o.type != "restricted") {
      co_return Error::Invalid("parameter_invalid", "Only restricted keys take scopes.", "scopes");
    }
    if (!v->is_array() || v->as_array().empty() || v->as_array().size() > 20) {
      co_return Error::Invalid("parameter_invalid", "scopes must be a non-empty array.", "scopes");
    }
    for (const auto& e : v->as_array()) {
      const auto& known = core::KnownScopes();
      if (!e.is_string() ||
          std::find(known.begin(), known.end(), std::string_view(e.as_string())) == known.end()) {
        co_return Error::Invalid("parameter_invalid",
                                 "Unknown scope; scopes are e.g. payments:read, payments:write.",
                                 "scopes");
      }
      const std::string scope(e.as_string());
      // A restricted key cannot mint a key stronger than itself.
      if (p.key_type != "secret" && !core::Grants(p, scope)) {
        co_return Error{ErrorType::kPermission,
                        "permission_denied",
                        "A restricted key can only grant scopes it holds.",
                        "scopes",
                        {}};
      }
      if (std::find(o.scopes.begin(), o.scopes.end(), scope) == o.scopes.end()) {
        o.scopes.push_back(scope);
      }
    }
  } else if (o.type == "restricted") {
    co_return Missing("scopes");
  }
  if (auto* v = body->if_contains("allowed_cidrs"); v && !v->is_null()) {
    if (!v->is_array() || v->as_array().size() > 100) {
      co_return Error::Invalid("parameter_invalid",
                               "allowed_cidrs must be an array of at most 100 CIDRs.",
                               "allowed_cidrs");
    }
    size_t i = 0;
    for (const auto& e : v->as_array()) {
      const std::string param = "allowed_cidrs[" + std::to_string(i++) + "]";
      if (!e.is_string()) {
        co_return Error::Invalid("parameter_invalid", "Each CIDR must be a string.", param);
      }
      auto c = auth::Cidr::Parse(std::string_view(e.as_string()));
      if (!c) co_return Error::Invalid("parameter_invalid", c.error().message, param);
      o.allowed_cidrs.push_back(c->text());
    }
  }
  if (auto* v = body->if_contains("expires_at"); v && !v->is_null()) {
    const int64_t now_s = d.clock.NowSeconds();
    if (!v->is_int64() || v->as_int64() <= now_s || v->as_int64() > now_s + 10LL * 366 * 86400) {
      co_return Error::Invalid("parameter_invalid",
                               "expires_at must be a future Unix time in seconds.", "expires_at");
    }
    o.expires_at_us = v->as_int64() * 1'000'000;
  }
  co_return co_await d.keys.CreateKey(p, std::move(o), ActorOf(req, p, d.trusted_proxies));
}

Task<Result<core::ApiResult>> ListApiKeys(MerchantApiDeps d, Request& req,
                                          const core::Principal& p) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  co_return co_await d.keys.ListKeys(p, std::move(*params));
}

Task<Result<core::ApiResult>> RollApiKey(MerchantApiDeps d, Request& req,
                                         const core::Principal& p) {
  auto body = ParseBody(req, {"grace_period_hours"});
  if (!body) co_return body.error();
  int64_t grace = 24;
  if (auto* v = body->if_contains("grace_period_hours"); v && !v->is_null()) {
    if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 168) {
      co_return Error::Invalid("parameter_invalid",
                               "grace_period_hours must be an integer from 0 to 168.",
                               "grace_period_hours");
    }
    grace = v->as_int64();
  }
  co_return co_await d.keys.RollKey(p, req.params.at(0), grace, ActorOf(req, p, d.trusted_proxies));
}

Task<Result<core::ApiResult>> RevokeApiKey(MerchantApiDeps d, Request& req,
                                           const core::Principal& p) {
  co_return co_await d.keys.RevokeKey(p, req.params.at(0), ActorOf(req, p, d.trusted_proxies));
}

// Fields shared by create and update of a connector account.
Result<core::AccountParams> AccountParamsOf(const MerchantApiDeps& d, const json::object& body,
                                            bool create) {
  core::AccountParams a;
  if (create) {
    auto c = OptString(body, "connector", 20);
    if (!c) return c.error();
    if (!*c) return Missing("connector");
    a.connector = **c;
    if (*a.connector != "sandbox" && *a.connector != "stripe" && *a.connector != "adyen") {
      return Error::Invalid("parameter_invalid", "connector must be sandbox, stripe or adyen.",
                            "connector");
    }
  }
  auto label = OptString(body, "label", 200);
  if (!label) return label.error();
  a.label = *label;
  if (auto* v = body.if_contains("credentials"); v && !v->is_null()) {
    if (!v->is_object()) {
      return Error::Invalid("parameter_invalid", "credentials must be an object.", "credentials");
    }
    if (create) {
      if (auto r = core::ValidateCredentials(*a.connector, v->as_object()); !r) return r.error();
    }
    a.credentials_json = json::serialize(*v);
  } else if (create && *a.connector != "sandbox") {
    return Missing("credentials");
  }
  auto base = OptString(body, "base_url", 2000);
  if (!base) return base.error();
  if (*base) {
    const bool https = (*base)->starts_with("https://");
    if (!https && !(d.dev_mode && (*base)->starts_with("http://"))) {
      return Error::Invalid(
          "parameter_invalid",
          d.dev_mode ? "base_url must be an http(s) URL." : "base_url must be an https URL.",
          "base_url");
    }
    if (!d.dev_mode) {
      return Error{ErrorType::kPermission,
                   "permission_denied",
                   "base_url can be set in dev mode or by an operator only.",
                   "base_url",
                   {}};
    }
    a.base_url = **base;
  }
  auto status = OptString(body, "status", 20);
  if (!status) return status.error();
  if (*status) {
    if (create || (**status != "active" && **status != "disabled")) {
      return Error::Invalid(
          "parameter_invalid",
          create ? "status is set by update only." : "status must be active or disabled.",
          "status");
    }
    a.status = **status;
  }
  if (auto* v = body.if_contains("latency_ms"); v && !v->is_null()) {
    if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 60000) {
      return Error::Invalid("parameter_invalid", "latency_ms must be an integer 0..60000.",
                            "latency_ms");
    }
    a.latency_ms = v->as_int64();
  }
  return a;
}

Task<Result<core::ApiResult>> CreateAccount(MerchantApiDeps d, Request& req,
                                            const core::Principal& p) {
  auto body = ParseBody(req, {"connector", "label", "credentials", "base_url", "latency_ms"});
  if (!body) co_return body.error();
  auto a = AccountParamsOf(d, *body, true);
  if (!a) co_return a.error();
  if (a->latency_ms && *a->connector != "sandbox") {
    co_return Error::Invalid("parameter_invalid", "latency_ms applies to sandbox accounts only.",
                             "latency_ms");
  }
  co_return co_await d.accounts.Create(p, std::move(*a), ActorOf(req, p, d.trusted_proxies));
}

Task<Result<core::ApiResult>> UpdateAccount(MerchantApiDeps d, Request& req,
                                            const core::Principal& p) {
  auto body = ParseBody(req, {"label", "credentials", "base_url", "status", "latency_ms"});
  if (!body) co_return body.error();
  auto a = AccountParamsOf(d, *body, false);
  if (!a) co_return a.error();
  co_return co_await d.accounts.Update(p, req.params.at(0), std::move(*a),
                                       ActorOf(req, p, d.trusted_proxies));
}

Task<Result<core::ApiResult>> ListAccounts(MerchantApiDeps d, Request& req,
                                           const core::Principal& p) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  co_return co_await d.accounts.List(p, std::move(*params));
}

Result<core::EndpointParams> EndpointParamsOf(const MerchantApiDeps& d, const json::object& body,
                                              bool create) {
  core::EndpointParams e;
  auto url = OptString(body, "url", 2048);
  if (!url) return url.error();
  if (*url) {
    if (auto r = d.webhooks.CheckUrl(**url); !r) return r.error();
    e.url = **url;
  } else if (create) {
    return Missing("url");
  }
  if (auto* v = body.if_contains("enabled_events"); v && !v->is_null()) {
    if (!v->is_array() || v->as_array().empty() || v->as_array().size() > 50) {
      return Error::Invalid("parameter_invalid",
                            "enabled_events must be a non-empty array of event types or [\"*\"].",
                            "enabled_events");
    }
    std::vector<std::string> events;
    for (const auto& x : v->as_array()) {
      const auto& known = core::EventTypes();
      if (!x.is_string() ||
          (x.as_string() != "*" &&
           std::find(known.begin(), known.end(), std::string_view(x.as_string())) == known.end())) {
        return Error::Invalid("parameter_invalid",
                              "Unknown event type in enabled_events; see GET /v1/events types.",
                              "enabled_events");
      }
      events.emplace_back(x.as_string());
    }
    e.enabled_events = std::move(events);
  } else if (create) {
    return Missing("enabled_events");
  }
  auto desc = OptString(body, "description", 500);
  if (!desc) return desc.error();
  e.description = *desc;
  auto status = OptString(body, "status", 20);
  if (!status) return status.error();
  if (*status) {
    if (create || (**status != "enabled" && **status != "disabled")) {
      return Error::Invalid(
          "parameter_invalid",
          create ? "status is set by update only." : "status must be enabled or disabled.",
          "status");
    }
    e.status = **status;
  }
  return e;
}

Task<Result<core::ApiResult>> CreateEndpoint(MerchantApiDeps d, Request& req,
                                             const core::Principal& p) {
  auto body = ParseBody(req, {"url", "enabled_events", "description"});
  if (!body) co_return body.error();
  auto e = EndpointParamsOf(d, *body, true);
  if (!e) co_return e.error();
  co_return co_await d.webhooks.Create(p, std::move(*e), ActorOf(req, p, d.trusted_proxies));
}

Task<Result<core::ApiResult>> UpdateEndpoint(MerchantApiDeps d, Request& req,
                                             const core::Principal& p) {
  auto body = ParseBody(req, {"url", "enabled_events", "description", "status"});
  if (!body) co_return body.error();
  auto e = EndpointParamsOf(d, *body, false);
  if (!e) co_return e.error();
  co_return co_await d.webhooks.Update(p, req.params.at(0), std::move(*e),
                                       ActorOf(req, p, d.trusted_proxies));
}

Task<Result<core::ApiResult>> ListEndpoints(MerchantApiDeps d, Request& req,
                                            const core::Principal& p) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  co_return co_await d.webhooks.List(p, std::move(*params));
}

Task<Result<core::ApiResult>> Redeliver(MerchantApiDeps d, Request& req, const core::Principal& p) {
  auto body = ParseBody(req, {"endpoint"});
  if (!body) co_return body.error();
  auto endpoint = OptString(*body, "endpoint", 255);
  if (!endpoint) co_return endpoint.error();
  co_return co_await d.webhooks.Redeliver(p, req.params.at(0), *endpoint,
                                          ActorOf(req, p, d.trusted_proxies));
}

}  // namespace

void RegisterMerchantApi(http::Router& r, MerchantApiDeps d) {
  using P = const core::Principal&;
  r.Add("POST", "/v1/payments", "payments:write",
        Authed(d, [d](Request& req, P p) { return CreatePayment(d, req, p); }));
  r.Add("GET", "/v1/payments", "payments:read",
        Authed(d, [d](Request& req, P p) { return ListPayments(d, req, p); }));
  r.Add("GET", "/v1/payments/{id}", "payments:read",
        Authed(d, [d](Request& req, P p) { return d.payments.Get(p, req.params.at(0)); }));
  r.Add("POST", "/v1/payments/{id}/confirm", "payments:write",
        Authed(d, [d](Request& req, P p) { return ConfirmPayment(d, req, p); }));
  r.Add("POST", "/v1/payments/{id}/capture", "payments:write",
        Authed(d, [d](Request& req, P p) { return CapturePayment(d, req, p); }));
  r.Add("POST", "/v1/payments/{id}/cancel", "payments:write",
        Authed(d, [d](Request& req, P p) { return CancelPayment(d, req, p); }));
  r.Add("POST", "/v1/refunds", "refunds:write",
        Authed(d, [d](Request& req, P p) { return CreateRefund(d, req, p); }));
  r.Add("GET", "/v1/refunds", "payments:read",
        Authed(d, [d](Request& req, P p) { return ListRefunds(d, req, p); }));
  r.Add("GET", "/v1/refunds/{id}", "payments:read",
        Authed(d, [d](Request& req, P p) { return d.payments.GetRefund(p, req.params.at(0)); }));
  r.Add("GET", "/v1/events", "events:read",
        Authed(d, [d](Request& req, P p) { return ListEvents(d, req, p); }));
  r.Add("GET", "/v1/events/{id}", "events:read",
        Authed(d, [d](Request& req, P p) { return d.payments.GetEvent(p, req.params.at(0)); }));
  r.Add("POST", "/v1/connector_accounts", "connectors:write", Authed(d, [d](Request& req, P p) {
          return Idempotent(d, req, p, false, [d, &req, &p] { return CreateAccount(d, req, p); });
        }));
  r.Add("GET", "/v1/connector_accounts", "connectors:read",
        Authed(d, [d](Request& req, P p) { return ListAccounts(d, req, p); }));
  r.Add("GET", "/v1/connector_accounts/{id}", "connectors:read",
        Authed(d, [d](Request& req, P p) { return d.accounts.Get(p, req.params.at(0)); }));
  r.Add("PATCH", "/v1/connector_accounts/{id}", "connectors:write",
        Authed(d, [d](Request& req, P p) { return UpdateAccount(d, req, p); }));
  r.Add("DELETE", "/v1/connector_accounts/{id}", "connectors:write",
        Authed(d, [d](Request& req, P p) {
          return d.accounts.Delete(p, req.params.at(0), ActorOf(req, p, d.trusted_proxies));
        }));
  r.Add("POST", "/v1/webhook_endpoints", "webhooks:write", Authed(d, [d](Request& req, P p) {
          return Idempotent(d, req, p, true, [d, &req, &p] { return CreateEndpoint(d, req, p); });
        }));
  r.Add("GET", "/v1/webhook_endpoints", "webhooks:read",
        Authed(d, [d](Request& req, P p) { return ListEndpoints(d, req, p); }));
  r.Add("GET", "/v1/webhook_endpoints/{id}", "webhooks:read",
        Authed(d, [d](Request& req, P p) { return d.webhooks.Get(p, req.params.at(0)); }));
  r.Add("PATCH", "/v1/webhook_endpoints/{id}", "webhooks:write",
        Authed(d, [d](Request& req, P p) { return UpdateEndpoint(d, req, p); }));
  r.Add("DELETE", "/v1/webhook_endpoints/{id}", "webhooks:write", Authed(d, [d](Request& req, P p) {
          return d.webhooks.Delete(p, req.params.at(0), ActorOf(req, p, d.trusted_proxies));
        }));
  r.Add("POST", "/v1/webhook_endpoints/{id}/rotate_secret", "webhooks:write",
        Authed(d, [d](Request& req, P p) {
          return Idempotent(d, req, p, true, [d, &req, &p] {
            return d.webhooks.RotateSecret(p, req.params.at(0), ActorOf(req, p, d.trusted_proxies));
          });
        }));
  r.Add("GET", "/v1/events/{id}/deliveries", "events:read",
        Authed(d, [d](Request& req, P p) { return d.webhooks.Deliveries(p, req.params.at(0)); }));
  r.Add("POST", "/v1/events/{id}/redeliver", "webhooks:write", Authed(d, [d](Request& req, P p) {
          return Idempotent(d, req, p, false, [d, &req, &p] { return Redeliver(d, req, p); });
        }));
  r.Add("POST", "/v1/api_keys", "api_keys:write", Authed(d, [d](Request& req, P p) {
          return Idempotent(d, req, p, true, [d, &req, &p] { return CreateApiKey(d, req, p); });
        }));
  r.Add("GET", "/v1/api_keys", "api_keys:write",
        Authed(d, [d](Request& req, P p) { return ListApiKeys(d, req, p); }));
  r.Add("POST", "/v1/api_keys/{id}/roll", "api_keys:write", Authed(d, [d](Request& req, P p) {
          return Idempotent(d, req, p, true, [d, &req, &p] { return RollApiKey(d, req, p); });
        }));
  r.Add("DELETE", "/v1/api_keys/{id}", "api_keys:write",
        Authed(d, [d](Request& req, P p) { return RevokeApiKey(d, req, p); }));
}

}  // namespace lp::api
