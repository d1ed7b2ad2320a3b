// The request pipeline of the dashboard and ops JSON APIs (docs/dashboard-api.md §1): the
// session cookie (__Host-lp_session / __Host-lp_ops_session) → the route's MFA gate → CSRF token
// and Origin on state-changing methods → the handler. Merchant membership, frozen flag,
// permission and step-up are checked by the people services (people/authorization.hpp) with the
// Caller this pipeline resolves. Also answers the unauthenticated routes (sign-in, invitation
// lookup and acceptance): Origin check and a per-IP rate limit. Every answer carries
// Cache-Control: no-store; a rotated session id travels as Set-Cookie + X-CSRF-Token.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/auth/ip_allowlist.hpp"
#include "lp/auth/rate_limiter.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/result.hpp"
#include "lp/common/task.hpp"
#include "lp/http/router.hpp"
#include "lp/people/account_service.hpp"
#include "lp/store/store.hpp"

namespace lp::auth {

// What a dashboard/ops handler answers: the JSON body, and the session cookie to set (a new or
// rotated session) or to clear (signed out).
struct SessionAnswer {
  std::string body;
  std::optional<people::SessionGrant> grant;
  bool clear_cookie = false;
  // A download (audit exports): its content type (empty: JSON) and extra headers such as
  // Content-Disposition.
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
};

using SessionFn = std::function<Task<Result<SessionAnswer>>(http::Request&, const people::Caller&,
                                                            const people::RequestContext&)>;
using PublicFn =
    std::function<Task<Result<SessionAnswer>>(http::Request&, const people::RequestContext&)>;

inline constexpr std::string_view kDashboardCookie = "__Host-lp_session";
inline constexpr std::string_view kOpsCookie = "__Host-lp_ops_session";

struct SessionPipelineOptions {
  people::AccountKind kind = people::AccountKind::kUser;
  std::string cookie_name = std::string(kDashboardCookie);
  std::vector<Cidr> trusted_proxies;
  // Unauthenticated routes (sign-in, invitations): per client IP, refill per second and burst.
  double public_rate_per_ip = 0.5;
  double public_burst = 30;
  std::function<void(std::string_view event)> on_security_event;
};

class SessionPipeline {
 public:
  SessionPipeline(people::AccountService& accounts, store::Store& store, RateLimiter& limiter,
                  const Clock& clock, SessionPipelineOptions options);

  // A route behind the session: 401 without a live session, the MFA gate, then (POST, PUT,
  // PATCH, DELETE) the Origin header and the X-CSRF-Token header (403 csrf_failed).
  http::Handler Wrap(people::MfaGate gate, SessionFn fn) const;
  // A route without a session (sign-in, invitations): the Origin check on state-changing
  // methods and the per-IP limit (429 rate_limited with Retry-After).
  http::Handler WrapPublic(PublicFn fn) const;

  // A signed-in request the route refused (e.g. "permission_denied" in `merchant_id`): a log
  // line, the security-event metric and an audit record (at most one per actor, address and
  // event a minute), as for CSRF failures.
  void Refused(const http::Request& req, const people::Caller& caller, std::string_view event,
               const std::string& merchant_id) const;

  std::string ClientIp(const http::Request& req) const;
  people::RequestContext ContextOf(const http::Request& req) const;
  // The session cookie's value, if the request carries one.
  std::optional<std::string> SessionToken(const http::Request& req) const;
  // "https://<Host>": the listener's own origin, as the browser sees it.
  static std::string OwnOrigin(const http::Request& req);
  const Clock& clock() const { return clock_; }
  const SessionPipelineOptions& options() const { return options_; }

 private:
  http::Response Finish(const http::Request& req, const Result<SessionAnswer>& r,
                        const std::optional<Secret<std::string>>& rotated,
                        const std::string& rotated_csrf) const;
  void SecurityEvent(const http::Request& req, std::string_view event, const std::string& actor,
                     const std::string& ip, const std::string& merchant_id = {}) const;

  people::AccountService& accounts_;
  store::Store& store_;
  RateLimiter& limiter_;
  const Clock& clock_;
  SessionPipelineOptions options_;
};

// The Set-Cookie value that sets or clears a session cookie.
std::string SessionCookie(std::string_view name, std::string_view value);
std::string ClearedSessionCookie(std::string_view name);
// The value of cookie `name` in a Cookie header ("a=1; b=2").
std::optional<std::string> CookieValue(std::string_view header, std::string_view name);

}  // namespace lp::auth
