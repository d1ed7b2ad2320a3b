// GET/PUT /v1/routing, GET /v1/routing/versions, POST /v1/routing/versions/{n}/activate,
// POST /v1/routing/simulate (PRODUCT.md §2; docs/routing.md).
#include <boost/json.hpp>
#include <charconv>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "lp/routing/routing.hpp"

namespace lp::api::handlers {

namespace json = boost::json;

namespace {

json::object VersionObject(const payments::PaymentService::RoutingVersion& v) {
  json::object o{{"object", "routing_config"},
                 {"version", v.version},
                 {"active", v.active},
                 {"created", v.created_us / 1'000'000},
                 {"created_by", v.created_by}};
  boost::system::error_code ec;
  auto cfg = json::parse(v.config_json, ec);
  if (!ec && cfg.is_object()) {
    for (const auto& kv : cfg.as_object()) o[kv.key()] = kv.value();
  }
  return o;
}

}  // namespace

Task<Result<Answer>> GetRouting(const MerchantApiDeps& d, Request& req, const Principal& p) {
  if (auto q = ParseQuery(req, {}); !q) co_return q.error();
  auto v = co_await d.payments.GetRouting(p);
  if (!v) co_return v.error();
  if (!*v) {
    // Never configured: routing by creation order.
    co_return Answer{json::serialize(json::object{{"object", "routing_config"},
                                                  {"version", nullptr},
                                                  {"active", true},
                                                  {"rules", json::array{}},
                                                  {"fallback", json::array{}},
                                                  {"max_attempts", routing::kDefaultMaxAttempts}})};
  }
  co_return Answer{json::serialize(VersionObject(**v))};
}

Task<Result<Answer>> PutRouting(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body = ParseBody(req, {"rules", "fallback", "max_attempts"});
  if (!body) co_return body.error();
  auto v = co_await d.payments.PutRouting(p, json::serialize(*body), d.pipeline.ActorOf(req, p));
  if (!v) co_return v.error();
  co_return Answer{json::serialize(VersionObject(*v))};
}

Task<Result<Answer>> ListRoutingVersions(const MerchantApiDeps& d, Request& req,
                                         const Principal& p) {
  if (auto q = ParseQuery(req, {}); !q) co_return q.error();
  auto l = co_await d.payments.RoutingVersions(p);
  if (!l) co_return l.error();
  json::array data;
  for (const auto& v : *l) data.push_back(VersionObject(v));
  co_return Answer{json::serialize(
      json::object{{"object", "list"}, {"data", std::move(data)}, {"has_more", false}})};
}

Task<Result<Answer>> ActivateRoutingVersion(const MerchantApiDeps& d, Request& req,
                                            const Principal& p) {
  auto body = ParseBody(req, {});
  if (!body) co_return body.error();
  const std::string& n = req.params.at(0);
  int64_t version = 0;
  auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), version);
  if (ec != std::errc() || end != n.data() + n.size() || version < 1 || n.size() > 18) {
    co_return Error::NotFound("No such routing version: '" + n + "'", "version");
  }
  auto v = co_await d.payments.ActivateRouting(p, version, d.pipeline.ActorOf(req, p));
  if (!v) co_return v.error();
  co_return Answer{json::serialize(VersionObject(*v))};
}

Task<Result<Answer>> SimulateRouting(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto body = ParseBody(req, {"amount", "currency", "payment_method", "capture_method", "metadata",
                              "customer_country"});
  if (!body) co_return body.error();
  payments::PaymentService::SimulateInput in;
  const auto* amount = body->if_contains("amount");
  if (!amount) co_return Error::Invalid("parameter_missing", "amount is required.", "amount");
  if (!amount->is_int64() || amount->as_int64() < 1) {
    co_return Error::Invalid("parameter_invalid", "amount must be a positive integer.", "amount");
  }
  in.amount = amount->as_int64();
  auto currency = OptString(*body, "currency", 3);
  if (!currency) co_return currency.error();
  if (!*currency || (*currency)->size() != 3) {
    co_return Error::Invalid("parameter_invalid", "currency is a 3-letter ISO 4217 code.",
                             "currency");
  }
  for (char c : **currency) in.currency.push_back(static_cast<char>(std::toupper(c)));
  auto pm = OptString(*body, "payment_method", 255);
  if (!pm) co_return pm.error();
  if (!*pm) {
    co_return Error::Invalid("parameter_missing", "payment_method is required.", "payment_method");
  }
  in.payment_method = **pm;
  auto cm = OptString(*body, "capture_method", 20);
  if (!cm) co_return cm.error();
  if (*cm) {
    if (**cm != "automatic" && **cm != "manual") {
      co_return Error::Invalid("parameter_invalid", "capture_method is automatic or manual.",
                               "capture_method");
    }
    in.capture_method = **cm;
  }
  auto country = OptString(*body, "customer_country", 2);
  if (!country) co_return country.error();
  if (*country) {
    for (char c : **country) {
      in.customer_country.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  if (const auto* md = body->if_contains("metadata"); md && !md->is_null()) {
    if (!md->is_object() || md->as_object().size() > 50) {
      co_return Error::Invalid("parameter_invalid",
                               "metadata is an object of at most 50 string values.", "metadata");
    }
    for (const auto& kv : md->as_object()) {
      if (!kv.value().is_string()) {
        co_return Error::Invalid("parameter_invalid", "metadata values are strings.",
                                 "metadata." + std::string(kv.key()));
      }
      in.metadata.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    }
  }
  auto s = co_await d.payments.SimulateRouting(p, std::move(in));
  if (!s) co_return s.error();
  co_return Answer{std::move(*s)};
}

}  // namespace lp::api::handlers
