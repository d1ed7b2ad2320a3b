#include "lp/api/incident_api.hpp"

#include <boost/json.hpp>

#include "api/input.hpp"
#include "lp/people/authorization.hpp"
#include "lp/people/errors.hpp"

namespace lp::api {

namespace json = boost::json;
using auth::SessionAnswer;
using http::Request;
using incident::Action;
using people::Caller;
using people::RequestContext;

namespace {

constexpr std::string_view kPermission = "merchants:write";

json::object OutcomeJson(const incident::Outcome& o, Action action) {
  json::object out{
      {"object", "incident_action"},
      {"action", o.action},
      {"target", o.target},
      {"merchant", o.merchant_id.empty() ? json::value(nullptr) : json::value(o.merchant_id)}};
  switch (action) {
    case Action::kRevokeApiKeys:
    case Action::kRevokeMerchantSessions:
    case Action::kRevokeUserSessions:
      out["revoked"] = o.count;
      break;
    case Action::kSuspendConnectorAccount:
    case Action::kEnableConnectorAccount:
      out["status"] = o.status.value_or("");
      break;
    case Action::kRotateWebhookSecrets:
      out["rotated"] = o.count;
      break;
  }
  if (action == Action::kRevokeApiKeys || action == Action::kRotateWebhookSecrets) {
    json::array ids;
    for (const auto& id : o.ids) ids.emplace_back(id);
    out[action == Action::kRevokeApiKeys ? "api_keys" : "webhook_endpoints"] = std::move(ids);
  }
  return out;
}

Task<Result<SessionAnswer>> Contain(const IncidentApiDeps& d, Request& req, const Caller& c,
                                    const RequestContext& ctx, Action action) {
  // The route's permission first (as every ops route: docs/dashboard-api.md §1), audited when
  // refused; the service checks it again, then step-up and the reason.
  if (auto a = people::AuthorizeOperator(c, kPermission); !a) {
    if (a.error().code == "permission_denied") {
      d.pipeline.Refused(req, c, "permission_denied", {});
    }
    co_return a.error();
  }
  auto body = ParseBody(req, {"reason"});
  if (!body) {
    co_return body.error();
  }
  auto reason = OptString(*body, "reason", 500);
  if (!reason) {
    co_return reason.error();
  }
  std::string text = reason->value_or("");
  std::string target = req.params.at(0);
  auto o = co_await d.containment.Run(c, action, std::move(target), std::move(text), ctx);
  if (!o) {
    co_return o.error();
  }
  if (action == Action::kRevokeApiKeys) {
    d.keys.ForgetMerchant(o->merchant_id);  // this node refuses them from the next request
  }
  co_return SessionAnswer{json::serialize(OutcomeJson(*o, action)), {}, false};
}

}  // namespace

void RegisterIncidentApi(http::Router& r, const IncidentApiDeps& deps) {
  const IncidentApiDeps* d = &deps;
  auto add = [&](std::string path, Action action) {
    r.Add("POST", "/ops/api" + path, std::string(kPermission),
          d->pipeline.Wrap(people::MfaGate::kSatisfied,
                           [d, action](Request& req, const Caller& c, const RequestContext& ctx) {
                             return Contain(*d, req, c, ctx, action);
                           }));
  };
  add("/merchants/{id}/api_keys/revoke", Action::kRevokeApiKeys);
  add("/merchants/{id}/sessions/revoke", Action::kRevokeMerchantSessions);
  add("/users/{id}/sessions/revoke", Action::kRevokeUserSessions);
  add("/connector_accounts/{id}/suspend", Action::kSuspendConnectorAccount);
  add("/connector_accounts/{id}/enable", Action::kEnableConnectorAccount);
  add("/merchants/{id}/webhook_endpoints/rotate_secrets", Action::kRotateWebhookSecrets);
}

}  // namespace lp::api
