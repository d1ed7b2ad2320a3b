// SQL of the events table and its outbox.
#include <algorithm>

#include "lp/store/pagination.hpp"
#include "webhooks/repositories.hpp"

namespace lp::webhooks::events_repo {

Result<void> Insert(store::Tx& tx, std::string_view id, const std::string& merchant_id, Mode mode,
                    std::string_view type, std::string_view object_id, std::string_view body,
                    int64_t now_us, bool with_outbox, std::string_view sealed_body) {
  store::Value sealed =
      sealed_body.empty() ? store::Value(nullptr) : store::Value::Blob(sealed_body);
  auto r = tx.Exec(
      "INSERT INTO events (id, merchant_id, mode, type, object_id, data, created, data_sealed) "
      "VALUES (?,?,?,?,?,?,?,?)",
      {id, merchant_id, ToString(mode), type, object_id, body, now_us, sealed});
  if (!r) return r.error();
  if (!with_outbox) return {};
  r = tx.Exec(
      "INSERT INTO outbox (event_id, merchant_id, state, next_attempt_at, created) "
      "VALUES (?,?,'pending',?,?)",
      {id, merchant_id, now_us, now_us});
  if (!r) return r.error();
  return {};
}

Result<std::optional<std::string>> Load(store::Tx& tx, const Principal& p, std::string_view id) {
  std::optional<std::string> out;
  auto q = tx.Query("SELECT data FROM events WHERE id = ? AND merchant_id = ? AND mode = ?",
                    {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
                      out = row.Text(0);
                      return false;
                    });
  if (!q) return q.error();
  return out;
}

Result<std::optional<EventRow>> LoadRow(store::Tx& tx, const Principal& p, std::string_view id) {
  std::optional<EventRow> out;
  auto q = tx.Query(
      "SELECT type, object_id, seq, data FROM events WHERE id = ? AND merchant_id = ? AND "
      "mode = ?",
      {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
        out = EventRow{row.Text(0), row.Text(1), row.Text(3), row.Int(2)};
        return false;
      });
  if (!q) return q.error();
  return out;
}

Result<std::optional<Delivered>> DataOf(store::Tx& tx, std::string_view event_id) {
  std::optional<Delivered> out;
  auto q = tx.Query("SELECT data, data_sealed FROM events WHERE id = ?", {event_id},
                    [&](const store::Row& row) {
                      out = Delivered{row.Text(0), row.IsNull(1) ? std::string() : row.Text(1)};
                      return false;
                    });
  if (!q) return q.error();
  return out;
}

Result<Page<std::string>> List(store::Tx& tx, const Principal& p, const ListParams& params,
                               const std::optional<std::string>& type) {
  // Events are paged by their sequence number (several may share a creation time).
  std::string sql = "SELECT data, id FROM events WHERE merchant_id = ? AND mode = ?";
  std::vector<store::Value> args{p.merchant_id, ToString(p.mode)};
  if (type) {
    sql += " AND type = ?";
    args.emplace_back(*type);
  }
  store::AppendCreatedBounds(params, sql, args);
  const std::optional<std::string>& cursor =
      params.starting_after ? params.starting_after : params.ending_before;
  const bool reverse = params.ending_before.has_value() && !params.starting_after;
  if (cursor) {
    bool known = false;
    auto k = tx.Query("SELECT 1 FROM events WHERE id = ? AND merchant_id = ? AND mode = ?",
                      {*cursor, p.merchant_id, ToString(p.mode)}, [&](const store::Row&) {
                        known = true;
                        return false;
                      });
    if (!k) return k.error();
    if (!known) {
      return Error::Invalid("resource_missing", "No such object: '" + *cursor + "'",
                            params.starting_after ? "starting_after" : "ending_before");
    }
    sql += reverse ? " AND seq > " : " AND seq < ";
    sql += "(SELECT seq FROM events WHERE id = ? AND merchant_id = ? AND mode = ?)";
    args.emplace_back(*cursor);
    args.emplace_back(p.merchant_id);
    args.emplace_back(ToString(p.mode));
  }
  sql += reverse ? " ORDER BY seq ASC LIMIT ?" : " ORDER BY seq DESC LIMIT ?";
  args.emplace_back(static_cast<int64_t>(params.limit) + 1);
  Page<std::string> page;
  auto q = tx.QueryV(sql, args, [&](const store::Row& row) {
    page.items.push_back(row.Text(0));
    return true;
  });
  if (!q) return q.error();
  page.has_more = static_cast<int>(page.items.size()) > params.limit;
  if (page.has_more) page.items.pop_back();
  if (reverse) std::reverse(page.items.begin(), page.items.end());
  return page;
}

Result<std::vector<OutboxRow>> PendingOutbox(store::Tx& tx, int64_t limit) {
  std::vector<OutboxRow> rows;
  auto q = tx.Query(
      "SELECT o.seq, e.id, e.merchant_id, e.mode, e.type, e.object_id, e.seq, e.data "
      "FROM outbox o JOIN events e ON e.id = o.event_id WHERE o.state = 'pending' "
      "ORDER BY o.seq LIMIT ?",
      {limit}, [&](const store::Row& row) {
        rows.push_back({row.Int(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Text(5),
                        row.Text(7), row.Int(6)});
        return true;
      });
  if (!q) return q.error();
  return rows;
}

Result<void> MarkOutboxDone(store::Tx& tx, int64_t outbox_seq) {
  auto u = tx.Exec("UPDATE outbox SET state = 'done' WHERE seq = ?", {outbox_seq});
  if (!u) return u.error();
  return {};
}

}  // namespace lp::webhooks::events_repo
