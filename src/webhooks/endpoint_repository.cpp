// SQL of the webhook_endpoints table.
#include <boost/json.hpp>

#include "lp/store/pagination.hpp"
#include "webhooks/repositories.hpp"

namespace lp::webhooks::endpoints_repo {

namespace json = boost::json;

namespace {

constexpr std::string_view kCols =
    "id, url, enabled_events, description, status, mode, created, updated, old_secret_expires";

std::vector<std::string> Events(std::string_view text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

std::string EventsText(const std::vector<std::string>& events) {
  json::array a;
  for (const auto& e : events) a.emplace_back(e);
  return json::serialize(a);
}

Endpoint Read(const store::Row& r) {
  Endpoint e;
  e.id = r.Text(0);
  e.url = r.Text(1);
  e.enabled_events = Events(r.Text(2));
  e.description = r.OptText(3);
  e.status = r.Text(4);
  e.mode = ParseMode(r.Text(5)).value_or(Mode::kTest);
  e.created_us = r.Int(6);
  e.updated_us = r.Int(7);
  e.previous_secret_expires_us = r.OptInt(8);
  return e;
}

}  // namespace

Result<void> Insert(store::Tx& tx, const NewRow& n) {
  auto r = tx.Exec(
      "INSERT INTO webhook_endpoints (id, merchant_id, mode, url, enabled_events, description, "
      "secret_sealed, status, created, updated) VALUES (?,?,?,?,?,?,?,'enabled',?,?)",
      {n.id, n.merchant_id, ToString(n.mode), n.url, EventsText(n.enabled_events), n.description,
       store::Value::Blob(n.secret_blob), n.now_us, n.now_us});
  if (!r) return r.error();
  return {};
}

Result<std::optional<Endpoint>> Load(store::Tx& tx, const Principal& p, std::string_view id) {
  std::optional<Endpoint> out;
  auto r = tx.Query("SELECT " + std::string(kCols) +
                        " FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND mode = ? "
                        "AND status != 'deleted'",
                    {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
                      out = Read(row);
                      return false;
                    });
  if (!r) return r.error();
  return out;
}

Result<int64_t> CountActive(store::Tx& tx, const Principal& p) {
  int64_t n = 0;
  auto c = tx.Query(
      "SELECT COUNT(*) FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? AND "
      "status != 'deleted'",
      {p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
        n = row.Int(0);
        return false;
      });
  if (!c) return c.error();
  return n;
}

Result<void> Update(store::Tx& tx, std::string_view id, const Changes& c, int64_t now_us) {
  std::optional<std::string> events;
  if (c.enabled_events) events = EventsText(*c.enabled_events);
  auto r = tx.Exec(
      "UPDATE webhook_endpoints SET url = COALESCE(?, url), "
      "enabled_events = COALESCE(?, enabled_events), description = COALESCE(?, description), "
      "status = COALESCE(?, status), updated = ? WHERE id = ?",
      {c.url, events, c.description, c.status, now_us, id});
  if (!r) return r.error();
  return {};
}

Result<void> MarkDeleted(store::Tx& tx, std::string_view id, int64_t now_us) {
  auto r = tx.Exec(
      "UPDATE webhook_endpoints SET status = 'deleted', secret_sealed = NULL, "
      "old_secret_sealed = NULL, updated = ? WHERE id = ?",
      {now_us, id});
  if (!r) return r.error();
  return {};
}

Result<Page<Endpoint>> List(store::Tx& tx, const Principal& p, const ListParams& params) {
  Page<Endpoint> page;
  auto more =
      store::ListPage(tx, {"webhook_endpoints", kCols, {}, "status != 'deleted'", false}, p, params,
                      [&](const store::Row& row) { page.items.push_back(Read(row)); });
  if (!more) return more.error();
  page.has_more = *more;
  return page;
}

Result<std::optional<std::string>> SecretBlob(store::Tx& tx, const Principal& p,
                                              std::string_view id) {
  std::optional<std::string> out;
  auto q = tx.Query(
      "SELECT secret_sealed FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND "
      "mode = ? AND status != 'deleted'",
      {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
        out = row.IsNull(0) ? "" : row.Text(0);
        return false;
      });
  if (!q) return q.error();
  return out;
}

Result<bool> RotateSecret(store::Tx& tx, std::string_view id, std::string_view current_blob,
                          std::string_view new_blob, std::string_view old_blob,
                          int64_t old_expires_us, int64_t now_us) {
  auto r = tx.Exec(
      "UPDATE webhook_endpoints SET secret_sealed = ?, old_secret_sealed = ?, "
      "old_secret_expires = ?, updated = ? WHERE id = ? AND secret_sealed = ?",
      {store::Value::Blob(new_blob), store::Value::Blob(old_blob), old_expires_us, now_us, id,
       store::Value::Blob(current_blob)});
  if (!r) return r.error();
  return *r == 1;
}

Result<std::vector<std::pair<std::string, std::vector<std::string>>>> Receiving(
    store::Tx& tx, const std::string& merchant_id, std::string_view mode) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  auto e = tx.Query(
      "SELECT id, enabled_events FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? AND "
      "status IN ('enabled', 'failing')",
      {merchant_id, mode}, [&](const store::Row& row) {
        out.emplace_back(row.Text(0), Events(row.Text(1)));
        return true;
      });
  if (!e) return e.error();
  return out;
}

Result<bool> AnyReceiving(store::Tx& tx, const std::string& merchant_id, Mode mode) {
  bool any = false;
  auto e = tx.Query(
      "SELECT 1 FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? AND "
      "status IN ('enabled', 'failing') LIMIT 1",
      {merchant_id, ToString(mode)}, [&](const store::Row&) {
        any = true;
        return false;
      });
  if (!e) return e.error();
  return any;
}

Result<std::optional<SendInfo>> LoadSendInfo(store::Tx& tx, std::string_view endpoint_id) {
  std::optional<SendInfo> out;
  auto q = tx.Query(
      "SELECT url, status, secret_sealed, old_secret_sealed, old_secret_expires "
      "FROM webhook_endpoints WHERE id = ?",
      {endpoint_id}, [&](const store::Row& row) {
        out = SendInfo{row.Text(0), row.Text(1), row.IsNull(2) ? "" : row.Text(2),
                       row.IsNull(3) ? "" : row.Text(3), row.IsNull(4) ? 0 : row.Int(4)};
        return false;
      });
  if (!q) return q.error();
  return out;
}

Result<void> MarkRecovered(store::Tx& tx, std::string_view endpoint_id) {
  auto e =
      tx.Exec("UPDATE webhook_endpoints SET status = 'enabled' WHERE id = ? AND status = 'failing'",
              {endpoint_id});
  if (!e) return e.error();
  return {};
}

Result<void> MarkFailing(store::Tx& tx, std::string_view endpoint_id, int64_t now_us) {
  auto e = tx.Exec(
      "UPDATE webhook_endpoints SET status = 'failing', updated = ? WHERE id = ? AND "
      "status = 'enabled'",
      {now_us, endpoint_id});
  if (!e) return e.error();
  return {};
}

}  // namespace lp::webhooks::endpoints_repo
