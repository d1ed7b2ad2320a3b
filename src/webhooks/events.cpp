// Events: emitted in the transaction of the change they report (sealed when the delivered body
// holds a secret); listed for the merchant API.
#include "lp/webhooks/events.hpp"

#include "lp/common/random.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/webhooks/endpoints.hpp"
#include "webhooks/repositories.hpp"

namespace lp::webhooks {

namespace {

// The stored body is exactly what webhooks deliver: {"id","type","created","data":{"object"}}.
std::string EventBody(std::string_view id, Mode mode, std::string_view type,
                      std::string_view object_json, int64_t now) {
  std::string body;
  body.reserve(object_json.size() + 128);
  body += "{\"id\":\"";
  body += id;
  body += "\",\"object\":\"event\",\"type\":\"";
  body += type;
  body += "\",\"created\":" + std::to_string(now / 1'000'000) +
          ",\"livemode\":" + (mode == Mode::kLive ? "true" : "false") + ",\"data\":{\"object\":";
  body += object_json;
  body += "}}";
  return body;
}

}  // namespace

Result<void> EmitEvent(store::Tx& tx, const std::string& merchant_id, Mode mode,
                       std::string_view type, std::string_view object_id,
                       std::string_view object_json, int64_t now) {
  const std::string id = NewId("evt");
  // The outbox row (what the dispatcher fans out to endpoints) only when the merchant has an
  // endpoint in this mode now: an event goes to the endpoints that exist when it happens, and a
  // merchant without webhooks costs the writer no fan-out work.
  auto any = endpoints_repo::AnyReceiving(tx, merchant_id, mode);
  if (!any) return any.error();
  return events_repo::Insert(tx, id, merchant_id, mode, type, object_id,
                             EventBody(id, mode, type, object_json, now), now, *any);
}

Result<void> EmitSealedEvent(store::Tx& tx, const crypto::KeyRing& keyring,
                             const std::string& merchant_id, Mode mode, std::string_view type,
                             std::string_view object_id, std::string_view shown_object_json,
                             const Secret<std::string>& delivered_object_json, int64_t now) {
  const std::string id = NewId("evt");
  std::string body = EventBody(id, mode, type, delivered_object_json.Expose(), now);
  const SecureBytes delivered = SecureBytes::TakeFrom(body);  // the plain copy is wiped
  auto sealed = keyring.Seal(delivered.view(), store::AssociatedData(kSealedDataColumn, id));
  if (!sealed) return sealed.error();
  auto any = endpoints_repo::AnyReceiving(tx, merchant_id, mode);
  if (!any) return any.error();
  return events_repo::Insert(tx, id, merchant_id, mode, type, object_id,
                             EventBody(id, mode, type, shown_object_json, now), now, *any, *sealed);
}

Task<Result<std::string>> EventService::Get(const Principal& p, std::string id) {
  std::string out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto e = events_repo::Load(tx, p, id);
    if (!e) return e.error();
    if (!*e) return Error::NotFound("No such event: '" + id + "'", "id");
    out = std::move(**e);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<Page<std::string>>> EventService::List(const Principal& p, ListParams params,
                                                   std::optional<std::string> type) {
  Page<std::string> out;
  auto r = co_await store::ReadInto(
      store_, out, [&](store::Tx& tx) { return events_repo::List(tx, p, params, type); });
  if (!r) co_return r.error();
  co_return out;
}

}  // namespace lp::webhooks
