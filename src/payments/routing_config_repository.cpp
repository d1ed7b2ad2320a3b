#include "payments/routing_config_repository.hpp"

namespace lp::payments::routing_repo {

namespace {
constexpr std::string_view kCols = "version, config, active, created, created_by";

Version Read(const store::Row& r) {
  return Version{r.Int(0), r.Text(1), r.Int(2) != 0, r.Int(3), r.Text(4)};
}
}  // namespace

Result<std::optional<Version>> Active(store::Tx& tx, const std::string& merchant_id,
                                      std::string_view mode) {
  // Every payment asks (Route): the statement text is built once.
  static const std::string sql =
      "SELECT " + std::string(kCols) +
      " FROM routing_configs WHERE merchant_id = ? AND mode = ? AND active = 1";
  std::optional<Version> out;
  auto r = tx.Query(sql, {merchant_id, mode}, [&](const store::Row& row) {
    out = Read(row);
    return false;
  });
  if (!r) return r.error();
  return out;
}

Result<std::optional<int64_t>> ActiveVersion(store::Tx& tx, const std::string& merchant_id,
                                             std::string_view mode) {
  static const std::string sql =
      "SELECT version FROM routing_configs WHERE merchant_id = ? AND mode = ? AND active = 1";
  std::optional<int64_t> out;
  auto r = tx.Query(sql, {merchant_id, mode}, [&](const store::Row& row) {
    out = row.Int(0);
    return false;
  });
  if (!r) return r.error();
  return out;
}

Result<std::optional<Version>> Get(store::Tx& tx, const std::string& merchant_id,
                                   std::string_view mode, int64_t version) {
  std::optional<Version> out;
  auto r = tx.Query("SELECT " + std::string(kCols) +
                        " FROM routing_configs WHERE merchant_id = ? AND mode = ? AND version = ?",
                    {merchant_id, mode, version}, [&](const store::Row& row) {
                      out = Read(row);
                      return false;
                    });
  if (!r) return r.error();
  return out;
}

Result<std::vector<Version>> List(store::Tx& tx, const std::string& merchant_id,
                                  std::string_view mode) {
  std::vector<Version> out;
  auto r =
      tx.Query("SELECT " + std::string(kCols) +
                   " FROM routing_configs WHERE merchant_id = ? AND mode = ? ORDER BY version DESC",
               {merchant_id, mode}, [&](const store::Row& row) {
                 out.push_back(Read(row));
                 return true;
               });
  if (!r) return r.error();
  return out;
}

Result<Version> Add(store::Tx& tx, const std::string& merchant_id, std::string_view mode,
                    const std::string& config, const std::string& created_by, int64_t now_us) {
  int64_t next = 1;
  auto q = tx.Query(
      "SELECT COALESCE(MAX(version), 0) + 1 FROM routing_configs WHERE merchant_id = ? AND "
      "mode = ?",
      {merchant_id, mode}, [&](const store::Row& row) {
        next = row.Int(0);
        return false;
      });
  if (!q) return q.error();
  auto off = tx.Exec(
      "UPDATE routing_configs SET active = 0 WHERE merchant_id = ? AND mode = ? AND active = 1",
      {merchant_id, mode});
  if (!off) return off.error();
  auto ins = tx.Exec(
      "INSERT INTO routing_configs (merchant_id, mode, version, config, active, created, "
      "created_by) VALUES (?, ?, ?, ?, 1, ?, ?)",
      {merchant_id, mode, next, config, now_us, created_by});
  if (!ins) return ins.error();
  return Version{next, config, true, now_us, created_by};
}

Result<bool> Activate(store::Tx& tx, const std::string& merchant_id, std::string_view mode,
                      int64_t version) {
  bool exists = false;
  auto q =
      tx.Query("SELECT 1 FROM routing_configs WHERE merchant_id = ? AND mode = ? AND version = ?",
               {merchant_id, mode, version}, [&](const store::Row&) {
                 exists = true;
                 return false;
               });
  if (!q) return q.error();
  if (!exists) return false;
  auto off = tx.Exec(
      "UPDATE routing_configs SET active = CASE WHEN version = ? THEN 1 ELSE 0 END "
      "WHERE merchant_id = ? AND mode = ?",
      {version, merchant_id, mode});
  if (!off) return off.error();
  return true;
}

}  // namespace lp::payments::routing_repo
