#include <boost/json.hpp>

#include "lp/audit/audit.hpp"
#include "lp/common/random.hpp"
#include "lp/common/secret.hpp"
#include "lp/webhooks/dispatcher.hpp"
#include "lp/webhooks/endpoints.hpp"
#include "lp/webhooks/signer.hpp"
#include "webhooks/repositories.hpp"

namespace lp::webhooks {

namespace json = boost::json;

const std::vector<std::string>& EventTypes() {
  static const std::vector<std::string> kTypes = {
      "payment.succeeded", "payment.failed",    "payment.processing", "payment.requires_capture",
      "payment.captured",  "payment.cancelled", "refund.succeeded",   "refund.failed",
      "security.alert",    "user.invited"};
  return kTypes;
}

namespace {

Error NoSuchEndpoint(std::string_view id) {
  return Error::NotFound("No such webhook endpoint: '" + std::string(id) + "'", "id");
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

Task<Result<EndpointWithSecret>> WebhookEndpointService::Create(const Principal& p,
                                                                EndpointParams params,
                                                                Actor actor) {
  EndpointWithSecret out;
  const std::string id = NewId("we");
  const int64_t now = clock_.NowMicros();
  std::string secret = GenerateSecret();
  auto sealed = keyring_.Seal(secret, store::AssociatedData(kSecretColumn, id));
  if (!sealed) co_return sealed.error();
  endpoints_repo::NewRow row{id,
                             p.merchant_id,
                             p.mode,
                             *params.url,
                             *params.enabled_events,
                             params.description,
                             std::move(*sealed),
                             now};
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto existing = endpoints_repo::CountActive(tx, p);
    if (!existing) return existing.error();
    if (*existing >= kMaxEndpoints) {
      return Error::Invalid("resource_limit_exceeded",
                            "This account already has " + std::to_string(kMaxEndpoints) +
                                " webhook endpoints in this mode; delete one first.");
    }
    if (auto r = endpoints_repo::Insert(tx, row); !r) return r;
    auto e = endpoints_repo::Load(tx, p, id);
    if (!e) return e.error();
    out.endpoint = std::move(**e);
    return audit::Append(tx, AuditOf(actor, p, "webhook_endpoint.create", id), now);
  });
  if (!w) {
    crypto::SecureWipe(secret);
    co_return w.error();
  }
  out.secret = std::move(secret);  // shown once
  co_return out;
}

Task<Result<Endpoint>> WebhookEndpointService::Update(const Principal& p, std::string id,
                                                      EndpointParams params, Actor actor) {
  Endpoint out;
  const int64_t now = clock_.NowMicros();
  endpoints_repo::Changes changes{params.url, params.enabled_events, params.description,
                                  params.status};
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto e = endpoints_repo::Load(tx, p, id);
    if (!e) return e.error();
    if (!*e) return NoSuchEndpoint(id);
    if (auto r = endpoints_repo::Update(tx, id, changes, now); !r) return r;
    e = endpoints_repo::Load(tx, p, id);
    if (!e) return e.error();
    out = std::move(**e);
    return audit::Append(tx, AuditOf(actor, p, "webhook_endpoint.update", id), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<void>> WebhookEndpointService::Delete(const Principal& p, std::string id, Actor actor) {
  const int64_t now = clock_.NowMicros();
  co_return co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto e = endpoints_repo::Load(tx, p, id);
    if (!e) return e.error();
    if (!*e) return NoSuchEndpoint(id);
    if (auto r = endpoints_repo::MarkDeleted(tx, id, now); !r) return r;
    return audit::Append(tx, AuditOf(actor, p, "webhook_endpoint.delete", id), now);
  });
}

Task<Result<Endpoint>> WebhookEndpointService::Get(const Principal& p, std::string id) {
  Endpoint out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto e = endpoints_repo::Load(tx, p, id);
    if (!e) return e.error();
    if (!*e) return NoSuchEndpoint(id);
    out = std::move(**e);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<Page<Endpoint>>> WebhookEndpointService::List(const Principal& p, ListParams params) {
  Page<Endpoint> out;
  auto r = co_await store::ReadInto(
      store_, out, [&](store::Tx& tx) { return endpoints_repo::List(tx, p, params); });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<EndpointWithSecret>> WebhookEndpointService::RotateSecret(const Principal& p,
                                                                      std::string id, Actor actor) {
  EndpointWithSecret out;
  const int64_t now = clock_.NowMicros();
  std::string current_blob;
  auto load = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto b = endpoints_repo::SecretBlob(tx, p, id);
    if (!b) return b.error();
    if (!*b) return NoSuchEndpoint(id);
    current_blob = std::move(**b);
    return {};
  });
  if (!load) co_return load.error();
  // The current secret becomes the previous one (still signed with for 24 h).
  auto current = keyring_.Open(current_blob, store::AssociatedData(kSecretColumn, id));
  if (!current) co_return current.error();
  auto old_sealed = keyring_.Seal(current->view(), store::AssociatedData(kOldSecretColumn, id));
  if (!old_sealed) co_return old_sealed.error();
  std::string secret = GenerateSecret();
  auto sealed = keyring_.Seal(secret, store::AssociatedData(kSecretColumn, id));
  if (!sealed) co_return sealed.error();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto swapped = endpoints_repo::RotateSecret(tx, id, current_blob, *sealed, *old_sealed,
                                                now + int64_t{24} * 3600 * 1'000'000, now);
    if (!swapped) return swapped.error();
    if (!*swapped) {
      return Error::Conflict("concurrent_update", "The secret was rotated concurrently; retry.");
    }
    auto e = endpoints_repo::Load(tx, p, id);
    if (!e) return e.error();
    out.endpoint = std::move(**e);
    return audit::Append(tx, AuditOf(actor, p, "webhook_endpoint.rotate_secret", id), now);
  });
  if (!w) {
    crypto::SecureWipe(secret);
    co_return w.error();
  }
  out.secret = std::move(secret);
  co_return out;
}

Task<Result<std::vector<Delivery>>> WebhookEndpointService::Deliveries(const Principal& p,
                                                                       std::string event_id) {
  std::vector<Delivery> out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto e = events_repo::LoadRow(tx, p, event_id);
    if (!e) return e.error();
    if (!*e) return Error::NotFound("No such event: '" + event_id + "'", "id");
    auto items = deliveries_repo::OfEvent(tx, event_id);
    if (!items) return items.error();
    out = std::move(*items);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<Page<Delivery>>> WebhookEndpointService::EndpointDeliveries(const Principal& p,
                                                                        std::string endpoint_id,
                                                                        ListParams params) {
  Page<Delivery> out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto e = endpoints_repo::Load(tx, p, endpoint_id);
    if (!e) return e.error();
    if (!*e) return Error::NotFound("No such webhook endpoint: '" + endpoint_id + "'", "id");
    auto page = deliveries_repo::OfEndpoint(tx, endpoint_id, params);
    if (!page) return page.error();
    out = std::move(*page);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<std::vector<Delivery>>> WebhookEndpointService::Redeliver(
    const Principal& p, std::string event_id, std::optional<std::string> endpoint_id, Actor actor) {
  std::vector<Delivery> out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    out.clear();  // the transaction may run twice
    auto ev = events_repo::LoadRow(tx, p, event_id);
    if (!ev) return ev.error();
    if (!*ev) return Error::NotFound("No such event: '" + event_id + "'", "id");
    const std::string object_id = OrderKey((*ev)->type, (*ev)->object_id, (*ev)->data);
    auto endpoints = endpoints_repo::Receiving(tx, p.merchant_id, ToString(p.mode));
    if (!endpoints) return endpoints.error();
    bool named_found = false;
    for (const auto& [eid, enabled] : *endpoints) {
      if (endpoint_id) {
        if (eid != *endpoint_id) continue;
        named_found = true;
      } else if (!Wants(enabled, (*ev)->type)) {
        continue;
      }
      deliveries_repo::NewRow row{NewId("whd"), event_id,      (*ev)->seq, object_id,
                                  eid,          p.merchant_id, now};
      if (auto r = deliveries_repo::Insert(tx, row); !r) return r;
      Delivery d;
      d.id = row.id;
      d.event_id = event_id;
      d.endpoint_id = eid;
      d.status = "pending";
      d.next_attempt_us = now;
      d.created_us = now;
      out.push_back(std::move(d));
    }
    if (endpoint_id && !named_found) {
      return Error::Invalid("resource_missing",
                            "No such enabled webhook endpoint: '" + *endpoint_id + "'", "endpoint");
    }
    return audit::Append(tx, AuditOf(actor, p, "event.redeliver", event_id), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

}  // namespace lp::webhooks
