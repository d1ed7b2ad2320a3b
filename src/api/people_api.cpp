// The people API's shared helpers: parameters, rendering, the route-permission check.
#include "lp/api/people_api.hpp"

#include <boost/json.hpp>

#include "api/input.hpp"
#include "api/people_api_impl.hpp"
#include "lp/people/authorization.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"

namespace lp::api {

namespace json = boost::json;
using namespace people_internal;

namespace people_internal {

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
                                   size_t max_len) {
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

}  // namespace people_internal

std::string InvitationEventObject(const people::Invitation& invitation,
                                  std::optional<std::string_view> invite_url) {
  json::object o = InvitationJson(invitation, false);
  o["merchant"] = invitation.merchant_id;
  if (invite_url) {
    o["invite_url"] = *invite_url;
  } else {
    o["invite_url"] = nullptr;
  }
  return json::serialize(o);
}

}  // namespace lp::api
