#include "api/render.hpp"

#include <boost/json.hpp>

#include "lp/common/json_list.hpp"
#include "lp/connectors/descriptor.hpp"
#include "lp/payments/representation.hpp"
#include "lp/people/authorization.hpp"

namespace lp::api {

namespace json = boost::json;

namespace {

json::value Seconds(const std::optional<int64_t>& us) {
  return us ? json::value(*us / 1'000'000) : json::value(nullptr);
}

json::value OptString(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object KeyObject(const merchants::ApiKey& k, int64_t now_us) {
  json::object o;
  o["id"] = k.id;
  o["object"] = "api_key";
  o["type"] = k.type;
  o["livemode"] = k.mode == Mode::kLive;
  o["prefix"] = k.prefix;
  o["last4"] = k.last4;
  o["scopes"] = k.type == "restricted" ? json::value(Strings(k.scopes)) : json::value(nullptr);
  o["allowed_cidrs"] = Strings(k.allowed_cidrs);
  o["status"] = k.Status(now_us);
  o["created"] = k.created_us / 1'000'000;
  o["expires_at"] = Seconds(k.expires_at_us);
  o["revoked_at"] = Seconds(k.revoked_at_us);
  o["last_used_at"] = Seconds(k.last_used_at_us);
  o["last_used_ip"] = OptString(k.last_used_ip);
  o["rolled_to"] = OptString(k.rolled_to);
  return o;
}

json::object AccountObject(const merchants::ConnectorAccount& a) {
  json::object o;
  o["id"] = a.id;
  o["object"] = "connector_account";
  o["connector"] = a.connector;
  o["label"] = a.label;
  o["base_url"] = OptString(a.base_url);
  // The settings its connector takes (an unknown connector: a PSP's).
  const auto* d = connectors::FindDescriptor(a.connector);
  const connectors::AccountSettings takes = d ? d->settings : connectors::AccountSettings{};
  if (takes.latency_ms) {
    o["latency_ms"] = a.latency_ms ? json::value(*a.latency_ms) : json::value(nullptr);
  }
  json::object options;
  if (takes.return_url && a.return_url) options["return_url"] = *a.return_url;
  if (takes.simulate && a.simulate) options["simulate"] = *a.simulate;
  o["options"] = options.empty() ? json::value(nullptr) : json::value(std::move(options));
  o["status"] = a.status;
  // The PSP refused the credentials (cleared when they are replaced).
  if (a.last_error_code) {
    o["last_error"] = json::object{
        {"code", *a.last_error_code},
        {"message", "The payment provider refused this account's credentials; update them."},
        {"created", a.last_error_us.value_or(0) / 1'000'000}};
  } else {
    o["last_error"] = nullptr;
  }
  o["livemode"] = a.mode == Mode::kLive;
  if (!a.credentials_fingerprint) {
    o["credentials"] = nullptr;
  } else {
    o["credentials"] = json::object{{"fingerprint", *a.credentials_fingerprint},
                                    {"last4", a.credentials_last4.value_or("")}};
  }
  o["created"] = a.created_us / 1'000'000;
  o["updated"] = a.updated_us.value_or(a.created_us) / 1'000'000;
  return o;
}

json::object EndpointObject(const webhooks::Endpoint& e) {
  json::object o;
  o["id"] = e.id;
  o["object"] = "webhook_endpoint";
  o["url"] = e.url;
  o["enabled_events"] = Strings(e.enabled_events);
  o["description"] = OptString(e.description);
  o["status"] = e.status;
  o["livemode"] = e.mode == Mode::kLive;
  o["created"] = e.created_us / 1'000'000;
  o["updated"] = e.updated_us / 1'000'000;
  o["previous_secret_expires_at"] = Seconds(e.previous_secret_expires_us);
  return o;
}

json::object DeliveryObject(const webhooks::Delivery& d) {
  json::array attempts;
  for (const auto& a : d.attempts) {
    attempts.push_back(json::object{
        {"attempt", a.attempt},
        {"time", a.time_us / 1'000'000},
        {"status_code", a.status_code ? json::value(*a.status_code) : json::value(nullptr)},
        {"latency_ms", a.latency_us ? json::value(static_cast<double>(*a.latency_us) / 1000)
                                    : json::value(nullptr)},
        {"error", OptString(a.error)}});
  }
  return json::object{{"id", d.id},
                      {"object", "webhook_delivery"},
                      {"event", d.event_id},
                      {"endpoint", d.endpoint_id},
                      {"status", d.status},
                      {"attempt_count", d.attempt_count},
                      {"next_attempt_at", Seconds(d.next_attempt_us)},
                      {"created", d.created_us / 1'000'000},
                      {"attempts", std::move(attempts)}};
}

}  // namespace

std::string RenderApiKey(const merchants::ApiKey& k, int64_t now_us) {
  return json::serialize(KeyObject(k, now_us));
}

std::string RenderNewKey(const merchants::NewKey& k, int64_t now_us) {
  json::object o = KeyObject(k.key, now_us);
  o["secret"] = k.secret;
  if (k.rolled_from) o["rolled_from"] = *k.rolled_from;
  return json::serialize(o);
}

std::string RenderApiKeys(const Page<merchants::ApiKey>& page, int64_t now_us) {
  json::array items;
  for (const auto& k : page.items) items.push_back(KeyObject(k, now_us));
  return RenderList(std::move(items), page.has_more, "/v1/api_keys");
}

std::string RenderAccount(const merchants::ConnectorAccount& a) {
  return json::serialize(AccountObject(a));
}

std::string RenderAccounts(const Page<merchants::ConnectorAccount>& page) {
  json::array items;
  for (const auto& a : page.items) items.push_back(AccountObject(a));
  return RenderList(std::move(items), page.has_more, "/v1/connector_accounts");
}

std::string RenderEndpoint(const webhooks::Endpoint& e) {
  return json::serialize(EndpointObject(e));
}

std::string RenderEndpointWithSecret(const webhooks::EndpointWithSecret& e) {
  json::object o = EndpointObject(e.endpoint);
  o["secret"] = e.secret;  // shown once
  return json::serialize(o);
}

std::string RenderEndpoints(const Page<webhooks::Endpoint>& page) {
  json::array items;
  for (const auto& e : page.items) items.push_back(EndpointObject(e));
  return RenderList(std::move(items), page.has_more, "/v1/webhook_endpoints");
}

std::string RenderDeliveries(const std::vector<webhooks::Delivery>& deliveries,
                             std::string_view url) {
  json::array items;
  for (const auto& d : deliveries) items.push_back(DeliveryObject(d));
  return RenderList(std::move(items), false, url);
}

std::string RenderDeliveryPage(const Page<webhooks::Delivery>& page, std::string_view url) {
  json::array items;
  for (const auto& d : page.items) items.push_back(DeliveryObject(d));
  return RenderList(std::move(items), page.has_more, url);
}

std::string RenderPayments(const Page<payments::Payment>& page) {
  std::vector<std::string> items;
  items.reserve(page.items.size());
  for (const auto& p : page.items) items.push_back(payments::PaymentBody(p));
  return RenderTextList(items, page.has_more, "/v1/payments");
}

std::string RenderRefunds(const Page<payments::Refund>& page) {
  std::vector<std::string> items;
  items.reserve(page.items.size());
  for (const auto& r : page.items) items.push_back(payments::RefundBody(r));
  return RenderTextList(items, page.has_more, "/v1/refunds");
}

std::string RenderEvents(const Page<std::string>& page) {
  return RenderTextList(page.items, page.has_more, "/v1/events");
}

std::string RenderDeleted(std::string_view id, std::string_view object) {
  return json::serialize(json::object{{"id", id}, {"object", object}, {"deleted", true}});
}

namespace {

void Mask(json::value& v) {
  if (v.is_array()) {
    for (auto& e : v.as_array()) Mask(e);
    return;
  }
  if (!v.is_object()) return;
  for (auto& kv : v.as_object()) {
    const std::string_view key(kv.key());
    json::value& x = kv.value();
    if (key == "description" && !x.is_null()) {
      x = "•••";
    } else if (key == "metadata" && x.is_object()) {
      for (auto& m : x.as_object()) m.value() = "•••";
    } else if (key == "email" && x.is_string()) {
      x = people::MaskEmail(std::string_view(x.as_string()));
    } else if (key == "source_ip" || key == "last_used_ip") {
      x = nullptr;
    } else {
      Mask(x);
    }
  }
}

}  // namespace

std::string MaskPersonalData(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return std::string(body);
  Mask(v);
  return json::serialize(v);
}

}  // namespace lp::api
