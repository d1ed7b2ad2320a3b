#include "lp/store/pagination.hpp"

#include <algorithm>

namespace lp::store {

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

namespace {
// A row seen without its first column.
class ShiftedRow : public store::Row {
 public:
  explicit ShiftedRow(const store::Row& r) : r_(r) {}
  bool IsNull(int col) const override { return r_.IsNull(col + 1); }
  int64_t Int(int col) const override { return r_.Int(col + 1); }
  std::string Text(int col) const override { return r_.Text(col + 1); }

 private:
  const store::Row& r_;
};
}  // namespace

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
  // Backwards: the nearest `limit + 1` rows before the cursor, handed over in page order by an
  // outer query. Each row leads with how many the inner query found: more than `limit` means the
  // first row in page order is the extra one (it only tells that there are more).
  const size_t from = sql.find(" FROM ");
  const std::string paged =
      "SELECT COUNT(*) OVER (), * FROM (SELECT " + std::string(spec.columns) +
      ", created AS lp_c, id AS lp_i" + sql.substr(from) + ")" +
      (spec.oldest_first ? " ORDER BY lp_c ASC, lp_i ASC" : " ORDER BY lp_c DESC, lp_i DESC");
  bool first = true;
  auto r = tx.QueryV(paged, args, [&](const store::Row& x) {
    if (first) {
      first = false;
      if (x.Int(0) > params.limit) {
        has_more = true;
        return true;  // the extra row
      }
    }
    row(ShiftedRow(x));
    return true;
  });
  if (!r) return r.error();
  return has_more;
}

}  // namespace lp::store
