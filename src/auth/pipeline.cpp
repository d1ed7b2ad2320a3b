#include "lp/auth/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lp/audit/audit.hpp"
#include "lp/common/log.hpp"
#include "lp/crypto/hash.hpp"
#include "lp/http/errors.hpp"
#include "lp/idempotency/idempotency.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/security/monitor.hpp"

namespace lp::auth {

using http::Request;
using http::Response;

namespace {

void AddServerTiming(const Request& req, Response& resp, int64_t psp_us) {
  const int64_t total = MonotonicMicros() - req.start_us;
  resp.SetHeader("Server-Timing",
                 fmt::format("app;dur={:.3f}, psp;dur={:.3f}",
                             std::max<int64_t>(0, total - psp_us) / 1000.0, psp_us / 1000.0));
}

void SetRateHeaders(Response& resp, const RateDecision& d) {
  resp.SetHeader("RateLimit-Limit", std::to_string(d.limit));
  resp.SetHeader("RateLimit-Remaining", std::to_string(d.remaining));
  resp.SetHeader("RateLimit-Reset", std::to_string(d.reset_s));
}

Response RateLimited(const Request& req, const RateDecision& d) {
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

}  // namespace

Response Respond(const Request& req, const Result<Answer>& r) {
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
  Response resp = Response::Json(200, r->body);
  if (r->replayed) resp.SetHeader("Idempotent-Replayed", "true");
  resp.psp_us = r->psp_us;
  AddServerTiming(req, resp, r->psp_us);
  return resp;
}

ApiKeyPipeline::ApiKeyPipeline(merchants::ApiKeyService& keys, store::Store& store,
                               RateLimiter& limiter, const crypto::KeyRing& keyring,
                               const Clock& clock, PipelineOptions options)
    : keys_(keys),
      store_(store),
      limiter_(limiter),
      keyring_(keyring),
      clock_(clock),
      options_(std::move(options)) {}

std::string ApiKeyPipeline::ClientIp(const Request& req) const {
  return auth::ClientIp(req.client_ip, req.JoinedHeader("x-forwarded-for"),
                        options_.trusted_proxies);
}

Actor ApiKeyPipeline::ActorOf(const Request& req, const Principal& p) const {
  // A dashboard user acting through the shared handlers is the actor, not a key.
  if (p.key_type == "user" || p.key_type == "operator") {
    return Actor{p.key_type, p.user_id, ClientIp(req), req.request_id};
  }
  return Actor{"api_key", p.key_id, ClientIp(req), req.request_id};
}

// Records a refused request: log line, metric, and an audit record (written without delaying
// the answer).
void ApiKeyPipeline::SecurityEvent(const Request& req, std::string_view event, const Principal* p,
                                   const std::string& ip) const {
  log::Warn("security_event", {{"event", event},
                               {"request_id", req.request_id},
                               {"client_ip", ip},
                               {"key_id", p ? std::string_view(p->key_id) : std::string_view()}});
  if (options_.on_security_event) options_.on_security_event(event);
  if (!p) return;
  // A flood of refused requests must not flood the audit log: one record per key, address
  // and event a minute (the log line and the counter above see every one).
  if (!limiter_.Take("audit:" + p->key_id + "|" + ip + "|" + std::string(event), 1.0 / 60, 1)
           .allowed) {
    return;
  }
  audit::Record rec{"api_key", p->key_id,      "security." + std::string(event),
                    req.route, p->merchant_id, "denied",
                    ip,        req.request_id};
  const int64_t now = clock_.NowMicros();
  store_.SubmitWrite([rec, now](store::Tx& tx) { return audit::Append(tx, rec, now); },
                     [](Result<void> r) {
                       if (!r) log::Error("audit_append_failed", {{"detail", r.error().detail}});
                     });
}

// Authentication, then the perimeter: IP allowlist, the route's permission, the per-key rate
// limit. Failed authentications count against the client IP's own limit.
http::Handler ApiKeyPipeline::Wrap(AuthedFn fn) const {
  return [this, fn = std::move(fn)](Request& req) -> Task<Response> {
    const std::string ip = ClientIp(req);
    auto principal = co_await keys_.Authenticate(req.Header("authorization").value_or(""));
    if (!principal) {
      const double per_ip = options_.rate_limit_per_ip;
      if (principal.error().type == ErrorType::kAuthentication && per_ip > 0) {
        auto rd = limiter_.Take("ip:" + ip, per_ip, 2 * per_ip);
        if (!rd.allowed) {
          SecurityEvent(req, "auth_rate_limited", nullptr, ip);
          co_return RateLimited(req, rd);
        }
        if (options_.on_security_event) options_.on_security_event("auth_failed");
        if (options_.monitor) {
          auto stale = co_await keys_.FindStale(req.Header("authorization").value_or(""));
          if (stale && *stale) {
            options_.monitor->StaleKeyUsed((*stale)->merchant_id, (*stale)->mode, (*stale)->key_id,
                                           (*stale)->reason, ip, req.request_id);
          }
        }
      }
      co_return Respond(req, principal.error());
    }
    const Principal& p = *principal;
    if (options_.monitor && options_.monitor->Blocked(p.merchant_id, ip)) {
      SecurityEvent(req, "ip_blocked", &p, ip);
      co_return Respond(req, Error{ErrorType::kPermission,
                                   "ip_blocked",
                                   "Requests from " + ip +
                                       " are blocked for this account after suspicious activity. "
                                       "Contact the account owner.",
                                   {},
                                   {}});
    }
    if (!p.allowed_cidrs.empty()) {
      bool allowed = false;
      for (const auto& text : p.allowed_cidrs) {
        auto c = Cidr::Parse(text);
        if (c && c->Contains(ip)) allowed = true;
      }
      if (!allowed) {
        SecurityEvent(req, "ip_not_allowed", &p, ip);
        if (options_.monitor) options_.monitor->AddressRefused(p, ip, req.request_id);
        co_return Respond(req, Error{ErrorType::kPermission,
                                     "ip_not_allowed",
                                     "This API key may not be used from " + ip + ".",
                                     {},
                                     {}});
      }
    }
    if (!Grants(p, req.permission)) {
      co_return Respond(
          req, Error{ErrorType::kPermission,
                     "permission_denied",
                     p.key_type == "publishable"
                         ? std::string("Publishable keys cannot be used with this endpoint.")
                         : "This API key lacks the scope " + req.permission + ".",
                     {},
                     {}});
    }
    std::optional<RateDecision> rate;
    const double limit = p.rate_limit.value_or(options_.rate_limit_per_key);
    if (limit > 0) {
      rate = limiter_.Take("key:" + p.key_id, limit, 2 * limit);
      if (!rate->allowed) {
        if (options_.on_security_event) options_.on_security_event("rate_limited");
        co_return RateLimited(req, *rate);
      }
    }
    keys_.Touch(p, ip);
    auto r = co_await fn(req, p);
    Response resp = Respond(req, r);
    if (rate) SetRateHeaders(resp, *rate);
    co_return resp;
  };
}

Task<Result<Answer>> ApiKeyPipeline::Idempotent(const Idempotency& idem, const Principal& p,
                                                bool seal, AnswerFn fn) const {
  if (idem.key.empty()) co_return co_await fn();
  const std::string ad = "idempotency_keys:response_body:" + p.merchant_id + ":" + idem.key;
  auto claimed = co_await idempotency::ClaimKey(store_, p, idem, clock_.NowMicros());
  if (!claimed) co_return claimed.error();
  if (*claimed) {
    Answer replay = std::move(**claimed);
    constexpr std::string_view kSealed = "sealed:";
    if (replay.body.starts_with(kSealed)) {
      std::string blob;
      if (!crypto::Base64Decode(replay.body.substr(kSealed.size()), blob)) {
        co_return Error::Internal("stored idempotent response cannot be decoded");
      }
      auto opened = keyring_.Open(blob, ad);
      if (!opened) co_return opened.error();
      replay.body = std::string(opened->view());
    }
    co_return replay;
  }
  auto r = co_await fn();
  if (!r) {
    (void)co_await idempotency::ReleaseKey(store_, p, idem);
    co_return r;
  }
  std::string stored = r->body;
  if (seal) {
    // An answer carrying a secret (a new API key or webhook secret) is never stored in plain.
    auto sealed = keyring_.Seal(r->body, ad);
    if (!sealed) co_return sealed.error();
    stored = "sealed:" + crypto::Base64(*sealed);
  }
  auto f = co_await idempotency::FinishKey(store_, p, idem, 200, std::move(stored), r->grants);
  if (!f) co_return f.error();
  co_return r;
}

}  // namespace lp::auth
