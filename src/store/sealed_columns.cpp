#include "lp/store/sealed_columns.hpp"

namespace lp::store {

std::string AssociatedData(const SealedColumn& c, std::string_view row_id) {
  return std::string(c.table) + ":" + std::string(c.column) + ":" + std::string(row_id);
}

Result<void> ScanSealed(Tx& tx, const SealedColumn& c,
                        const std::function<bool(std::string_view, std::string_view)>& fn) {
  return tx.Query("SELECT " + std::string(c.id_column) + ", " + std::string(c.column) + " FROM " +
                      std::string(c.table) + " WHERE " + std::string(c.column) + " IS NOT NULL",
                  {}, [&](const Row& row) {
                    const std::string id = row.Text(0);
                    const std::string blob = row.Text(1);
                    return fn(id, blob);
                  });
}

Result<int64_t> ReplaceSealed(Tx& tx, const SealedColumn& c, std::string_view id,
                              std::string_view old_blob, std::string_view new_blob) {
  return tx.Exec("UPDATE " + std::string(c.table) + " SET " + std::string(c.column) +
                     " = ? WHERE " + std::string(c.id_column) + " = ? AND " +
                     std::string(c.column) + " = ?",
                 {Value::Blob(new_blob), id, Value::Blob(old_blob)});
}

}  // namespace lp::store
