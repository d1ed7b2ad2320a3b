// The request pipeline of the merchant API (and, with another authenticator, of the dashboard):
// authenticate → IP allowlist → the route's permission → rate limit → the handler, whose writes
// go through idempotency authorised like the request. Handlers only parse, call a service and
// render; this component owns everything that decides whether they run and what is replayed.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/auth/ip_allowlist.hpp"
#include "lp/auth/rate_limiter.hpp"
#include "lp/common/api_result.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/principal.hpp"
#include "lp/common/task.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/http/router.hpp"
#include "lp/store/store.hpp"

namespace lp::security {
class Monitor;
}

namespace lp::merchants {
class ApiKeyService;
}

namespace lp::auth {

// What a handler behind the pipeline does with an authenticated request.
using AuthedFn = std::function<Task<Result<Answer>>(http::Request&, const Principal&)>;
// The work an idempotent request protects.
using AnswerFn = std::function<Task<Result<Answer>>()>;

// The JSON answer or the error as an HTTP response, with Server-Timing and Idempotent-Replayed;
// internal and unavailable errors are logged (never sent).
http::Response Respond(const http::Request& req, const Result<Answer>& r);

struct PipelineOptions {
  double rate_limit_per_key = 100;  // requests/s (burst 2x); 0 turns per-key limits off
  double rate_limit_per_ip = 20;    // failed authentications per client IP per second
  std::vector<Cidr> trusted_proxies;
  // Called for every security event ("ip_not_allowed", "auth_failed", "rate_limited", ...).
  std::function<void(std::string_view event)> on_security_event;
  // The security monitor (optional): told of revoked/expired keys and refused addresses, and
  // asked whether containment blocks an address for the key's merchant (403 ip_blocked).
  security::Monitor* monitor = nullptr;
};

class ApiKeyPipeline {
 public:
  ApiKeyPipeline(merchants::ApiKeyService& keys, store::Store& store, RateLimiter& limiter,
                 const crypto::KeyRing& keyring, const Clock& clock, PipelineOptions options);

  // A route handler running `fn` behind authentication, the allowlist, the route's permission
  // (Request::permission) and the per-key rate limit; refusals are answered here.
  http::Handler Wrap(AuthedFn fn) const;

  // Idempotency for a write (PRODUCT.md §2): without an Idempotency-Key runs `fn`; otherwise
  // claims the key (the same request answered before is replayed if the caller holds every
  // grant it needed, else 403), runs `fn`, and stores its answer with the grants — sealed by the
  // key ring when `seal` (answers that carry a secret) — or releases the key when it failed.
  Task<Result<Answer>> Idempotent(const Idempotency& idem, const Principal& p, bool seal,
                                  AnswerFn fn) const;

  // The client's address (behind trusted proxies) and the audit actor of a request.
  std::string ClientIp(const http::Request& req) const;
  Actor ActorOf(const http::Request& req, const Principal& p) const;

 private:
  void SecurityEvent(const http::Request& req, std::string_view event, const Principal* p,
                     const std::string& ip) const;

  merchants::ApiKeyService& keys_;
  store::Store& store_;
  RateLimiter& limiter_;
  const crypto::KeyRing& keyring_;
  const Clock& clock_;
  PipelineOptions options_;
};

}  // namespace lp::auth
