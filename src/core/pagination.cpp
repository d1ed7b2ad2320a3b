#include "core/pagination.hpp"

#include <algorithm>

namespace lp::core {

void AppendCreatedBounds(const ListParams& params, std::string& sql,
                         std::vector<store::Value>& args) {
  if (params.created_gte) {
    sql += " AND created >= ?";
    args.emplace_back(*params.created_gte * 1'000'000);
  }
  if (params.created_lte) {
    sql += " AND created <= ?";
    args.emplace_back(*params.created_lte * 1'000'000 + 999'999);
  }
}

Result<bool> ListPage(store::Tx& tx, const ListSpec& spec, const Principal& principal,
                      const ListParams& params, const std::function<void(const store::Row&)>& row) {
  const std::string table(spec.table);
  std::string sql = "SELECT " + std::string(spec.columns) + " FROM " + table +
                    " WHERE merchant_id = ? AND mode = ?";
  std::vector<store::Value> args{principal.merchant_id, ToString(principal.mode)};
  if (!spec.where.empty()) sql += " AND (" + std::string(spec.where) + ")";
  for (const auto& [col, val] : spec.eq) {
    sql += " AND " + col + " = ?";
    args.emplace_back(val);
  }
  AppendCreatedBounds(params, sql, args);
  // ending_before reads backwards from the cursor (nearest first), then flips to page order.
  const bool backwards = params.ending_before.has_value() && !params.starting_after;
  const bool ascending = spec.oldest_first != backwards;
  const std::optional<std::string>& cursor =
      params.starting_after ? params.starting_after : params.ending_before;
  int64_t cursor_created = 0;
  if (cursor) {
    const std::string param = params.starting_after ? "starting_after" : "ending_before";
    bool found = false;
    auto r = tx.Query(
        "SELECT created FROM " + table + " WHERE id = ? AND merchant_id = ? AND mode = ?",
        {*cursor, principal.merchant_id, ToString(principal.mode)}, [&](const store::Row& c) {
          found = true;
          cursor_created = c.Int(0);
          return false;
        });
    if (!r) return r.error();
    if (!found) {
      return Error::Invalid("resource_missing", "No such object: '" + *cursor + "'", param);
    }
    sql += ascending ? " AND (created, id) > (?, ?)" : " AND (created, id) < (?, ?)";
    args.emplace_back(cursor_created);
    args.emplace_back(*cursor);
  }
  sql += ascending ? " ORDER BY created ASC, id ASC LIMIT ?"
                   : " ORDER BY created DESC, id DESC LIMIT ?";
  args.emplace_back(static_cast<int64_t>(params.limit) + 1);

  // Rows are handed over in page order; reading backwards means buffering the page first.
  int seen = 0;
  bool has_more = false;
  if (!backwards) {
    auto r = tx.QueryV(sql, args, [&](const store::Row& r) {
      if (seen == params.limit) {
        has_more = true;
        return false;
      }
      ++seen;
      row(r);
      return true;
    });
    if (!r) return r.error();
    return has_more;
  }
  // Backwards: select ids only, then read the rows in page order.
  std::vector<std::string> ids;
  const std::string id_sql = "SELECT id" + sql.substr(sql.find(" FROM "));
  auto r = tx.QueryV(id_sql, args, [&](const store::Row& r) {
    if (static_cast<int>(ids.size()) == params.limit) {
      has_more = true;
      return false;
    }
    ids.push_back(r.Text(0));
    return true;
  });
  if (!r) return r.error();
  std::reverse(ids.begin(), ids.end());
  const std::string one =
      "SELECT " + std::string(spec.columns) + " FROM " + table + " WHERE id = ?";
  for (const auto& id : ids) {
    auto q = tx.Query(one, {id}, [&](const store::Row& x) {
      row(x);
      return false;
    });
    if (!q) return q.error();
  }
  return has_more;
}

}  // namespace lp::core
