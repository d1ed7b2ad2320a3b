#include "lp/api/dashboard_merchant_api.hpp"

#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/render.hpp"
#include "lp/people/authorization.hpp"
#include "lp/people/errors.hpp"

namespace lp::api {

namespace json = boost::json;
using auth::SessionAnswer;
using http::Request;
using people::Caller;
using people::RequestContext;

namespace {

using ResourceFn = Task<Result<Answer>> (*)(const MerchantApiDeps&, Request&, const Principal&);

// Which requests of a route need a recent password (+ code) entry (docs/dashboard-api.md §1
// "Step-up").
enum class StepUp { kNever, kAlways, kWithCredentials };

// Takes `mode` out of the query (so the /v1 handler sees exactly its own parameters) and returns
// it: absent is test; anything but test or live, or a repeated mode, is 400 parameter_invalid.
Result<Mode> TakeMode(Request& req) {
  std::string rest;
  std::optional<std::string_view> value;
  size_t seen = 0;
  std::string_view q = req.query;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    const size_t eq = part.find('=');
    if (part.substr(0, eq) == "mode") {
      ++seen;
      value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
      continue;
    }
    if (!rest.empty()) {
      rest += '&';
    }
    rest += part;
  }
  Mode mode = Mode::kTest;
  if (value) {
    const auto parsed = ParseMode(*value);
    if (!parsed || seen > 1) {
      return Error::Invalid("parameter_invalid", "mode must be test or live (once).", "mode");
    }
    mode = *parsed;
  }
  req.query = std::move(rest);
  return mode;
}

bool SendsCredentials(const Request& req) {
  boost::system::error_code ec;
  const json::value v = json::parse(req.body, ec);
  return !ec && v.is_object() && v.as_object().contains("credentials");
}

bool NeedsStepUp(StepUp s, const Request& req) {
  switch (s) {
    case StepUp::kAlways:
      return true;
    case StepUp::kWithCredentials:
      return SendsCredentials(req);
    case StepUp::kNever:
      break;
  }
  return false;
}

// Membership (404), frozen (403), then the permission (403, audited as a refused request).
Result<const people::Membership*> Permit(const PeopleApiDeps& d, const Request& req,
                                         const Caller& c, std::string_view permission) {
  auto m = people::Authorize(c, req.params.at(0), permission);
  if (!m && m.error().code == "permission_denied") {
    d.pipeline.Refused(req, c, "permission_denied", req.params.at(0));
  }
  return m;
}

// The dashboard part of a §5 route, in the contract's order (§1): session, MFA gate, CSRF and
// Origin (the pipeline) → membership 404 → frozen 403 → permission 403 → step-up 401 → mode →
// the /v1 handler with the user as principal → masking without pii:read.
http::Handler Resource(const PeopleApiDeps* pd, const MerchantApiDeps* md, std::string permission,
                       StepUp step_up, ResourceFn fn) {
  return pd->pipeline.Wrap(
      people::MfaGate::kSatisfied,
      [pd, md, permission = std::move(permission), step_up, fn](
          Request& req, const Caller& c, const RequestContext&) -> Task<Result<SessionAnswer>> {
        auto m = Permit(*pd, req, c, permission);
        if (!m) {
          co_return m.error();
        }
        if (NeedsStepUp(step_up, req)) {
          if (auto s = people::RequireRecentAuthentication(c, pd->clock.NowMicros()); !s) {
            co_return s.error();
          }
        }
        auto mode = TakeMode(req);
        if (!mode) {
          co_return mode.error();
        }
        const Principal p = people::ToPrincipal(c, **m, *mode);
        req.params.erase(req.params.begin());  // the handler's {id} is its first parameter
        auto a = co_await fn(*md, req, p);
        if (!a) {
          co_return a.error();
        }
        SessionAnswer out;
        out.body = p.pii_masked ? MaskPersonalData(a->body) : std::move(a->body);
        co_return out;
      });
}

// ---- the merchant itself ----

json::object MerchantJson(const people::MerchantSummary& m) {
  return json::object{{"object", "merchant"},
                      {"id", m.id},
                      {"name", m.name},
                      {"created", m.created_us / 1'000'000},
                      {"frozen", m.frozen}};
}

// The merchant routes check the permission before parsing (the contract's order); the team
// service checks it again.
Task<Result<SessionAnswer>> GetMerchant(const PeopleApiDeps* d, Request& req, const Caller& c) {
  if (auto a = Permit(*d, req, c, "settings:read"); !a) {
    co_return a.error();
  }
  auto q = ParseQuery(req, {});
  if (!q) {
    co_return q.error();
  }
  auto m = co_await d->team.GetMerchant(c, req.params.at(0));
  if (!m) {
    co_return m.error();
  }
  co_return SessionAnswer{json::serialize(MerchantJson(*m)), {}, false};
}

Task<Result<SessionAnswer>> RenameMerchant(const PeopleApiDeps* d, Request& req, const Caller& c,
                                           const RequestContext& ctx) {
  if (auto a = Permit(*d, req, c, "settings:write"); !a) {
    co_return a.error();
  }
  auto body = ParseBody(req, {"name"});
  if (!body) {
    co_return body.error();
  }
  auto name = OptString(*body, "name", 100);
  if (!name) {
    co_return name.error();
  }
  if (!*name || (*name)->empty()) {
    co_return people::MissingParameter("name");
  }
  auto m = co_await d->team.RenameMerchant(c, req.params.at(0), std::move(**name), ctx);
  if (!m) {
    co_return m.error();
  }
  co_return SessionAnswer{json::serialize(MerchantJson(*m)), {}, false};
}

}  // namespace

void RegisterDashboardMerchantApi(http::Router& r, const PeopleApiDeps& people,
                                  const MerchantApiDeps& merchant) {
  const PeopleApiDeps* pd = &people;
  const MerchantApiDeps* md = &merchant;
  const std::string base = "/dashboard/api/merchants/{m}";
  // Each route: method, path, the permission it needs (docs/dashboard-api.md §5), step-up.
  auto add = [&](std::string method, std::string path, std::string permission, StepUp step_up,
                 ResourceFn fn) {
    r.Add(std::move(method), base + path, permission, Resource(pd, md, permission, step_up, fn));
  };
  using namespace handlers;
  const StepUp no = StepUp::kNever;
  const StepUp yes = StepUp::kAlways;
  add("GET", "/payments", "payments:read", no, ListPayments);
  add("GET", "/payments/{id}", "payments:read", no, GetPayment);
  add("POST", "/payments/{id}/capture", "payments:write", no, CapturePayment);
  add("POST", "/payments/{id}/cancel", "payments:write", no, CancelPayment);
  add("GET", "/refunds", "payments:read", no, ListRefunds);
  add("GET", "/refunds/{id}", "payments:read", no, GetRefund);
  add("POST", "/refunds", "refunds:write", no, CreateRefund);
  add("GET", "/events", "events:read", no, ListEvents);
  add("GET", "/events/{id}", "events:read", no, GetEvent);
  add("GET", "/events/{id}/deliveries", "events:read", no, Deliveries);
  add("POST", "/events/{id}/redeliver", "webhooks:write", no, Redeliver);
  add("GET", "/api_keys", "api_keys:read", no, ListApiKeys);
  add("POST", "/api_keys", "api_keys:write", yes, CreateApiKey);
  add("PATCH", "/api_keys/{id}", "api_keys:write", yes, UpdateApiKeyCidrs);
  add("POST", "/api_keys/{id}/roll", "api_keys:write", yes, RollApiKey);
  add("DELETE", "/api_keys/{id}", "api_keys:write", no, RevokeApiKey);
  add("GET", "/connector_accounts", "connectors:read", no, ListAccounts);
  add("GET", "/connector_accounts/{id}", "connectors:read", no, GetAccount);
  add("POST", "/connector_accounts", "connectors:write", yes, CreateAccount);
  add("PATCH", "/connector_accounts/{id}", "connectors:write", StepUp::kWithCredentials,
      UpdateAccount);
  add("DELETE", "/connector_accounts/{id}", "connectors:write", no, DeleteAccount);
  add("GET", "/webhook_endpoints", "webhooks:read", no, ListEndpoints);
  add("GET", "/webhook_endpoints/{id}", "webhooks:read", no, GetEndpoint);
  add("POST", "/webhook_endpoints", "webhooks:write", yes, CreateEndpoint);
  add("PATCH", "/webhook_endpoints/{id}", "webhooks:write", no, UpdateEndpoint);
  add("DELETE", "/webhook_endpoints/{id}", "webhooks:write", no, DeleteEndpoint);
  add("POST", "/webhook_endpoints/{id}/rotate_secret", "webhooks:write", yes, RotateEndpointSecret);
  add("GET", "/webhook_endpoints/{id}/deliveries", "webhooks:read", no, EndpointDeliveries);

  // The merchant: not mode-scoped; the team service authorizes (settings:read / settings:write).
  r.Add("GET", base, "settings:read",
        pd->pipeline.Wrap(people::MfaGate::kSatisfied,
                          [pd](Request& req, const Caller& c, const RequestContext&) {
                            return GetMerchant(pd, req, c);
                          }));
  r.Add("PATCH", base, "settings:write",
        pd->pipeline.Wrap(people::MfaGate::kSatisfied,
                          [pd](Request& req, const Caller& c, const RequestContext& ctx) {
                            return RenameMerchant(pd, req, c, ctx);
                          }));
}

}  // namespace lp::api
