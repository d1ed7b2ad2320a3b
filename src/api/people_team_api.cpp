// The dashboard routes: invitations (no session) and the team (users, invitations, roles,
// security policy).
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

}  // namespace

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

}  // namespace lp::api
