// Events: emitted in the transaction of the change they report; listed for the merchant API.
#include "lp/webhooks/events.hpp"

#include <boost/json.hpp>

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

namespace {

// A user.invited event carries the invitation's link (and so its secret token) for the
// merchant's own mailer: only the signed webhook delivery holds it. Reading events through the
// API (events:read, which roles without users:write hold) shows `invite_url: null`, so no one
// can take over an invitation meant for someone else.
void RedactForApi(std::string& event) {
  if (event.find("\"invite_url\"") == std::string::npos) return;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(event, ec);
  if (ec || !v.is_object()) return;
  auto& o = v.as_object();
  const auto* type = o.if_contains("type");
  if (!type || !type->is_string() || type->as_string() != "user.invited") return;
  auto* data = o.if_contains("data");
  if (!data || !data->is_object()) return;
  auto* object = data->as_object().if_contains("object");
  if (!object || !object->is_object()) return;
  if (auto* url = object->as_object().if_contains("invite_url")) *url = nullptr;
  event = boost::json::serialize(v);
}

}  // namespace

Task<Result<std::string>> EventService::Get(const Principal& p, std::string id) {
  std::string out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto e = events_repo::Load(tx, p, id);
    if (!e) return e.error();
    if (!*e) return Error::NotFound("No such event: '" + id + "'", "id");
    out = std::move(**e);
    RedactForApi(out);
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
    for (auto& e : out.items) RedactForApi(e);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

}  // namespace lp::webhooks
