// Sign-in, MFA, sessions and the account (the routes both listeners share).
#include <boost/json.hpp>

#include "api/input.hpp"
#include "api/people_api_impl.hpp"
#include "lp/api/people_api.hpp"
#include "lp/people/authorization.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"

namespace lp::api {

namespace json = boost::json;
using namespace people_internal;

namespace {

// ---- sign-in, MFA, sessions, account (both listeners) ----

Task<Result<SessionAnswer>> SignIn(const PeopleApiDeps& d, Request& req,
                                   const RequestContext& ctx) {
  auto body = ParseBody(req, {"email", "password"});
  if (!body) {
    co_return body.error();
  }
  auto email = RequiredString(*body, "email", 320);
  if (!email) {
    co_return email.error();
  }
  auto password = PasswordField(*body, "password");
  if (!password) {
    co_return password.error();
  }
  auto g =
      co_await d.accounts.SignIn(d.pipeline.options().kind, std::move(*email), std::move(*password),
                                 ctx, d.pipeline.SessionToken(req).value_or(""));
  if (!g) {
    co_return g.error();
  }
  co_return Granted(std::move(*g));
}

Task<Result<SessionAnswer>> VerifyMfa(const PeopleApiDeps& d, Request& req, const Caller& c,
                                      const RequestContext& ctx) {
  auto body = ParseBody(req, {"code", "recovery_code"});
  if (!body) {
    co_return body.error();
  }
  auto f = FactorField(*body, true);
  if (!f) {
    co_return f.error();
  }
  auto g = co_await d.accounts.VerifyMfa(c, std::move(**f), ctx);
  if (!g) {
    co_return g.error();
  }
  co_return Granted(std::move(*g));
}

Task<Result<SessionAnswer>> StartEnrollment(const PeopleApiDeps& d, Request& req, const Caller& c,
                                            const RequestContext& ctx) {
  auto body = ParseBody(req, {});
  if (!body) {
    co_return body.error();
  }
  auto e = co_await d.accounts.StartEnrollment(c, ctx);
  if (!e) {
    co_return e.error();
  }
  co_return Body(json::object{
      {"object", "mfa_enrollment"}, {"otpauth_uri", e->otpauth_uri}, {"qr_svg", e->qr_svg}});
}

Task<Result<SessionAnswer>> ConfirmEnrollment(const PeopleApiDeps& d, Request& req, const Caller& c,
                                              const RequestContext& ctx) {
  auto body = ParseBody(req, {"code"});
  if (!body) {
    co_return body.error();
  }
  auto code = RequiredString(*body, "code", 64);
  if (!code) {
    co_return code.error();
  }
  auto rc = co_await d.accounts.ConfirmEnrollment(c, std::move(*code), ctx);
  if (!rc) {
    co_return rc.error();
  }
  json::object o = RecoveryCodesJson(*rc);
  SessionAnswer a;
  if (rc->session) {
    o["mfa"] = people::ToString(rc->session->mfa);
    o["csrf_token"] = rc->session->csrf_token;
    a.grant = std::move(rc->session);
  }
  a.body = json::serialize(o);
  co_return a;
}

Task<Result<SessionAnswer>> RegenerateRecoveryCodes(const PeopleApiDeps& d, Request& req,
                                                    const Caller& c, const RequestContext& ctx) {
  auto body = ParseBody(req, {});
  if (!body) {
    co_return body.error();
  }
  auto rc = co_await d.accounts.RegenerateRecoveryCodes(c, ctx);
  if (!rc) {
    co_return rc.error();
  }
  co_return Body(RecoveryCodesJson(*rc));
}

Task<Result<SessionAnswer>> RemoveMfa(const PeopleApiDeps& d, Request&, const Caller& c,
                                      const RequestContext& ctx) {
  auto n = co_await d.accounts.RemoveMfa(c, ctx);
  if (!n) {
    co_return n.error();
  }
  co_return Body(json::object{{"object", "mfa"}, {"enrolled", false}});
}

Task<Result<SessionAnswer>> SignOut(const PeopleApiDeps& d, Request&, const Caller& c,
                                    const RequestContext& ctx) {
  auto r = co_await d.accounts.SignOut(c, ctx);
  if (!r) {
    co_return r.error();
  }
  SessionAnswer a =
      Body(json::object{{"object", "session"}, {"id", c.session_id}, {"status", "revoked"}});
  a.clear_cookie = true;
  co_return a;
}

Task<Result<SessionAnswer>> Me(const PeopleApiDeps&, Request&, const Caller& c,
                               const RequestContext&) {
  const bool satisfied = c.mfa == people::MfaState::kSatisfied;
  json::object user{{"id", c.user_id}, {"email", c.email}};
  if (satisfied) {
    user["created"] = Seconds(c.user_created_us);
    user["mfa"] = json::object{{"enrolled", c.mfa_status.enrolled},
                               {"required", c.mfa_status.required},
                               {"recovery_codes_left", c.mfa_status.recovery_codes_left}};
  }
  json::object session{{"id", c.session_id},
                       {"mfa", people::ToString(c.mfa)},
                       {"created", Seconds(c.session_created_us)},
                       {"idle_expires_at", Seconds(c.idle_expires_at_us)},
                       {"expires_at", Seconds(c.expires_at_us)},
                       {"reauthenticated_until", OptSeconds(c.reauthenticated_until_us)}};
  json::object o{{"object", "me"},
                 {"user", std::move(user)},
                 {"session", std::move(session)},
                 {"csrf_token", c.csrf_token}};
  if (c.kind == people::AccountKind::kOperator) {
    if (satisfied) {
      o["operator"] =
          json::object{{"role", c.operator_role}, {"permissions", Strings(c.operator_permissions)}};
    } else {
      o["operator"] = nullptr;
    }
  } else {
    json::array ms;
    for (const auto& m : c.memberships) {
      ms.push_back(json::object{
          {"merchant",
           json::object{{"id", m.merchant_id}, {"name", m.merchant_name}, {"frozen", m.frozen}}},
          {"role", RoleRefJson(m.role)},
          {"permissions", Strings(m.permissions)},
          {"pii_masked", m.pii_masked},
          {"policy", PolicyJson(m.policy, false)}});
    }
    o["memberships"] = std::move(ms);
  }
  co_return Body(o);
}

Task<Result<SessionAnswer>> ListSessions(const PeopleApiDeps& d, Request& req, const Caller& c,
                                         const RequestContext&) {
  auto q = ParseQuery(req, {});
  if (!q) {
    co_return q.error();
  }
  auto list = co_await d.accounts.ListSessions(c);
  if (!list) {
    co_return list.error();
  }
  json::array data;
  for (const auto& s : *list) {
    data.push_back(json::object{{"object", "session"},
                                {"id", s.id},
                                {"current", s.current},
                                {"mfa", people::ToString(s.mfa)},
                                {"created", Seconds(s.created_us)},
                                {"last_seen_at", Seconds(s.last_seen_us)},
                                {"idle_expires_at", Seconds(s.idle_expires_at_us)},
                                {"expires_at", Seconds(s.expires_at_us)},
                                {"ip", s.ip},
                                {"user_agent", s.user_agent}});
  }
  co_return Body(json::object{{"object", "list"},
                              {"url", Prefix(req) + "/sessions"},
                              {"has_more", false},
                              {"data", std::move(data)}});
}

Task<Result<SessionAnswer>> RevokeSession(const PeopleApiDeps& d, Request& req, const Caller& c,
                                          const RequestContext& ctx) {
  const std::string id = req.params.at(0);
  auto current = co_await d.accounts.RevokeSession(c, id, ctx);
  if (!current) {
    co_return current.error();
  }
  SessionAnswer a = Body(json::object{{"object", "session"}, {"id", id}, {"status", "revoked"}});
  a.clear_cookie = *current;
  co_return a;
}

Task<Result<SessionAnswer>> RevokeAllSessions(const PeopleApiDeps& d, Request&, const Caller& c,
                                              const RequestContext& ctx) {
  auto n = co_await d.accounts.RevokeAllSessions(c, ctx);
  if (!n) {
    co_return n.error();
  }
  SessionAnswer a = Body(json::object{{"object", "session_revocation"}, {"revoked", *n}});
  a.clear_cookie = true;
  co_return a;
}

Task<Result<SessionAnswer>> Reauthenticate(const PeopleApiDeps& d, Request& req, const Caller& c,
                                           const RequestContext& ctx) {
  auto body = ParseBody(req, {"password", "code", "recovery_code"});
  if (!body) {
    co_return body.error();
  }
  auto password = PasswordField(*body, "password");
  if (!password) {
    co_return password.error();
  }
  auto f = FactorField(*body, false);
  if (!f) {
    co_return f.error();
  }
  auto g = co_await d.accounts.Reauthenticate(c, std::move(*password), std::move(*f), ctx);
  if (!g) {
    co_return g.error();
  }
  co_return Granted(std::move(*g));
}

Task<Result<SessionAnswer>> ChangePassword(const PeopleApiDeps& d, Request& req, const Caller& c,
                                           const RequestContext& ctx) {
  auto body = ParseBody(req, {"current_password", "new_password"});
  if (!body) {
    co_return body.error();
  }
  auto current = PasswordField(*body, "current_password");
  if (!current) {
    co_return current.error();
  }
  auto next = PasswordField(*body, "new_password");
  if (!next) {
    co_return next.error();
  }
  auto n = co_await d.accounts.ChangePassword(c, std::move(*current), std::move(*next), ctx);
  if (!n) {
    co_return n.error();
  }
  co_return Body(json::object{{"object", "password_change"}, {"other_sessions_revoked", *n}});
}

}  // namespace

namespace people_internal {

// The account routes both listeners share (docs/dashboard-api.md §3, §9).
void RegisterAccountRoutes(http::Router& r, const PeopleApiDeps& deps, const std::string& p) {
  const PeopleApiDeps* d = &deps;
  using people::MfaGate;
  auto add = [&](std::string method, std::string path, MfaGate gate, Fn fn) {
    r.Add(std::move(method), p + path, "none",
          d->pipeline.Wrap(gate, [d, fn](Request& req, const Caller& c, const RequestContext& ctx) {
            return fn(*d, req, c, ctx);
          }));
  };
  r.Add("POST", p + "/sessions", "none",
        d->pipeline.WrapPublic(
            [d](Request& req, const RequestContext& ctx) { return SignIn(*d, req, ctx); }));
  add("POST", "/sessions/mfa", MfaGate::kMfaChallenge, VerifyMfa);
  add("DELETE", "/sessions/current", MfaGate::kAnyState, SignOut);
  add("POST", "/sessions/current/reauthenticate", MfaGate::kSatisfied, Reauthenticate);
  add("GET", "/sessions", MfaGate::kSatisfied, ListSessions);
  add("DELETE", "/sessions", MfaGate::kSatisfied, RevokeAllSessions);
  add("DELETE", "/sessions/{id}", MfaGate::kSatisfied, RevokeSession);
  add("GET", "/me", MfaGate::kAnyState, Me);
  add("POST", "/mfa/enroll", MfaGate::kEnrollment, StartEnrollment);
  add("POST", "/mfa/enroll/confirm", MfaGate::kEnrollment, ConfirmEnrollment);
  add("POST", "/mfa/recovery_codes", MfaGate::kSatisfied, RegenerateRecoveryCodes);
  add("DELETE", "/mfa", MfaGate::kSatisfied, RemoveMfa);
  add("POST", "/password", MfaGate::kSatisfied, ChangePassword);
}

}  // namespace people_internal

}  // namespace lp::api
