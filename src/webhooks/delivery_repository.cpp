// SQL of webhook_deliveries and webhook_attempts.
#include <algorithm>

#include "lp/common/random.hpp"
#include "webhooks/repositories.hpp"

namespace lp::webhooks::deliveries_repo {

Result<void> Insert(store::Tx& tx, const NewRow& n) {
  auto ins = tx.Exec(
      "INSERT INTO webhook_deliveries (id, event_id, event_seq, object_id, endpoint_id, "
      "merchant_id, state, attempts, next_attempt_at, created, updated) "
      "VALUES (?,?,?,?,?,?,'pending',0,?,?,?)",
      {n.id, n.event_id, n.event_seq, n.object_id, n.endpoint_id, n.merchant_id, n.now_us, n.now_us,
       n.now_us});
  if (!ins) return ins.error();
  return {};
}

namespace {

Result<void> LoadAttempts(store::Tx& tx, std::vector<Delivery>& deliveries) {
  for (auto& d : deliveries) {
    auto a = tx.Query(
        "SELECT attempt, time, status_code, latency_us, error FROM webhook_attempts WHERE "
        "delivery_id = ? ORDER BY attempt",
        {d.id}, [&](const store::Row& row) {
          d.attempts.push_back(DeliveryAttempt{row.Int(0), row.Int(1), row.OptInt(2), row.OptInt(3),
                                               row.OptText(4)});
          return true;
        });
    if (!a) return a.error();
  }
  return {};
}

}  // namespace

Result<std::vector<Delivery>> OfEvent(store::Tx& tx, std::string_view event_id) {
  std::vector<Delivery> out;
  auto q = tx.Query(
      "SELECT id, endpoint_id, state, attempts, next_attempt_at, created FROM webhook_deliveries "
      "WHERE event_id = ? ORDER BY created, id",
      {event_id}, [&](const store::Row& row) {
        Delivery d;
        d.id = row.Text(0);
        d.event_id = std::string(event_id);
        d.endpoint_id = row.Text(1);
        d.status = row.Text(2);
        d.attempt_count = row.Int(3);
        if (d.status == "pending") d.next_attempt_us = row.Int(4);
        d.created_us = row.Int(5);
        out.push_back(std::move(d));
        return true;
      });
  if (!q) return q.error();
  if (auto a = LoadAttempts(tx, out); !a) return a.error();
  return out;
}

Result<Page<Delivery>> OfEndpoint(store::Tx& tx, std::string_view endpoint_id,
                                  const ListParams& params) {
  const bool backwards = params.ending_before.has_value() && !params.starting_after;
  const std::optional<std::string>& cursor =
      params.starting_after ? params.starting_after : params.ending_before;
  std::string sql =
      "SELECT id, event_id, state, attempts, next_attempt_at, created FROM webhook_deliveries "
      "WHERE endpoint_id = ?";
  std::vector<store::Value> args{endpoint_id};
  if (params.status) {
    sql += " AND state = ?";
    args.emplace_back(*params.status);
  }
  if (cursor) {
    std::optional<int64_t> created;
    auto c = tx.Query("SELECT created FROM webhook_deliveries WHERE id = ? AND endpoint_id = ?",
                      {*cursor, endpoint_id}, [&](const store::Row& row) {
                        created = row.Int(0);
                        return false;
                      });
    if (!c) return c.error();
    if (!created) {
      return Error::Invalid("resource_missing", "No such object: '" + *cursor + "'",
                            params.starting_after ? "starting_after" : "ending_before");
    }
    // Newest first: "after" is older, "before" is newer.
    sql += backwards ? " AND (created > ? OR (created = ? AND id > ?))"
                     : " AND (created < ? OR (created = ? AND id < ?))";
    args.emplace_back(*created);
    args.emplace_back(*created);
    args.emplace_back(*cursor);
  }
  const int limit = std::clamp(params.limit, 1, 100);
  sql += backwards ? " ORDER BY created, id LIMIT ?" : " ORDER BY created DESC, id DESC LIMIT ?";
  args.emplace_back(static_cast<int64_t>(limit + 1));
  Page<Delivery> page;
  auto q = tx.QueryV(sql, args, [&](const store::Row& row) {
    Delivery d;
    d.id = row.Text(0);
    d.event_id = row.Text(1);
    d.endpoint_id = std::string(endpoint_id);
    d.status = row.Text(2);
    d.attempt_count = row.Int(3);
    if (d.status == "pending") d.next_attempt_us = row.Int(4);
    d.created_us = row.Int(5);
    page.items.push_back(std::move(d));
    return true;
  });
  if (!q) return q.error();
  page.has_more = page.items.size() > static_cast<size_t>(limit);
  if (page.has_more) page.items.pop_back();
  if (backwards) std::reverse(page.items.begin(), page.items.end());
  if (auto a = LoadAttempts(tx, page.items); !a) return a.error();
  return page;
}

Result<std::vector<Due>> DueAt(store::Tx& tx, int64_t now_us, int64_t limit) {
  std::vector<Due> due;
  auto q = tx.Query(
      "SELECT d.id, d.event_id, d.endpoint_id, d.attempts FROM webhook_deliveries d "
      "WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND NOT EXISTS ("
      "  SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND "
      "  p.object_id = d.object_id AND p.state = 'pending' AND "
      "  (p.event_seq < d.event_seq OR (p.event_seq = d.event_seq AND p.created < d.created))) "
      "ORDER BY d.event_seq, d.created LIMIT ?",
      {now_us, limit}, [&](const store::Row& row) {
        due.push_back({row.Text(0), row.Text(1), row.Text(2), row.Int(3)});
        return true;
      });
  if (!q) return q.error();
  return due;
}

Result<void> RecordAttempt(store::Tx& tx, const AttemptRecord& a) {
  const bool ok = a.error.empty();
  auto ins = tx.Exec(
      "INSERT INTO webhook_attempts (id, delivery_id, attempt, time, status_code, latency_us, "
      "error) VALUES (?,?,?,?,?,?,?)",
      {NewId("wha"), a.delivery_id, a.attempt, a.time_us,
       a.status_code ? store::Value(a.status_code) : store::Value(), a.latency_us,
       ok ? store::Value() : store::Value(a.error)});
  if (!ins) return ins.error();
  auto u = tx.Exec(
      "UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, "
      "last_status = ?, last_error = ?, updated = ? WHERE id = ?",
      {a.state, a.attempt, a.next_attempt_us,
       a.status_code ? store::Value(a.status_code) : store::Value(),
       ok ? store::Value() : store::Value(a.error), a.now_us, a.delivery_id});
  if (!u) return u.error();
  return {};
}

Result<Queue> QueueAt(store::Tx& tx, int64_t now_us) {
  Queue s;
  auto q = tx.Query(
      "SELECT COUNT(*), MIN(CASE WHEN next_attempt_at <= ? THEN next_attempt_at END) FROM "
      "webhook_deliveries WHERE state = 'pending'",
      {now_us}, [&](const store::Row& row) {
        s.pending = row.Int(0);
        s.oldest_due_us = row.OptInt(1);
        return false;
      });
  if (!q) return q.error();
  return s;
}

}  // namespace lp::webhooks::deliveries_repo
