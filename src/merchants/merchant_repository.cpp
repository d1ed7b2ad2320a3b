// SQL of the merchants table.
#include "merchants/merchant_repository.hpp"

namespace lp::merchants::merchants_repo {

Result<void> Insert(store::Tx& tx, std::string_view id, std::string_view name, int64_t now_us) {
  auto r = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?,?,?)", {id, name, now_us});
  if (!r) return r.error();
  return {};
}

}  // namespace lp::merchants::merchants_repo
