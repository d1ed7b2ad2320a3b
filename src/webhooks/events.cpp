// Events: emitted in the transaction of the change they report; listed for the merchant API.
#include "lp/webhooks/events.hpp"

#include "lp/common/random.hpp"
#include "lp/webhooks/endpoints.hpp"
#include "webhooks/repositories.hpp"

namespace lp::webhooks {

Result<void> EmitEvent(store::Tx& tx, const std::string& merchant_id, Mode mode,
                       std::string_view type, std::string_view object_id,
                       std::string_view object_json, int64_t now) {
  std::string id = NewId("evt");
  // The stored body is exactly what webhooks deliver: {"id","type","created","data":{"object"}}.
  std::string body;
  body.reserve(object_json.size() + 128);
  body += "{\"id\":\"" + id + "\",\"object\":\"event\",\"type\":\"" + std::string(type) +
          "\",\"created\":" + std::to_string(now / 1'000'000) +
          ",\"livemode\":" + (mode == Mode::kLive ? "true" : "false") + ",\"data\":{\"object\":";
  body += object_json;
  body += "}}";
  // The outbox row (what the dispatcher fans out to endpoints) only when the merchant has an
  // endpoint in this mode now: an event goes to the endpoints that exist when it happens, and a
  // merchant without webhooks costs the writer no fan-out work.
  auto any = endpoints_repo::AnyReceiving(tx, merchant_id, mode);
  if (!any) return any.error();
  return events_repo::Insert(tx, id, merchant_id, mode, type, object_id, body, now, *any);
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
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto page = events_repo::List(tx, p, params, type);
    if (!page) return page.error();
    out = std::move(*page);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

}  // namespace lp::webhooks
