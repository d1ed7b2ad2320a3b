#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/render.hpp"
#include "lp/auth/pipeline.hpp"
#include "lp/connectors/descriptor.hpp"

namespace lp::api::handlers {

namespace json = boost::json;

namespace {
Result<std::optional<int64_t>> ExpiresAt(const MerchantApiDeps& d, const json::object& body) {
  auto* v = body.if_contains("expires_at");
  if (!v || v->is_null()) return std::optional<int64_t>();
  const int64_t now_s = d.clock.NowSeconds();
  if (!v->is_int64() || v->as_int64() <= now_s || v->as_int64() > now_s + 10LL * 366 * 86400) {
    return Error::Invalid("parameter_invalid", "expires_at must be a future Unix time in seconds.",
                          "expires_at");
  }
  return std::optional<int64_t>(v->as_int64() * 1'000'000);
}

// An API key's allowlist: at most 100 CIDRs, each canonicalised; errors name allowed_cidrs[i].
Result<std::vector<std::string>> AllowedCidrs(const json::value& v) {
  if (!v.is_array() || v.as_array().size() > 100) {
    return Error::Invalid("parameter_invalid",
                          "allowed_cidrs must be an array of at most 100 CIDRs.", "allowed_cidrs");
  }
  std::vector<std::string> out;
  size_t i = 0;
  for (const auto& e : v.as_array()) {
    const std::string param = "allowed_cidrs[" + std::to_string(i++) + "]";
    if (!e.is_string()) {
      return Error::Invalid("parameter_invalid", "Each CIDR must be a string.", param);
    }
    auto c = auth::Cidr::Parse(std::string_view(e.as_string()));
    if (!c) return Error::Invalid("parameter_invalid", c.error().message, param);
    out.push_back(c->text());
  }
  return out;
}

}  // namespace

Task<Result<Answer>> CreateApiKey(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body = ParseBody(req, {"type", "scopes", "allowed_cidrs", "expires_at"});
  if (!body) co_return body.error();
  merchants::KeyOptions o;
  auto type = OptString(*body, "type", 20);
  if (!type) co_return type.error();
  o.type = type->value_or("secret");
  if (o.type != "secret" && o.type != "restricted" && o.type != "publishable") {
    co_return Error::Invalid("parameter_invalid", "type must be secret, restricted or publishable.",
                             "type");
  }
  if (auto* v = body->if_contains("scopes"); v && !v->is_null()) {
    if (o.type != "restricted") {
      co_return Error::Invalid("parameter_invalid", "Only restricted keys take scopes.", "scopes");
    }
    if (!v->is_array() || v->as_array().empty() || v->as_array().size() > 20) {
      co_return Error::Invalid("parameter_invalid", "scopes must be a non-empty array.", "scopes");
    }
    for (const auto& e : v->as_array()) {
      const auto& known = merchants::KnownScopes();
      if (!e.is_string() ||
          std::find(known.begin(), known.end(), std::string_view(e.as_string())) == known.end()) {
        co_return Error::Invalid("parameter_invalid",
                                 "Unknown scope; scopes are e.g. payments:read, payments:write.",
                                 "scopes");
      }
      const std::string scope(e.as_string());
      if (std::find(o.scopes.begin(), o.scopes.end(), scope) == o.scopes.end()) {
        o.scopes.push_back(scope);
      }
    }
  } else if (o.type == "restricted") {
    co_return Missing("scopes");
  }
  // A key never mints a key stronger than itself (the one rule, merchants::CheckMayManage).
  if (auto r = merchants::CheckMayManage(p, "create", o.type, o.scopes,
                                         o.type == "restricted" ? "scopes" : "type");
      !r) {
    co_return r.error();
  }
  if (auto* v = body->if_contains("allowed_cidrs"); v && !v->is_null()) {
    auto cidrs = AllowedCidrs(*v);
    if (!cidrs) co_return cidrs.error();
    o.allowed_cidrs = std::move(*cidrs);
  }
  auto expires = ExpiresAt(d, *body);
  if (!expires) co_return expires.error();
  o.expires_at_us = *expires;
  auto idem = IdempotencyFor(req);
  if (!idem) co_return idem.error();
  co_return co_await d.pipeline.Idempotent(*idem, p, /*seal=*/true, [&]() -> Task<Result<Answer>> {
    auto k = co_await d.keys.CreateKey(p, o, d.pipeline.ActorOf(req, p));
    if (!k) co_return k.error();
    co_return Answer{RenderNewKey(*k, d.clock.NowMicros()), false, 0, k->grants};
  });
}

Task<Result<Answer>> ListApiKeys(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  auto page = co_await d.keys.ListKeys(p, std::move(*params));
  if (!page) co_return page.error();
  co_return Answer{RenderApiKeys(*page, d.clock.NowMicros())};
}

Task<Result<Answer>> RollApiKey(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body = ParseBody(req, {"grace_period_hours", "expires_at"});
  if (!body) co_return body.error();
  int64_t grace = 24;
  if (auto* v = body->if_contains("grace_period_hours"); v && !v->is_null()) {
    if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 168) {
      co_return Error::Invalid("parameter_invalid",
                               "grace_period_hours must be an integer from 0 to 168.",
                               "grace_period_hours");
    }
    grace = v->as_int64();
  }
  auto expires = ExpiresAt(d, *body);
  if (!expires) co_return expires.error();
  auto idem = IdempotencyFor(req);
  if (!idem) co_return idem.error();
  co_return co_await d.pipeline.Idempotent(*idem, p, /*seal=*/true, [&]() -> Task<Result<Answer>> {
    auto k =
        co_await d.keys.RollKey(p, req.params.at(0), grace, *expires, d.pipeline.ActorOf(req, p));
    if (!k) co_return k.error();
    co_return Answer{RenderNewKey(*k, d.clock.NowMicros()), false, 0, k->grants};
  });
}

Task<Result<Answer>> RevokeApiKey(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto k = co_await d.keys.RevokeKey(p, req.params.at(0), d.pipeline.ActorOf(req, p));
  if (!k) co_return k.error();
  co_return Answer{RenderApiKey(*k, d.clock.NowMicros())};
}

Task<Result<Answer>> UpdateApiKeyCidrs(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body = ParseBody(req, {"allowed_cidrs"});
  if (!body) co_return body.error();
  const auto* v = body->if_contains("allowed_cidrs");
  if (!v) co_return Missing("allowed_cidrs");
  std::vector<std::string> cidrs;
  if (!v->is_null()) {
    auto parsed = AllowedCidrs(*v);
    if (!parsed) co_return parsed.error();
    cidrs = std::move(*parsed);
  }
  auto k = co_await d.keys.SetAllowedCidrs(p, req.params.at(0), std::move(cidrs),
                                           d.pipeline.ActorOf(req, p));
  if (!k) co_return k.error();
  co_return Answer{RenderApiKey(*k, d.clock.NowMicros())};
}

// Fields shared by create and update of a connector account.
namespace {
// base_url: https (http too in dev mode), and settable through the merchant API in dev mode only.
Result<void> ParseBaseUrl(const MerchantApiDeps& d, const json::object& body,
                          merchants::AccountParams& a) {
  auto base = OptString(body, "base_url", 2000);
  if (!base) return base.error();
  if (*base) {
    const bool https = (*base)->starts_with("https://");
    if (!https && !(d.dev_mode && (*base)->starts_with("http://"))) {
      return Error::Invalid(
          "parameter_invalid",
          d.dev_mode ? "base_url must be an http(s) URL." : "base_url must be an https URL.",
          "base_url");
    }
    if (!d.dev_mode) {
      return Error{ErrorType::kPermission,
                   "permission_denied",
                   "base_url can be set in dev mode or by an operator only.",
                   "base_url",
                   {}};
    }
    a.base_url = **base;
  }
  return {};
}

// status: update only, active or disabled.
Result<void> ParseStatus(const json::object& body, bool create, merchants::AccountParams& a) {
  auto status = OptString(body, "status", 20);
  if (!status) return status.error();
  if (*status) {
    if (create || (**status != "active" && **status != "disabled")) {
      return Error::Invalid(
          "parameter_invalid",
          create ? "status is set by update only." : "status must be active or disabled.",
          "status");
    }
    a.status = **status;
  }
  return {};
}

// options: return_url (an http(s) URL) and simulate (the sandbox's failure modes).
Result<void> ParseOptions(const json::object& body, merchants::AccountParams& a) {
  if (auto* v = body.if_contains("options"); v && !v->is_null()) {
    const json::object* o = v->if_object();
    if (!o) {
      return Error::Invalid("parameter_invalid", "options must be an object.", "options");
    }
    for (const auto& kv : *o) {
      if (kv.key() == "return_url") {
        const json::string* s = kv.value().if_string();
        if (!s || s->size() > 2000 || !(s->starts_with("https://") || s->starts_with("http://"))) {
          return Error::Invalid("parameter_invalid",
                                "options.return_url must be an http(s) URL of at most 2000 "
                                "characters.",
                                "options.return_url");
        }
        a.return_url = std::string(*s);
        continue;
      }
      if (kv.key() != "simulate") {
        return Error::Invalid("parameter_unknown", "Unknown option.",
                              "options." + std::string(kv.key()));
      }
      const json::string* s = kv.value().if_string();
      if (!s || (*s != "unavailable" && *s != "soft_decline" && *s != "timeout")) {
        return Error::Invalid("parameter_invalid",
                              "options.simulate must be unavailable, soft_decline or timeout.",
                              "options.simulate");
      }
      a.simulate = std::string(*s);
    }
  }
  return {};
}

// The settings the new account's connector does not take (update: simulate never, the others
// as stored).
Result<void> CheckSettings(const connectors::ConnectorDescriptor& connector,
                           const merchants::AccountParams& a) {
  const connectors::AccountSettings& takes = connector.settings;
  if (a.simulate && !takes.simulate) {
    return Error::Invalid("parameter_invalid", "options.simulate applies to sandbox accounts only.",
                          "options");
  }
  if (a.return_url && !takes.return_url) {
    return Error::Invalid("parameter_invalid", "options.return_url applies to PSP accounts only.",
                          "options.return_url");
  }
  if (a.latency_ms && !takes.latency_ms) {
    return Error::Invalid("parameter_invalid", "latency_ms applies to sandbox accounts only.",
                          "latency_ms");
  }
  return {};
}

Result<merchants::AccountParams> AccountParamsOf(const MerchantApiDeps& d, const json::object& body,
                                                 bool create, Mode mode) {
  merchants::AccountParams a;
  const connectors::ConnectorDescriptor* connector = nullptr;  // create: the new account's
  if (create) {
    auto c = OptString(body, "connector", 20);
    if (!c) return c.error();
    if (!*c) return Missing("connector");
    a.connector = **c;
    connector = connectors::FindDescriptor(*a.connector);
    if (!connector) {
      return Error::Invalid("parameter_invalid",
                            "connector must be " + connectors::KnownConnectorsText() + ".",
                            "connector");
    }
  }
  auto label = OptString(body, "label", 200);
  if (!label) return label.error();
  a.label = *label;
  if (auto* v = body.if_contains("credentials"); v && !v->is_null()) {
    if (!v->is_object()) {
      return Error::Invalid("parameter_invalid", "credentials must be an object.", "credentials");
    }
    if (create) {
      if (auto r = merchants::ValidateCredentials(*a.connector, v->as_object(), mode); !r)
        return r.error();
    }
    a.credentials_json = json::serialize(*v);
  } else if (create && connector->credentials_required) {
    return Missing("credentials");
  }
  if (auto r = ParseBaseUrl(d, body, a); !r) return r.error();
  if (auto r = ParseStatus(body, create, a); !r) return r.error();
  if (auto* v = body.if_contains("latency_ms"); v && !v->is_null()) {
    if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 60000) {
      return Error::Invalid("parameter_invalid", "latency_ms must be an integer 0..60000.",
                            "latency_ms");
    }
    a.latency_ms = v->as_int64();
  }
  if (auto r = ParseOptions(body, a); !r) return r.error();
  if (create) {
    if (auto r = CheckSettings(*connector, a); !r) return r.error();
  }
  return a;
}

}  // namespace

Task<Result<Answer>> CreateAccount(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body =
      ParseBody(req, {"connector", "label", "credentials", "base_url", "latency_ms", "options"});
  if (!body) co_return body.error();
  auto a = AccountParamsOf(d, *body, true, p.mode);
  if (!a) co_return a.error();
  auto idem = IdempotencyFor(req);
  if (!idem) co_return idem.error();
  co_return co_await d.pipeline.Idempotent(*idem, p, /*seal=*/false, [&]() -> Task<Result<Answer>> {
    auto account = co_await d.accounts.Create(p, *a, d.pipeline.ActorOf(req, p));
    if (!account) co_return account.error();
    co_return Answer{RenderAccount(*account)};
  });
}

Task<Result<Answer>> UpdateAccount(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body =
      ParseBody(req, {"label", "credentials", "base_url", "status", "latency_ms", "options"});
  if (!body) co_return body.error();
  auto a = AccountParamsOf(d, *body, false, p.mode);
  if (!a) co_return a.error();
  if (a->simulate) {
    co_return Error::Invalid("parameter_invalid", "options.simulate is set at creation only.",
                             "options.simulate");
  }
  auto account =
      co_await d.accounts.Update(p, req.params.at(0), std::move(*a), d.pipeline.ActorOf(req, p));
  if (!account) co_return account.error();
  co_return Answer{RenderAccount(*account)};
}

Task<Result<Answer>> ListAccounts(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  auto page = co_await d.accounts.List(p, std::move(*params));
  if (!page) co_return page.error();
  co_return Answer{RenderAccounts(*page)};
}

Task<Result<Answer>> GetAccount(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto account = co_await d.accounts.Get(p, req.params.at(0));
  if (!account) co_return account.error();
  co_return Answer{RenderAccount(*account)};
}

Task<Result<Answer>> DeleteAccount(const MerchantApiDeps& d, Request& req, const Principal& p) {
  const std::string& id = req.params.at(0);
  auto r = co_await d.accounts.Delete(p, id, d.pipeline.ActorOf(req, p));
  if (!r) co_return r.error();
  co_return Answer{RenderDeleted(id, "connector_account")};
}

namespace {
Result<webhooks::EndpointParams> EndpointParamsOf(const MerchantApiDeps& d,
                                                  const json::object& body, bool create) {
  webhooks::EndpointParams e;
  auto url = OptString(body, "url", 2048);
  if (!url) return url.error();
  if (*url) {
    if (auto r = d.endpoints.CheckUrl(**url); !r) return r.error();
    e.url = **url;
  } else if (create) {
    return Missing("url");
  }
  if (auto* v = body.if_contains("enabled_events"); v && !v->is_null()) {
    if (!v->is_array() || v->as_array().empty() || v->as_array().size() > 50) {
      return Error::Invalid("parameter_invalid",
                            "enabled_events must be a non-empty array of event types or [\"*\"].",
                            "enabled_events");
    }
    std::vector<std::string> events;
    for (const auto& x : v->as_array()) {
      const auto& known = webhooks::EventTypes();
      if (!x.is_string() ||
          (x.as_string() != "*" &&
           std::find(known.begin(), known.end(), std::string_view(x.as_string())) == known.end())) {
        return Error::Invalid("parameter_invalid",
                              "Unknown event type in enabled_events; see GET /v1/events types.",
                              "enabled_events");
      }
      events.emplace_back(x.as_string());
    }
    e.enabled_events = std::move(events);
  } else if (create) {
    return Missing("enabled_events");
  }
  auto desc = OptString(body, "description", 500);
  if (!desc) return desc.error();
  e.description = *desc;
  auto status = OptString(body, "status", 20);
  if (!status) return status.error();
  if (*status) {
    if (create || (**status != "enabled" && **status != "disabled")) {
      return Error::Invalid(
          "parameter_invalid",
          create ? "status is set by update only." : "status must be enabled or disabled.",
          "status");
    }
    e.status = **status;
  }
  return e;
}

}  // namespace

Task<Result<Answer>> CreateEndpoint(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body = ParseBody(req, {"url", "enabled_events", "description"});
  if (!body) co_return body.error();
  auto e = EndpointParamsOf(d, *body, true);
  if (!e) co_return e.error();
  auto idem = IdempotencyFor(req);
  if (!idem) co_return idem.error();
  co_return co_await d.pipeline.Idempotent(*idem, p, /*seal=*/true, [&]() -> Task<Result<Answer>> {
    auto created = co_await d.endpoints.Create(p, *e, d.pipeline.ActorOf(req, p));
    if (!created) co_return created.error();
    co_return Answer{RenderEndpointWithSecret(*created)};
  });
}

Task<Result<Answer>> UpdateEndpoint(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body = ParseBody(req, {"url", "enabled_events", "description", "status"});
  if (!body) co_return body.error();
  auto e = EndpointParamsOf(d, *body, false);
  if (!e) co_return e.error();
  auto endpoint =
      co_await d.endpoints.Update(p, req.params.at(0), std::move(*e), d.pipeline.ActorOf(req, p));
  if (!endpoint) co_return endpoint.error();
  co_return Answer{RenderEndpoint(*endpoint)};
}

Task<Result<Answer>> ListEndpoints(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  auto page = co_await d.endpoints.List(p, std::move(*params));
  if (!page) co_return page.error();
  co_return Answer{RenderEndpoints(*page)};
}

Task<Result<Answer>> GetEndpoint(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto endpoint = co_await d.endpoints.Get(p, req.params.at(0));
  if (!endpoint) co_return endpoint.error();
  co_return Answer{RenderEndpoint(*endpoint)};
}

Task<Result<Answer>> DeleteEndpoint(const MerchantApiDeps& d, Request& req, const Principal& p) {
  const std::string& id = req.params.at(0);
  auto r = co_await d.endpoints.Delete(p, id, d.pipeline.ActorOf(req, p));
  if (!r) co_return r.error();
  co_return Answer{RenderDeleted(id, "webhook_endpoint")};
}

Task<Result<Answer>> RotateEndpointSecret(const MerchantApiDeps& d, Request& req,
                                          const Principal& p) {
  // Takes no parameters: the body is not read.
  auto idem = IdempotencyFor(req);
  if (!idem) co_return idem.error();
  co_return co_await d.pipeline.Idempotent(*idem, p, /*seal=*/true, [&]() -> Task<Result<Answer>> {
    auto rotated =
        co_await d.endpoints.RotateSecret(p, req.params.at(0), d.pipeline.ActorOf(req, p));
    if (!rotated) co_return rotated.error();
    co_return Answer{RenderEndpointWithSecret(*rotated)};
  });
}

Task<Result<Answer>> Deliveries(const MerchantApiDeps& d, Request& req, const Principal& p) {
  const std::string& event_id = req.params.at(0);
  auto list = co_await d.endpoints.Deliveries(p, event_id);
  if (!list) co_return list.error();
  co_return Answer{RenderDeliveries(*list, "/v1/events/" + event_id + "/deliveries")};
}

Task<Result<Answer>> EndpointDeliveries(const MerchantApiDeps& d, Request& req,
                                        const Principal& p) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before", "status"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  if (auto s = QueryValue(*q, "status")) {
    if (*s != "pending" && *s != "succeeded" && *s != "failed") {
      co_return Error::Invalid("parameter_invalid", "status must be pending, succeeded or failed.",
                               "status");
    }
    params->status = *s;
  }
  const std::string& id = req.params.at(0);
  auto page = co_await d.endpoints.EndpointDeliveries(p, id, std::move(*params));
  if (!page) co_return page.error();
  co_return Answer{RenderDeliveryPage(*page, "/dashboard/api/merchants/" + p.merchant_id +
                                                 "/webhook_endpoints/" + id + "/deliveries")};
}

Task<Result<Answer>> Redeliver(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body = ParseBody(req, {"endpoint"});
  if (!body) co_return body.error();
  auto endpoint = OptString(*body, "endpoint", 255);
  if (!endpoint) co_return endpoint.error();
  auto idem = IdempotencyFor(req);
  if (!idem) co_return idem.error();
  const std::string& event_id = req.params.at(0);
  co_return co_await d.pipeline.Idempotent(*idem, p, /*seal=*/false, [&]() -> Task<Result<Answer>> {
    auto created =
        co_await d.endpoints.Redeliver(p, event_id, *endpoint, d.pipeline.ActorOf(req, p));
    if (!created) co_return created.error();
    co_return Answer{RenderDeliveries(*created, "/v1/events/" + event_id + "/redeliver")};
  });
}

}  // namespace lp::api::handlers
