#include "containment_repository.hpp"

namespace lp::incident::repo {

namespace {

Result<std::vector<std::string>> Ids(store::Tx& tx, std::string_view sql, std::string_view arg) {
  std::vector<std::string> out;
  auto q = tx.Query(sql, {arg}, [&](const store::Row& r) {
    out.push_back(r.Text(0));
    return true;
  });
  if (!q) return q.error();
  return out;
}

}  // namespace

Result<bool> MerchantExists(store::Tx& tx, std::string_view merchant_id) {
  auto ids = Ids(tx, "SELECT id FROM merchants WHERE id = ?", merchant_id);
  if (!ids) return ids.error();
  return !ids->empty();
}

Result<std::vector<std::string>> RevokeMerchantKeys(store::Tx& tx, std::string_view merchant_id,
                                                    int64_t now_us) {
  auto ids = Ids(tx,
                 "SELECT id FROM api_keys WHERE merchant_id = ? AND revoked_at IS NULL "
                 "ORDER BY created, id",
                 merchant_id);
  if (!ids) return ids.error();
  auto u =
      tx.Exec("UPDATE api_keys SET revoked_at = ? WHERE merchant_id = ? AND revoked_at IS NULL",
              {now_us, merchant_id});
  if (!u) return u.error();
  return ids;
}

Result<int64_t> RevokeMerchantSessions(store::Tx& tx, std::string_view merchant_id,
                                       int64_t now_us) {
  return tx.Exec(
      "UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL AND kind = 'user' AND user_id "
      "IN (SELECT user_id FROM memberships WHERE merchant_id = ?)",
      {now_us, merchant_id});
}

Result<bool> UserExists(store::Tx& tx, std::string_view user_id) {
  auto ids = Ids(tx, "SELECT id FROM users WHERE id = ? AND kind = 'user'", user_id);
  if (!ids) return ids.error();
  return !ids->empty();
}

Result<int64_t> RevokeUserSessions(store::Tx& tx, std::string_view user_id, int64_t now_us) {
  return tx.Exec("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                 {now_us, user_id});
}

Result<std::optional<AccountRow>> FindAccount(store::Tx& tx, std::string_view id) {
  std::optional<AccountRow> out;
  auto q = tx.Query(
      "SELECT merchant_id, status FROM connector_accounts WHERE id = ? AND status != 'deleted'",
      {id}, [&](const store::Row& r) {
        out = AccountRow{r.Text(0), r.Text(1)};
        return false;
      });
  if (!q) return q.error();
  return out;
}

Result<void> SetAccountStatus(store::Tx& tx, std::string_view id, std::string_view status,
                              int64_t now_us) {
  auto u = tx.Exec("UPDATE connector_accounts SET status = ?, updated = ? WHERE id = ?",
                   {status, now_us, id});
  if (!u) return u.error();
  return {};
}

Result<std::vector<std::string>> LiveEndpoints(store::Tx& tx, std::string_view merchant_id) {
  return Ids(tx,
             "SELECT id FROM webhook_endpoints WHERE merchant_id = ? AND status != 'deleted' "
             "ORDER BY created, id",
             merchant_id);
}

Result<void> ReplaceSecret(store::Tx& tx, std::string_view id, std::string_view sealed,
                           int64_t now_us) {
  auto u = tx.Exec(
      "UPDATE webhook_endpoints SET secret_sealed = ?, old_secret_sealed = NULL, "
      "old_secret_expires = NULL, updated = ? WHERE id = ?",
      {store::Value::Blob(sealed), now_us, id});
  if (!u) return u.error();
  return {};
}

}  // namespace lp::incident::repo
