// people_api's shared internals: the handler signatures, the request/response helpers and the
// route-permission check (people_api.cpp, people_account_api.cpp, people_team_api.cpp,
// people_ops_api.cpp).
#pragma once

#include <boost/json.hpp>

#include "api/input.hpp"
#include "lp/api/people_api.hpp"

namespace lp::api {

namespace json = boost::json;

namespace people_internal {

using auth::SessionAnswer;
using http::Request;
using people::Caller;
using people::RequestContext;

using Fn = Task<Result<SessionAnswer>> (*)(const PeopleApiDeps&, Request&, const Caller&,
                                           const RequestContext&);
using PubFn = Task<Result<SessionAnswer>> (*)(const PeopleApiDeps&, Request&,
                                              const RequestContext&);

int64_t Seconds(int64_t us);

json::value OptSeconds(const std::optional<int64_t>& us);

SessionAnswer Body(const json::object& o);

// The prefix of the listener's API ("/dashboard/api" or "/ops/api").
std::string Prefix(const Request& req);

Result<std::string> RequiredString(const json::object& body, std::string_view name,
                                   size_t max_len = kMaxStringLength);

// A password field: any string (the rules are the service's), never trimmed.
Result<SecureBytes> PasswordField(const json::object& body, std::string_view name);

// `code` or `recovery_code`, exactly one (absent both: nullopt when not `required`).
Result<std::optional<people::SecondFactor>> FactorField(const json::object& body, bool required);

json::object RoleRefJson(const people::RoleRef& r);

json::array Strings(const std::vector<std::string>& v);

json::object SessionStatus(const people::SessionGrant& g);

Result<SessionAnswer> Granted(people::SessionGrant g);

json::object PolicyJson(const people::SecurityPolicy& p, bool full);

json::object RecoveryCodesJson(const people::RecoveryCodes& rc);

std::string MerchantUrl(const Request& req, std::string_view tail);

Result<ListParams> ListQuery(const Request& req);

// Masks e-mail addresses for a caller without pii:read in this merchant.
bool Masked(const Caller& c, std::string_view merchant_id);

json::object MemberJson(const people::MerchantUser& u, bool masked);

json::object InvitationJson(const people::Invitation& i, bool masked);

json::object RoleJson(const people::Role& r);

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

// A route's declared permission, checked before its handler parses the request (the contract's
// order, §1): for a merchant route ({m} first in the path) membership, frozen and permission;
// for an operator route the operator role's permission. "none": any signed-in account.
Task<Result<SessionAnswer>> Authorized(const PeopleApiDeps& d, Request& req, const Caller& c,
                                       const RequestContext& ctx, const std::string& permission,
                                       Fn fn);

// The account routes both listeners share (docs/dashboard-api.md §3, §9).
void RegisterAccountRoutes(http::Router& r, const PeopleApiDeps& deps, const std::string& p);

}  // namespace people_internal

}  // namespace lp::api
