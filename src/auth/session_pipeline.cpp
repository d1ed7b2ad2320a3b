#include "lp/auth/session_pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lp/audit/audit.hpp"
#include "lp/common/log.hpp"
#include "lp/http/errors.hpp"
#include "lp/people/authorization.hpp"
#include "lp/people/errors.hpp"

namespace lp::auth {

using http::Request;
using http::Response;

namespace {

bool StateChanging(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string SessionCookie(std::string_view name, std::string_view value) {
  return fmt::format("{}={}; Path=/; Secure; HttpOnly; SameSite=Strict", name, value);
}

std::string ClearedSessionCookie(std::string_view name) {
  return fmt::format("{}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0", name);
}

std::optional<std::string> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view part = Trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    if (Trim(part.substr(0, eq)) == name) {
      return std::string(Trim(part.substr(eq + 1)));
    }
  }
  return std::nullopt;
}

SessionPipeline::SessionPipeline(people::AccountService& accounts, store::Store& store,
                                 RateLimiter& limiter, const Clock& clock,
                                 SessionPipelineOptions options)
    : accounts_(accounts),
      store_(store),
      limiter_(limiter),
      clock_(clock),
      options_(std::move(options)) {}

std::string SessionPipeline::ClientIp(const Request& req) const {
  return auth::ClientIp(req.client_ip, req.JoinedHeader("x-forwarded-for"),
                        options_.trusted_proxies);
}

people::RequestContext SessionPipeline::ContextOf(const Request& req) const {
  std::string ua(req.Header("user-agent").value_or(""));
  if (ua.size() > 512) {
    ua.resize(512);
  }
  return people::RequestContext{ClientIp(req), std::move(ua), req.request_id, OwnOrigin(req)};
}

std::optional<std::string> SessionPipeline::SessionToken(const Request& req) const {
  // Several Cookie lines (HTTP/2 style) are allowed: search each.
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") {
      continue;
    }
    if (auto c = CookieValue(v, options_.cookie_name); c && !c->empty()) {
      return c;
    }
  }
  return std::nullopt;
}

std::string SessionPipeline::OwnOrigin(const Request& req) {
  return "https://" + std::string(req.Header("host").value_or(""));
}

// A refused request (CSRF, Origin): log line, metric and an audit record, at most one record per
// actor, address and event a minute.
void SessionPipeline::Refused(const Request& req, const people::Caller& caller,
                              std::string_view event, const std::string& merchant_id) const {
  SecurityEvent(req, event, caller.user_id, ClientIp(req), merchant_id);
}

void SessionPipeline::SecurityEvent(const Request& req, std::string_view event,
                                    const std::string& actor, const std::string& ip,
                                    const std::string& merchant_id) const {
  log::Warn(
      "security_event",
      {{"event", event}, {"request_id", req.request_id}, {"client_ip", ip}, {"route", req.route}});
  if (options_.on_security_event) {
    options_.on_security_event(event);
  }
  if (!limiter_
           .Take("audit:" + (actor.empty() ? std::string("-") : actor) + "|" + ip + "|" +
                     std::string(event),
                 1.0 / 60, 1)
           .allowed) {
    return;
  }
  audit::Record rec{actor.empty() ? "system" : std::string(people::ToString(options_.kind)),
                    actor.empty() ? "anonymous" : actor,
                    "security." + std::string(event),
                    req.route,
                    merchant_id,
                    "denied",
                    ip,
                    req.request_id};
  const int64_t now = clock_.NowMicros();
  store_.SubmitWrite([rec, now](store::Tx& tx) { return audit::Append(tx, rec, now); },
                     [](Result<void> r) {
                       if (!r) {
                         log::Error("audit_append_failed", {{"detail", r.error().detail}});
                       }
                     });
}

Response SessionPipeline::Finish(const Request& req, const Result<SessionAnswer>& r,
                                 const std::optional<Secret<std::string>>& rotated,
                                 const std::string& rotated_csrf) const {
  Response resp;
  if (!r) {
    if (r.error().type == ErrorType::kInternal || r.error().type == ErrorType::kUnavailable) {
      log::Error("request_failed", {{"request_id", req.request_id},
                                    {"route", req.route},
                                    {"code", r.error().code},
                                    {"detail", r.error().detail}});
    }
    resp = http::ErrorResponse(r.error(), req.request_id);
    if (r.error().type == ErrorType::kRateLimited) {
      resp.SetHeader("Retry-After", "60");
    }
  } else if (!r->content_type.empty()) {
    resp = Response::Text(200, r->body, r->content_type);
    for (const auto& [name, value] : r->headers) {
      resp.SetHeader(name, value);
    }
  } else {
    resp = Response::Json(200, r->body);
  }
  resp.SetHeader("Cache-Control", "no-store");
  if (r && r->clear_cookie) {
    resp.SetHeader("Set-Cookie", ClearedSessionCookie(options_.cookie_name));
  } else if (r && r->grant) {
    resp.SetHeader("Set-Cookie", SessionCookie(options_.cookie_name, r->grant->token.Expose()));
    resp.SetHeader("X-CSRF-Token", r->grant->csrf_token);
  } else if (rotated) {
    resp.SetHeader("Set-Cookie", SessionCookie(options_.cookie_name, rotated->Expose()));
    resp.SetHeader("X-CSRF-Token", rotated_csrf);
  }
  return resp;
}

http::Handler SessionPipeline::Wrap(people::MfaGate gate, SessionFn fn) const {
  return [this, gate, fn = std::move(fn)](Request& req) -> Task<Response> {
    const people::RequestContext ctx = ContextOf(req);
    auto token = SessionToken(req);
    if (!token) {
      co_return Finish(req, Result<SessionAnswer>(people::AuthenticationRequired()), {}, {});
    }
    auto caller = co_await accounts_.Authenticate(options_.kind, *token, gate, ctx);
    if (!caller) {
      co_return Finish(req, Result<SessionAnswer>(caller.error()), {}, {});
    }
    const std::optional<Secret<std::string>> rotated = caller->new_session_token;
    const std::string rotated_csrf = caller->csrf_token;
    if (StateChanging(req.method)) {
      const auto origin = req.Header("origin");
      bool ok = origin && *origin == OwnOrigin(req);
      if (ok) {
        const std::string_view sent = req.Header("x-csrf-token").value_or("");
        ok = static_cast<bool>(people::CheckCsrf(*caller, sent));
        if (!ok && rotated) {
          // The request that triggered the rotation still carries the old cookie's token.
          people::Caller old = *caller;
          old.csrf_token = people::CsrfTokenOf(*token);
          ok = static_cast<bool>(people::CheckCsrf(old, sent));
        }
      }
      if (!ok) {
        SecurityEvent(req, "csrf_failed", caller->user_id, ctx.ip);
        co_return Finish(req, Result<SessionAnswer>(people::CsrfFailed()), rotated, rotated_csrf);
      }
    }
    auto r = co_await fn(req, *caller, ctx);
    co_return Finish(req, r, rotated, rotated_csrf);
  };
}

http::Handler SessionPipeline::WrapPublic(PublicFn fn) const {
  return [this, fn = std::move(fn)](Request& req) -> Task<Response> {
    const people::RequestContext ctx = ContextOf(req);
    if (StateChanging(req.method)) {
      const auto origin = req.Header("origin");
      if (!origin || *origin != OwnOrigin(req)) {
        SecurityEvent(req, "csrf_failed", {}, ctx.ip);
        co_return Finish(req, Result<SessionAnswer>(people::CsrfFailed()), {}, {});
      }
    }
    if (options_.public_rate_per_ip > 0) {
      auto rd =
          limiter_.Take("people:" + std::string(people::ToString(options_.kind)) + ":" + ctx.ip,
                        options_.public_rate_per_ip, options_.public_burst);
      if (!rd.allowed) {
        SecurityEvent(req, "sign_in_rate_limited", {}, ctx.ip);
        Response resp = Finish(
            req,
            Result<SessionAnswer>(people::RateLimited("Too many attempts; retry after " +
                                                      std::to_string(rd.retry_after_s) + " s.")),
            {}, {});
        // Finish set a generic Retry-After; the limiter knows better.
        for (auto& [k, v] : resp.headers) {
          if (k == "Retry-After") {
            v = std::to_string(std::max<int64_t>(1, rd.retry_after_s));
          }
        }
        co_return resp;
      }
    }
    auto r = co_await fn(req, ctx);
    co_return Finish(req, r, {}, {});
  };
}

}  // namespace lp::auth
