// The operator routes: merchants.
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

}  // namespace

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
