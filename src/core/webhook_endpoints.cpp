#include "lp/core/webhook_endpoints.hpp"

#include <boost/json.hpp>

#include "core/pagination.hpp"
#include "core/render.hpp"
#include "lp/audit/audit.hpp"
#include "lp/common/random.hpp"
#include "lp/webhook/dispatcher.hpp"
#include "lp/webhook/signer.hpp"

namespace lp::core {

namespace json = boost::json;

const std::vector<std::string>& EventTypes() {
  static const std::vector<std::string> kTypes = {
      "payment.succeeded",        "payment.failed",   "payment.processing",
      "payment.requires_capture", "payment.captured", "payment.cancelled",
      "refund.succeeded",         "refund.failed",    "security.alert"};
  return kTypes;
}

namespace {

constexpr std::string_view kCols =
    "id, url, enabled_events, description, status, mode, created, updated, old_secret_expires";

json::object EndpointJson(const store::Row& r) {
  json::object o;
  o["id"] = r.Text(0);
  o["object"] = "webhook_endpoint";
  o["url"] = r.Text(1);
  boost::system::error_code ec;
  auto ev = json::parse(r.Text(2), ec);
  o["enabled_events"] = ec ? json::value(json::array()) : ev;
  o["description"] = r.IsNull(3) ? json::value(nullptr) : json::value(r.Text(3));
  o["status"] = r.Text(4);
  o["livemode"] = r.Text(5) == "live";
  o["created"] = r.Int(6) / 1'000'000;
  o["updated"] = r.Int(7) / 1'000'000;
  o["previous_secret_expires_at"] =
      r.IsNull(8) ? json::value(nullptr) : json::value(r.Int(8) / 1'000'000);
  return o;
}

Result<std::optional<json::object>> LoadEndpoint(store::Tx& tx, const Principal& p,
                                                 std::string_view id) {
  std::optional<json::object> out;
  auto r = tx.Query("SELECT " + std::string(kCols) +
                        " FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND mode = ? "
                        "AND status != 'deleted'",
                    {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
                      out = EndpointJson(row);
                      return false;
                    });
  if (!r) return r.error();
  return out;
}

Error NoSuchEndpoint(std::string_view id) {
  return Error::NotFound("No such webhook endpoint: '" + std::string(id) + "'", "id");
}

std::string EventsJson(const std::vector<std::string>& events) {
  json::array a;
  for (const auto& e : events) a.emplace_back(e);
  return json::serialize(a);
}

audit::Record AuditOf(const Actor& a, const Principal& p, std::string action, std::string target) {
  return audit::Record{a.type,        a.id,      std::move(action), std::move(target),
                       p.merchant_id, "success", a.source_ip,       a.request_id,
                       "{}"};
}

}  // namespace

WebhookEndpointService::WebhookEndpointService(store::Store& store, const crypto::KeyRing& keyring,
                                               const Clock& clock, net::OutboundPolicy policy)
    : store_(store), keyring_(keyring), clock_(clock), policy_(std::move(policy)) {}

Result<void> WebhookEndpointService::CheckUrl(std::string_view url) const {
  auto parsed = net::ParseWebhookUrl(url, policy_);
  if (!parsed) {
    Error e = parsed.error();
    e.param = "url";
    if (e.type != ErrorType::kInvalidRequest) e.type = ErrorType::kInvalidRequest;
    return e;
  }
  return {};
}

Task<Result<ApiResult>> WebhookEndpointService::Create(const Principal& p, EndpointParams params,
                                                       Actor actor) {
  ApiResult out;
  const std::string id = NewId("we");
  const int64_t now = clock_.NowMicros();
  std::string secret = webhook::GenerateSecret();
  auto sealed = keyring_.Seal(secret, webhook::SecretAd(id, false));
  if (!sealed) co_return sealed.error();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec(
        "INSERT INTO webhook_endpoints (id, merchant_id, mode, url, enabled_events, description, "
        "secret_sealed, status, created, updated) VALUES (?,?,?,?,?,?,?,'enabled',?,?)",
        {id, p.merchant_id, ToString(p.mode), *params.url, EventsJson(*params.enabled_events),
         params.description, store::Value::Blob(*sealed), now, now});
    if (!r) return r.error();
    auto j = LoadEndpoint(tx, p, id);
    if (!j) return j.error();
    json::object o = std::move(**j);
    o["secret"] = secret;  // shown once
    out.body = json::serialize(o);
    return audit::Append(tx, AuditOf(actor, p, "webhook_endpoint.create", id), now);
  });
  std::fill(secret.begin(), secret.end(), '\0');
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<ApiResult>> WebhookEndpointService::Update(const Principal& p, std::string id,
                                                       EndpointParams params, Actor actor) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto j = LoadEndpoint(tx, p, id);
    if (!j) return j.error();
    if (!*j) return NoSuchEndpoint(id);
    auto set = [&](std::string_view col, store::Value v) -> Result<void> {
      auto r = tx.Exec("UPDATE webhook_endpoints SET " + std::string(col) + " = ? WHERE id = ?",
                       {v, id});
      if (!r) return r.error();
      return {};
    };
    if (params.url) {
      if (auto r = set("url", *params.url); !r) return r;
    }
    std::string events;
    if (params.enabled_events) {
      events = EventsJson(*params.enabled_events);
      if (auto r = set("enabled_events", events); !r) return r;
    }
    if (params.description) {
      if (auto r = set("description", *params.description); !r) return r;
    }
    if (params.status) {
      if (auto r = set("status", *params.status); !r) return r;
    }
    if (auto r = set("updated", now); !r) return r;
    j = LoadEndpoint(tx, p, id);
    if (!j) return j.error();
    out.body = json::serialize(**j);
    return audit::Append(tx, AuditOf(actor, p, "webhook_endpoint.update", id), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<ApiResult>> WebhookEndpointService::Delete(const Principal& p, std::string id,
                                                       Actor actor) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto j = LoadEndpoint(tx, p, id);
    if (!j) return j.error();
    if (!*j) return NoSuchEndpoint(id);
    auto r = tx.Exec(
        "UPDATE webhook_endpoints SET status = 'deleted', secret_sealed = NULL, "
        "old_secret_sealed = NULL, updated = ? WHERE id = ?",
        {now, id});
    if (!r) return r.error();
    out.body = json::serialize(
        json::object{{"id", id}, {"object", "webhook_endpoint"}, {"deleted", true}});
    return audit::Append(tx, AuditOf(actor, p, "webhook_endpoint.delete", id), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<ApiResult>> WebhookEndpointService::Get(const Principal& p, std::string id) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto j = LoadEndpoint(tx, p, id);
    if (!j) return j.error();
    if (!*j) return NoSuchEndpoint(id);
    out.body = json::serialize(**j);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<ApiResult>> WebhookEndpointService::List(const Principal& p, ListParams params) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    json::array items;
    auto listed =
        ListPage(tx, {"webhook_endpoints", kCols, {}, "status != 'deleted'", false}, p, params,
                 [&](const store::Row& row) { items.push_back(EndpointJson(row)); });
    if (!listed) return listed.error();
    const bool more = *listed;
    out.body = RenderList(std::move(items), more, "/v1/webhook_endpoints");
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<ApiResult>> WebhookEndpointService::RotateSecret(const Principal& p, std::string id,
                                                             Actor actor) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  std::string current_blob;
  auto load = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    bool found = false;
    auto q = tx.Query(
        "SELECT secret_sealed FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND "
        "mode = ? AND status != 'deleted'",
        {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
          found = true;
          current_blob = row.IsNull(0) ? "" : row.Text(0);
          return false;
        });
    if (!q) return q;
    if (!found) return NoSuchEndpoint(id);
    return {};
  });
  if (!load) co_return load.error();
  // The current secret becomes the previous one (still signed with for 24 h).
  auto current = keyring_.Open(current_blob, webhook::SecretAd(id, false));
  if (!current) co_return current.error();
  auto old_sealed = keyring_.Seal(current->view(), webhook::SecretAd(id, true));
  if (!old_sealed) co_return old_sealed.error();
  std::string secret = webhook::GenerateSecret();
  auto sealed = keyring_.Seal(secret, webhook::SecretAd(id, false));
  if (!sealed) co_return sealed.error();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec(
        "UPDATE webhook_endpoints SET secret_sealed = ?, old_secret_sealed = ?, "
        "old_secret_expires = ?, updated = ? WHERE id = ? AND secret_sealed = ?",
        {store::Value::Blob(*sealed), store::Value::Blob(*old_sealed),
         now + int64_t{24} * 3600 * 1'000'000, now, id, store::Value::Blob(current_blob)});
    if (!r) return r.error();
    if (*r != 1) {
      return Error::Conflict("concurrent_update", "The secret was rotated concurrently; retry.");
    }
    auto j = LoadEndpoint(tx, p, id);
    if (!j) return j.error();
    json::object o = std::move(**j);
    o["secret"] = secret;
    out.body = json::serialize(o);
    return audit::Append(tx, AuditOf(actor, p, "webhook_endpoint.rotate_secret", id), now);
  });
  std::fill(secret.begin(), secret.end(), '\0');
  if (!w) co_return w.error();
  co_return out;
}

namespace {
Result<bool> EventOwned(store::Tx& tx, const Principal& p, std::string_view event_id) {
  bool found = false;
  auto q = tx.Query("SELECT 1 FROM events WHERE id = ? AND merchant_id = ? AND mode = ?",
                    {event_id, p.merchant_id, ToString(p.mode)}, [&](const store::Row&) {
                      found = true;
                      return false;
                    });
  if (!q) return q.error();
  return found;
}

Result<json::array> DeliveriesOf(store::Tx& tx, std::string_view event_id,
                                 std::optional<std::string_view> only_created_after = {}) {
  json::array items;
  std::vector<std::string> ids;
  auto q = tx.Query(
      "SELECT id, endpoint_id, state, attempts, next_attempt_at, last_status, last_error, "
      "created FROM webhook_deliveries WHERE event_id = ? ORDER BY created, id",
      {event_id}, [&](const store::Row& row) {
        json::object o{
            {"id", row.Text(0)},
            {"object", "webhook_delivery"},
            {"event", std::string(event_id)},
            {"endpoint", row.Text(1)},
            {"status", row.Text(2)},
            {"attempt_count", row.Int(3)},
            {"next_attempt_at",
             row.Text(2) == "pending" ? json::value(row.Int(4) / 1'000'000) : json::value(nullptr)},
            {"created", row.Int(7) / 1'000'000}};
        ids.push_back(row.Text(0));
        items.push_back(std::move(o));
        return true;
      });
  if (!q) return q.error();
  (void)only_created_after;
  for (size_t i = 0; i < ids.size(); ++i) {
    json::array attempts;
    auto a = tx.Query(
        "SELECT attempt, time, status_code, latency_us, error FROM webhook_attempts WHERE "
        "delivery_id = ? ORDER BY attempt",
        {ids[i]}, [&](const store::Row& row) {
          attempts.push_back(json::object{
              {"attempt", row.Int(0)},
              {"time", row.Int(1) / 1'000'000},
              {"status_code", row.IsNull(2) ? json::value(nullptr) : json::value(row.Int(2))},
              {"latency_ms", row.IsNull(3) ? json::value(nullptr)
                                           : json::value(static_cast<double>(row.Int(3)) / 1000)},
              {"error", row.IsNull(4) ? json::value(nullptr) : json::value(row.Text(4))}});
          return true;
        });
    if (!a) return a.error();
    items[i].as_object()["attempts"] = std::move(attempts);
  }
  return items;
}
}  // namespace

Task<Result<ApiResult>> WebhookEndpointService::Deliveries(const Principal& p,
                                                           std::string event_id) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto owned = EventOwned(tx, p, event_id);
    if (!owned) return owned.error();
    if (!*owned) return Error::NotFound("No such event: '" + event_id + "'", "id");
    auto items = DeliveriesOf(tx, event_id);
    if (!items) return items.error();
    out.body = RenderList(std::move(*items), false, "/v1/events/" + event_id + "/deliveries");
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<ApiResult>> WebhookEndpointService::Redeliver(const Principal& p, std::string event_id,
                                                          std::optional<std::string> endpoint_id,
                                                          Actor actor) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    std::string type, object_id;
    int64_t seq = 0;
    bool found = false;
    auto q = tx.Query(
        "SELECT type, object_id, seq, data FROM events WHERE id = ? AND merchant_id = ? AND "
        "mode = ?",
        {event_id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
          found = true;
          type = row.Text(0);
          object_id = webhook::OrderKey(row.Text(0), row.Text(1), row.Text(3));
          seq = row.Int(2);
          return false;
        });
    if (!q) return q;
    if (!found) return Error::NotFound("No such event: '" + event_id + "'", "id");
    std::vector<std::pair<std::string, std::string>> endpoints;
    auto e = tx.Query(
        "SELECT id, enabled_events FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? AND "
        "status IN ('enabled', 'failing')",
        {p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
          endpoints.emplace_back(row.Text(0), row.Text(1));
          return true;
        });
    if (!e) return e;
    json::array created;
    bool named_found = false;
    for (const auto& [eid, enabled] : endpoints) {
      if (endpoint_id) {
        if (eid != *endpoint_id) continue;
        named_found = true;
      } else {
        boost::system::error_code ec;
        auto v = json::parse(enabled, ec);
        bool match = false;
        if (!ec && v.is_array()) {
          for (const auto& x : v.as_array()) {
            match = match || (x.is_string() && (x.as_string() == "*" || x.as_string() == type));
          }
        }
        if (!match) continue;
      }
      const std::string did = NewId("whd");
      auto ins = tx.Exec(
          "INSERT INTO webhook_deliveries (id, event_id, event_seq, object_id, endpoint_id, "
          "merchant_id, state, attempts, next_attempt_at, created, updated) "
          "VALUES (?,?,?,?,?,?,'pending',0,?,?,?)",
          {did, event_id, seq, object_id, eid, p.merchant_id, now, now, now});
      if (!ins) return ins.error();
      created.push_back(json::object{{"id", did},
                                     {"object", "webhook_delivery"},
                                     {"event", event_id},
                                     {"endpoint", eid},
                                     {"status", "pending"},
                                     {"attempt_count", 0},
                                     {"attempts", json::array()},
                                     {"created", now / 1'000'000}});
    }
    if (endpoint_id && !named_found) {
      return Error::Invalid("resource_missing",
                            "No such enabled webhook endpoint: '" + *endpoint_id + "'", "endpoint");
    }
    out.body = RenderList(std::move(created), false, "/v1/events/" + event_id + "/redeliver");
    return audit::Append(tx, AuditOf(actor, p, "event.redeliver", event_id), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

}  // namespace lp::core
