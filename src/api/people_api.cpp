#include "lp/api/people_api.hpp"

#include <boost/json.hpp>

#include "api/input.hpp"
#include "lp/people/authorization.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"

namespace lp::api {

namespace json = boost::json;
using auth::SessionAnswer;
using http::Request;
using people::Caller;
using people::RequestContext;

namespace {

using Fn = Task<Result<SessionAnswer>> (*)(const PeopleApiDeps&, Request&, const Caller&,
                                           const RequestContext&);
using PubFn = Task<Result<SessionAnswer>> (*)(const PeopleApiDeps&, Request&,
                                              const RequestContext&);

int64_t Seconds(int64_t us) { return us / 1'000'000; }

json::value OptSeconds(const std::optional<int64_t>& us) {
  if (!us) {
    return nullptr;
  }
  return Seconds(*us);
}

SessionAnswer Body(const json::object& o) { return SessionAnswer{json::serialize(o), {}, false}; }

// The prefix of the listener's API ("/dashboard/api" or "/ops/api").
std::string Prefix(const Request& req) {
  return req.listener == "ops" ? "/ops/api" : "/dashboard/api";
}

Result<std::string> RequiredString(const json::object& body, std::string_view name,
                                   size_t max_len = kMaxStringLength) {
  auto v = OptString(body, name, max_len);
  if (!v) {
    return v.error();
  }
  if (!*v || (*v)->empty()) {
    return people::MissingParameter(std::string(name));
  }
  return std::move(**v);
}

// A password field: any string (the rules are the service's), never trimmed.
Result<SecureBytes> PasswordField(const json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  if (!v || v->is_null() || (v->is_string() && v->as_string().empty())) {
    return people::MissingParameter(std::string(name));
  }
  if (!v->is_string()) {
    return people::InvalidParameter(std::string(name), "Must be a string.");
  }
  return SecureBytes(std::string_view(v->as_string()));
}

// `code` or `recovery_code`, exactly one (absent both: nullopt when not `required`).
Result<std::optional<people::SecondFactor>> FactorField(const json::object& body, bool required) {
  auto code = OptString(body, "code", 64);
  if (!code) {
    return code.error();
  }
  auto recovery = OptString(body, "recovery_code", 64);
  if (!recovery) {
    return recovery.error();
  }
  if (*code && *recovery) {
    return people::InvalidParameter("recovery_code", "Send code or recovery_code, not both.");
  }
  if (*code) {
    return std::optional<people::SecondFactor>(people::SecondFactor{std::move(**code), false});
  }
  if (*recovery) {
    return std::optional<people::SecondFactor>(people::SecondFactor{std::move(**recovery), true});
  }
  if (required) {
    return people::MissingParameter("code");
  }
  return std::optional<people::SecondFactor>();
}

json::object RoleRefJson(const people::RoleRef& r) {
  return json::object{{"id", r.id}, {"name", r.name}, {"builtin", r.builtin}};
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) {
    a.emplace_back(s);
  }
  return a;
}

json::object SessionStatus(const people::SessionGrant& g) {
  json::object o{
      {"object", "session_status"}, {"mfa", people::ToString(g.mfa)}, {"csrf_token", g.csrf_token}};
  if (g.reauthenticated_until_us) {
    o["reauthenticated_until"] = Seconds(*g.reauthenticated_until_us);
  }
  return o;
}

Result<SessionAnswer> Granted(people::SessionGrant g) {
  SessionAnswer a = Body(SessionStatus(g));
  a.grant = std::move(g);
  return a;
}

json::object PolicyJson(const people::SecurityPolicy& p, bool full) {
  json::object o;
  if (full) {
    o["object"] = "security_policy";
  }
  o["mfa_required_for_all"] = p.mfa_required_for_all;
  o["idle_timeout_minutes"] = p.idle_timeout_minutes;
  o["absolute_timeout_hours"] = p.absolute_timeout_hours;
  if (full) {
    o["auto_block_ip"] = p.auto_block_ip;
    o["auto_revoke_key"] = p.auto_revoke_key;
    o["updated"] = p.updated_us ? json::value(Seconds(p.updated_us)) : json::value(nullptr);
    o["updated_by"] = p.updated_by.empty() ? json::value(nullptr) : json::value(p.updated_by);
  }
  return o;
}

json::object RecoveryCodesJson(const people::RecoveryCodes& rc) {
  json::array codes;
  for (const auto& c : rc.codes) {
    codes.emplace_back(c.Expose());
  }
  return json::object{{"object", "mfa_recovery_codes"}, {"recovery_codes", std::move(codes)}};
}

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

// ---- invitations (no session) ----

Task<Result<SessionAnswer>> LookupInvitation(const PeopleApiDeps& d, Request& req,
                                             const RequestContext&) {
  auto body = ParseBody(req, {"token"});
  if (!body) {
    co_return body.error();
  }
  auto token = RequiredString(*body, "token", 200);
  if (!token) {
    co_return token.error();
  }
  auto p = co_await d.accounts.LookupInvitation(std::move(*token));
  if (!p) {
    co_return p.error();
  }
  co_return Body(
      json::object{{"object", "invitation_preview"},
                   {"email", p->email},
                   {"merchant", json::object{{"id", p->merchant_id}, {"name", p->merchant_name}}},
                   {"role", json::object{{"id", p->role.id}, {"name", p->role.name}}},
                   {"expires_at", Seconds(p->expires_at_us)},
                   {"account_exists", p->account_exists}});
}

Task<Result<SessionAnswer>> AcceptInvitation(const PeopleApiDeps& d, Request& req,
                                             const RequestContext& ctx) {
  auto body = ParseBody(req, {"token", "password"});
  if (!body) {
    co_return body.error();
  }
  auto token = RequiredString(*body, "token", 200);
  if (!token) {
    co_return token.error();
  }
  auto password = PasswordField(*body, "password");
  if (!password) {
    co_return password.error();
  }
  auto g = co_await d.accounts.AcceptInvitation(std::move(*token), std::move(*password), ctx);
  if (!g) {
    co_return g.error();
  }
  co_return Granted(std::move(*g));
}

// ---- team (merchant routes) ----

std::string MerchantUrl(const Request& req, std::string_view tail) {
  return "/dashboard/api/merchants/" + req.params.at(0) + std::string(tail);
}

Result<ListParams> ListQuery(const Request& req) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before"});
  if (!q) {
    return q.error();
  }
  return ParseListParams(*q);
}

// Masks e-mail addresses for a caller without pii:read in this merchant.
bool Masked(const Caller& c, std::string_view merchant_id) {
  const auto* m = c.FindMembership(merchant_id);
  return !m || m->pii_masked;
}

json::object MemberJson(const people::MerchantUser& u, bool masked) {
  return json::object{{"object", "merchant_user"},
                      {"id", u.user_id},
                      {"email", masked ? people::MaskEmail(u.email) : u.email},
                      {"role", RoleRefJson(u.role)},
                      {"mfa_enrolled", u.mfa_enrolled},
                      {"last_sign_in_at", OptSeconds(u.last_sign_in_at_us)},
                      {"created", Seconds(u.created_us)}};
}

json::object InvitationJson(const people::Invitation& i, bool masked) {
  return json::object{{"object", "invitation"},
                      {"id", i.id},
                      {"email", masked ? people::MaskEmail(i.email) : i.email},
                      {"role", RoleRefJson(i.role)},
                      {"status", i.status},
                      {"invited_by", i.invited_by},
                      {"created", Seconds(i.created_us)},
                      {"expires_at", Seconds(i.expires_at_us)}};
}

json::object RoleJson(const people::Role& r) {
  return json::object{{"object", "role"},     {"id", r.id},
                      {"name", r.name},       {"description", r.description},
                      {"builtin", r.builtin}, {"permissions", Strings(r.permissions)},
                      {"users", r.users}};
}

template <class T, class F>
json::object ListJson(const people::Page<T>& page, std::string url, F&& render) {
  json::array data;
  for (const auto& x : page.data) {
    data.push_back(render(x));
  }
  return json::object{{"object", "list"},
                      {"url", std::move(url)},
                      {"has_more", page.has_more},
                      {"data", std::move(data)}};
}

Task<Result<SessionAnswer>> ListUsers(const PeopleApiDeps& d, Request& req, const Caller& c,
                                      const RequestContext&) {
  auto params = ListQuery(req);
  if (!params) {
    co_return params.error();
  }
  const std::string m = req.params.at(0);
  auto page = co_await d.team.ListUsers(c, m, *params);
  if (!page) {
    co_return page.error();
  }
  const bool masked = Masked(c, m);
  co_return Body(ListJson(*page, MerchantUrl(req, "/users"),
                          [&](const auto& u) { return MemberJson(u, masked); }));
}

Task<Result<SessionAnswer>> ChangeRole(const PeopleApiDeps& d, Request& req, const Caller& c,
                                       const RequestContext& ctx) {
  auto body = ParseBody(req, {"role"});
  if (!body) {
    co_return body.error();
  }
  auto role = RequiredString(*body, "role", 100);
  if (!role) {
    co_return role.error();
  }
  const std::string m = req.params.at(0);
  auto u = co_await d.team.ChangeRole(c, m, req.params.at(1), std::move(*role), ctx);
  if (!u) {
    co_return u.error();
  }
  co_return Body(MemberJson(*u, Masked(c, m)));
}

Task<Result<SessionAnswer>> RemoveUser(const PeopleApiDeps& d, Request& req, const Caller& c,
                                       const RequestContext& ctx) {
  const std::string user_id = req.params.at(1);
  auto r = co_await d.team.RemoveUser(c, req.params.at(0), user_id, ctx);
  if (!r) {
    co_return r.error();
  }
  co_return Body(json::object{{"object", "merchant_user"}, {"id", user_id}, {"deleted", true}});
}

Task<Result<SessionAnswer>> RevokeUserSessions(const PeopleApiDeps& d, Request& req,
                                               const Caller& c, const RequestContext& ctx) {
  auto n = co_await d.team.RevokeUserSessions(c, req.params.at(0), req.params.at(1), ctx);
  if (!n) {
    co_return n.error();
  }
  co_return Body(json::object{{"object", "session_revocation"}, {"revoked", *n}});
}

Task<Result<SessionAnswer>> ListInvitations(const PeopleApiDeps& d, Request& req, const Caller& c,
                                            const RequestContext&) {
  auto params = ListQuery(req);
  if (!params) {
    co_return params.error();
  }
  const std::string m = req.params.at(0);
  auto page = co_await d.team.ListInvitations(c, m, *params);
  if (!page) {
    co_return page.error();
  }
  const bool masked = Masked(c, m);
  co_return Body(ListJson(*page, MerchantUrl(req, "/invitations"),
                          [&](const auto& i) { return InvitationJson(i, masked); }));
}

Task<Result<SessionAnswer>> Invite(const PeopleApiDeps& d, Request& req, const Caller& c,
                                   const RequestContext& ctx) {
  auto body = ParseBody(req, {"email", "role"});
  if (!body) {
    co_return body.error();
  }
  auto email = RequiredString(*body, "email", 320);
  if (!email) {
    co_return email.error();
  }
  auto role = RequiredString(*body, "role", 100);
  if (!role) {
    co_return role.error();
  }
  auto inv = co_await d.team.Invite(c, req.params.at(0), std::move(*email), std::move(*role), ctx);
  if (!inv) {
    co_return inv.error();
  }
  // The inviter typed the address: it is shown unmasked in this one answer.
  json::object o = InvitationJson(inv->invitation, false);
  o["invite_url"] = auth::SessionPipeline::OwnOrigin(req) + inv->invite_path;
  co_return Body(o);
}

Task<Result<SessionAnswer>> RevokeInvitation(const PeopleApiDeps& d, Request& req, const Caller& c,
                                             const RequestContext& ctx) {
  const std::string m = req.params.at(0);
  auto inv = co_await d.team.RevokeInvitation(c, m, req.params.at(1), ctx);
  if (!inv) {
    co_return inv.error();
  }
  co_return Body(InvitationJson(*inv, Masked(c, m)));
}

Task<Result<SessionAnswer>> ListRoles(const PeopleApiDeps& d, Request& req, const Caller& c,
                                      const RequestContext&) {
  auto roles = co_await d.team.ListRoles(c, req.params.at(0));
  if (!roles) {
    co_return roles.error();
  }
  json::array data;
  for (const auto& r : *roles) {
    data.push_back(RoleJson(r));
  }
  co_return Body(json::object{{"object", "list"},
                              {"url", MerchantUrl(req, "/roles")},
                              {"has_more", false},
                              {"data", std::move(data)}});
}

Result<people::RoleParams> RoleParamsOf(const Request& req) {
  auto body = ParseBody(req, {"name", "description", "permissions"});
  if (!body) {
    return body.error();
  }
  people::RoleParams p;
  auto name = OptString(*body, "name", 100);
  if (!name) {
    return name.error();
  }
  p.name = std::move(*name);
  auto desc = OptString(*body, "description", 500);
  if (!desc) {
    return desc.error();
  }
  p.description = std::move(*desc);
  if (const auto* v = body->if_contains("permissions"); v && !v->is_null()) {
    if (!v->is_array()) {
      return people::InvalidParameter("permissions", "Must be an array of permission names.");
    }
    std::vector<std::string> perms;
    size_t i = 0;
    for (const auto& e : v->as_array()) {
      if (!e.is_string()) {
        return people::InvalidParameter("permissions[" + std::to_string(i) + "]",
                                        "Must be a permission name.");
      }
      perms.emplace_back(e.as_string());
      ++i;
    }
    p.permissions = std::move(perms);
  }
  return p;
}

Task<Result<SessionAnswer>> CreateRole(const PeopleApiDeps& d, Request& req, const Caller& c,
                                       const RequestContext& ctx) {
  auto p = RoleParamsOf(req);
  if (!p) {
    co_return p.error();
  }
  if (!p->name) {
    co_return people::MissingParameter("name");
  }
  if (!p->permissions) {
    co_return people::MissingParameter("permissions");
  }
  auto r = co_await d.team.CreateRole(c, req.params.at(0), std::move(*p), ctx);
  if (!r) {
    co_return r.error();
  }
  co_return Body(RoleJson(*r));
}

Task<Result<SessionAnswer>> UpdateRole(const PeopleApiDeps& d, Request& req, const Caller& c,
                                       const RequestContext& ctx) {
  auto p = RoleParamsOf(req);
  if (!p) {
    co_return p.error();
  }
  auto r = co_await d.team.UpdateRole(c, req.params.at(0), req.params.at(1), std::move(*p), ctx);
  if (!r) {
    co_return r.error();
  }
  co_return Body(RoleJson(*r));
}

Task<Result<SessionAnswer>> DeleteRole(const PeopleApiDeps& d, Request& req, const Caller& c,
                                       const RequestContext& ctx) {
  const std::string id = req.params.at(1);
  auto r = co_await d.team.DeleteRole(c, req.params.at(0), id, ctx);
  if (!r) {
    co_return r.error();
  }
  co_return Body(json::object{{"object", "role"}, {"id", id}, {"deleted", true}});
}

Task<Result<SessionAnswer>> GetPolicy(const PeopleApiDeps& d, Request& req, const Caller& c,
                                      const RequestContext&) {
  auto p = co_await d.team.GetPolicy(c, req.params.at(0));
  if (!p) {
    co_return p.error();
  }
  co_return Body(PolicyJson(*p, true));
}

Result<std::optional<int>> OptInt(const json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  if (!v || v->is_null()) {
    return std::optional<int>();
  }
  if (!v->is_int64() || v->as_int64() < -1'000'000 || v->as_int64() > 1'000'000) {
    return people::InvalidParameter(std::string(name), "Must be an integer.");
  }
  return std::optional<int>(static_cast<int>(v->as_int64()));
}

Task<Result<SessionAnswer>> UpdatePolicy(const PeopleApiDeps& d, Request& req, const Caller& c,
                                         const RequestContext& ctx) {
  auto body = ParseBody(req, {"mfa_required_for_all", "idle_timeout_minutes",
                              "absolute_timeout_hours", "auto_block_ip", "auto_revoke_key"});
  if (!body) {
    co_return body.error();
  }
  people::PolicyParams p;
  auto mfa = OptBool(*body, "mfa_required_for_all");
  if (!mfa) {
    co_return mfa.error();
  }
  p.mfa_required_for_all = *mfa;
  auto idle = OptInt(*body, "idle_timeout_minutes");
  if (!idle) {
    co_return idle.error();
  }
  p.idle_timeout_minutes = *idle;
  auto abs = OptInt(*body, "absolute_timeout_hours");
  if (!abs) {
    co_return abs.error();
  }
  p.absolute_timeout_hours = *abs;
  auto block = OptBool(*body, "auto_block_ip");
  if (!block) {
    co_return block.error();
  }
  p.auto_block_ip = *block;
  auto revoke = OptBool(*body, "auto_revoke_key");
  if (!revoke) {
    co_return revoke.error();
  }
  p.auto_revoke_key = *revoke;
  auto r = co_await d.team.UpdatePolicy(c, req.params.at(0), p, ctx);
  if (!r) {
    co_return r.error();
  }
  co_return Body(PolicyJson(*r, true));
}

Task<Result<SessionAnswer>> Permissions(const PeopleApiDeps&, Request&, const Caller&,
                                        const RequestContext&) {
  json::array data;
  for (const auto& p : people::MerchantPermissions()) {
    data.push_back(json::object{{"id", p.id}, {"description", p.description}});
  }
  co_return Body(json::object{{"object", "list"},
                              {"url", "/dashboard/api/permissions"},
                              {"has_more", false},
                              {"data", std::move(data)}});
}

// ---- operators: merchants ----

json::object MerchantJson(const people::MerchantSummary& m) {
  return json::object{{"object", "merchant"}, {"id", m.id},
                      {"name", m.name},       {"created", Seconds(m.created_us)},
                      {"frozen", m.frozen},   {"users", m.users}};
}

Task<Result<SessionAnswer>> OpsListMerchants(const PeopleApiDeps& d, Request& req, const Caller& c,
                                             const RequestContext&) {
  auto params = ListQuery(req);
  if (!params) {
    co_return params.error();
  }
  auto page = co_await d.operators.ListMerchants(c, *params);
  if (!page) {
    co_return page.error();
  }
  co_return Body(
      ListJson(*page, "/ops/api/merchants", [](const auto& m) { return MerchantJson(m); }));
}

Task<Result<SessionAnswer>> OpsGetMerchant(const PeopleApiDeps& d, Request& req, const Caller& c,
                                           const RequestContext&) {
  auto m = co_await d.operators.GetMerchant(c, req.params.at(0));
  if (!m) {
    co_return m.error();
  }
  co_return Body(MerchantJson(*m));
}

Task<Result<SessionAnswer>> OpsSetFrozen(const PeopleApiDeps& d, Request& req, const Caller& c,
                                         const RequestContext& ctx, bool frozen) {
  auto body = ParseBody(req, {"reason"});
  if (!body) {
    co_return body.error();
  }
  auto reason = RequiredString(*body, "reason", 500);
  if (!reason) {
    co_return reason.error();
  }
  // No co_await inside a ternary: GCC 12 miscompiles it (the answer's memory was corrupted).
  Result<people::MerchantSummary> m = people::NotFound("merchant");
  if (frozen) {
    m = co_await d.operators.Freeze(c, req.params.at(0), std::move(*reason), ctx);
  } else {
    m = co_await d.operators.Unfreeze(c, req.params.at(0), std::move(*reason), ctx);
  }
  if (!m) {
    co_return m.error();
  }
  co_return Body(MerchantJson(*m));
}

Task<Result<SessionAnswer>> OpsFreeze(const PeopleApiDeps& d, Request& req, const Caller& c,
                                      const RequestContext& ctx) {
  return OpsSetFrozen(d, req, c, ctx, true);
}

Task<Result<SessionAnswer>> OpsUnfreeze(const PeopleApiDeps& d, Request& req, const Caller& c,
                                        const RequestContext& ctx) {
  return OpsSetFrozen(d, req, c, ctx, false);
}

// A route's declared permission, checked before its handler parses the request (the contract's
// order, §1): for a merchant route ({m} first in the path) membership, frozen and permission;
// for an operator route the operator role's permission. "none": any signed-in account.
Task<Result<SessionAnswer>> Authorized(const PeopleApiDeps& d, Request& req, const Caller& c,
                                       const RequestContext& ctx, const std::string& permission,
                                       Fn fn) {
  if (permission != "none") {
    if (c.kind == people::AccountKind::kOperator) {
      if (auto a = people::AuthorizeOperator(c, permission); !a) {
        if (a.error().code == "permission_denied") {
          d.pipeline.Refused(req, c, "permission_denied", {});
        }
        co_return a.error();
      }
    } else if (auto a = people::Authorize(c, req.params.at(0), permission); !a) {
      if (a.error().code == "permission_denied") {
        d.pipeline.Refused(req, c, "permission_denied", req.params.at(0));
      }
      co_return a.error();
    }
  }
  co_return co_await fn(d, req, c, ctx);
}

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

}  // namespace

std::string InvitationEventObject(const people::Invitation& invitation,
                                  std::string_view invite_url) {
  json::object o = InvitationJson(invitation, false);
  o["merchant"] = invitation.merchant_id;
  o["invite_url"] = invite_url;
  return json::serialize(o);
}

void RegisterDashboardApi(http::Router& r, const PeopleApiDeps& deps) {
  const std::string p = "/dashboard/api";
  RegisterAccountRoutes(r, deps, p);
  const PeopleApiDeps* d = &deps;
  using people::MfaGate;
  // Merchant routes: the permission is declared here and checked (membership 404 → frozen 403
  // → permission 403) before the handler parses anything; the team service checks again, then
  // step-up 401.
  auto add = [&](std::string method, std::string path, std::string permission, Fn fn) {
    r.Add(std::move(method), p + path, permission,
          d->pipeline.Wrap(MfaGate::kSatisfied, [d, fn, permission](Request& req, const Caller& c,
                                                                    const RequestContext& ctx) {
            return Authorized(*d, req, c, ctx, permission, fn);
          }));
  };
  auto pub = [&](std::string path, PubFn fn) {
    r.Add("POST", p + path, "none",
          d->pipeline.WrapPublic(
              [d, fn](Request& req, const RequestContext& ctx) { return fn(*d, req, ctx); }));
  };
  pub("/invitations/lookup", LookupInvitation);
  pub("/invitations/accept", AcceptInvitation);
  add("GET", "/permissions", "none", Permissions);
  add("GET", "/merchants/{m}/users", "users:read", ListUsers);
  add("PATCH", "/merchants/{m}/users/{id}", "users:write", ChangeRole);
  add("DELETE", "/merchants/{m}/users/{id}", "users:write", RemoveUser);
  add("DELETE", "/merchants/{m}/users/{id}/sessions", "users:write", RevokeUserSessions);
  add("GET", "/merchants/{m}/invitations", "users:read", ListInvitations);
  add("POST", "/merchants/{m}/invitations", "users:write", Invite);
  add("DELETE", "/merchants/{m}/invitations/{id}", "users:write", RevokeInvitation);
  add("GET", "/merchants/{m}/roles", "users:read", ListRoles);
  add("POST", "/merchants/{m}/roles", "roles:write", CreateRole);
  add("PATCH", "/merchants/{m}/roles/{id}", "roles:write", UpdateRole);
  add("DELETE", "/merchants/{m}/roles/{id}", "roles:write", DeleteRole);
  add("GET", "/merchants/{m}/security_policy", "settings:read", GetPolicy);
  add("PATCH", "/merchants/{m}/security_policy", "settings:write", UpdatePolicy);
}

void RegisterOpsApi(http::Router& r, const PeopleApiDeps& deps) {
  const std::string p = "/ops/api";
  RegisterAccountRoutes(r, deps, p);
  const PeopleApiDeps* d = &deps;
  auto add = [&](std::string method, std::string path, std::string permission, Fn fn) {
    r.Add(std::move(method), p + path, permission,
          d->pipeline.Wrap(
              people::MfaGate::kSatisfied,
              [d, fn, permission](Request& req, const Caller& c, const RequestContext& ctx) {
                return Authorized(*d, req, c, ctx, permission, fn);
              }));
  };
  add("GET", "/merchants", "merchants:read", OpsListMerchants);
  add("GET", "/merchants/{id}", "merchants:read", OpsGetMerchant);
  add("POST", "/merchants/{id}/freeze", "merchants:write", OpsFreeze);
  add("POST", "/merchants/{id}/unfreeze", "merchants:write", OpsUnfreeze);
}

}  // namespace lp::api
