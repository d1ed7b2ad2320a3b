// users, recovery_codes, password_history.
#include "lp/common/random.hpp"
#include "repository.hpp"

namespace lp::people::repo {
namespace {

constexpr std::string_view kUserCols =
    "id, kind, email, email_key, password_hash, status, failed_logins, locked_until, "
    "mfa_secret_sealed, mfa_pending_sealed, mfa_enrolled_at, mfa_last_step, operator_role, "
    "role_epoch, password_changed_at, last_sign_in_at, created, updated";

UserRow ReadUser(const store::Row& r) {
  UserRow u;
  u.id = r.Text(0);
  u.kind = r.Text(1) == "operator" ? AccountKind::kOperator : AccountKind::kUser;
  u.email = r.Text(2);
  u.email_key = r.Text(3);
  u.password_hash = r.Text(4);
  u.status = r.Text(5);
  u.failed_logins = r.Int(6);
  u.locked_until = r.OptInt(7);
  u.mfa_secret_sealed = r.OptText(8);
  u.mfa_pending_sealed = r.OptText(9);
  u.mfa_enrolled_at = r.OptInt(10);
  u.mfa_last_step = r.Int(11);
  u.operator_role = r.OptText(12).value_or("");
  u.role_epoch = r.Int(13);
  u.password_changed_at = r.Int(14);
  u.last_sign_in_at = r.OptInt(15);
  u.created = r.Int(16);
  u.updated = r.Int(17);
  return u;
}

Result<std::optional<UserRow>> QueryUser(store::Tx& tx, const std::string& sql,
                                         std::initializer_list<store::Value> args) {
  std::optional<UserRow> out;
  auto q = tx.Query(sql, args, [&](const store::Row& r) {
    out = ReadUser(r);
    return false;
  });
  if (!q) return q.error();
  return out;
}

}  // namespace

Result<std::optional<UserRow>> FindUser(store::Tx& tx, std::string_view id) {
  return QueryUser(tx, "SELECT " + std::string(kUserCols) + " FROM users WHERE id = ?", {id});
}

Result<std::optional<std::string>> UserEmail(store::Tx& tx, std::string_view id) {
  std::optional<std::string> out;
  auto q = tx.Query("SELECT email FROM users WHERE id = ?", {id}, [&](const store::Row& r) {
    out = r.Text(0);
    return false;
  });
  if (!q) return q.error();
  return out;
}

Result<std::optional<UserRow>> FindUserByEmail(store::Tx& tx, AccountKind kind,
                                               std::string_view email_key) {
  return QueryUser(
      tx, "SELECT " + std::string(kUserCols) + " FROM users WHERE kind = ? AND email_key = ?",
      {ToString(kind), email_key});
}

Result<void> InsertUser(store::Tx& tx, const UserRow& u) {
  return Done(tx.Exec(
      "INSERT INTO users (id, kind, email, email_key, password_hash, status, operator_role, "
      "password_changed_at, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?)",
      {u.id, ToString(u.kind), u.email, u.email_key, u.password_hash, u.status,
       u.operator_role.empty() ? store::Value() : store::Value(u.operator_role),
       u.password_changed_at, u.created, u.updated}));
}

Result<int64_t> CountFailedLogin(store::Tx& tx, std::string_view id, int64_t now) {
  auto u = tx.Exec("UPDATE users SET failed_logins = failed_logins + 1, updated = ? WHERE id = ?",
                   {now, id});
  if (!u) return u.error();
  int64_t n = 0;
  auto q = tx.Query("SELECT failed_logins FROM users WHERE id = ?", {id}, [&](const store::Row& r) {
    n = r.Int(0);
    return false;
  });
  if (!q) return q.error();
  return n;
}

Result<void> LockUser(store::Tx& tx, std::string_view id, int64_t until, int64_t now) {
  return Done(
      tx.Exec("UPDATE users SET failed_logins = 0, locked_until = ?, updated = ? WHERE id = ?",
              {until, now, id}));
}

Result<void> RecordSignIn(store::Tx& tx, std::string_view id, int64_t now) {
  return Done(tx.Exec(
      "UPDATE users SET failed_logins = 0, locked_until = NULL, last_sign_in_at = ?, updated = ? "
      "WHERE id = ?",
      {now, now, id}));
}

Result<void> SetPassword(store::Tx& tx, std::string_view id, std::string_view hash, int64_t now) {
  return Done(tx.Exec(
      "UPDATE users SET password_hash = ?, password_changed_at = ?, updated = ? WHERE id = ?",
      {hash, now, now, id}));
}

Result<void> SetPendingMfa(store::Tx& tx, std::string_view id, const std::string& sealed,
                           int64_t now) {
  return Done(tx.Exec("UPDATE users SET mfa_pending_sealed = ?, updated = ? WHERE id = ?",
                      {store::Value::Blob(sealed), now, id}));
}

Result<void> ConfirmMfa(store::Tx& tx, std::string_view id, const std::string& sealed, int64_t step,
                        int64_t now) {
  return Done(tx.Exec(
      "UPDATE users SET mfa_secret_sealed = ?, mfa_pending_sealed = NULL, mfa_enrolled_at = ?, "
      "mfa_last_step = ?, updated = ? WHERE id = ?",
      {store::Value::Blob(sealed), now, step, now, id}));
}

Result<bool> AdvanceMfaStep(store::Tx& tx, std::string_view id, int64_t step) {
  auto u = tx.Exec("UPDATE users SET mfa_last_step = ? WHERE id = ? AND mfa_last_step < ?",
                   {step, id, step});
  if (!u) return u.error();
  return *u == 1;
}

Result<void> ClearMfa(store::Tx& tx, std::string_view id, int64_t now) {
  auto u = tx.Exec(
      "UPDATE users SET mfa_secret_sealed = NULL, mfa_pending_sealed = NULL, "
      "mfa_enrolled_at = NULL, updated = ? WHERE id = ?",
      {now, id});
  if (!u) return u.error();
  return DeleteRecoveryCodes(tx, id);
}

Result<void> BumpRoleEpoch(store::Tx& tx, std::string_view user_id) {
  return Done(tx.Exec("UPDATE users SET role_epoch = role_epoch + 1 WHERE id = ?", {user_id}));
}

Result<void> BumpRoleEpochForRole(store::Tx& tx, std::string_view merchant_id,
                                  std::string_view role_id) {
  return Done(
      tx.Exec("UPDATE users SET role_epoch = role_epoch + 1 WHERE id IN "
              "(SELECT user_id FROM memberships WHERE merchant_id = ? AND role_id = ?)",
              {merchant_id, role_id}));
}

Result<void> ReplaceRecoveryCodes(store::Tx& tx, std::string_view user_id,
                                  const std::vector<std::string>& hashes, int64_t now) {
  if (auto d = DeleteRecoveryCodes(tx, user_id); !d) return d.error();
  for (const auto& h : hashes) {
    auto i =
        tx.Exec("INSERT INTO recovery_codes (id, user_id, code_hash, created) VALUES (?,?,?,?)",
                {NewId("rc"), user_id, h, now});
    if (!i) return i.error();
  }
  return {};
}

Result<std::vector<RecoveryCodeRow>> UnusedRecoveryCodes(store::Tx& tx, std::string_view user_id) {
  std::vector<RecoveryCodeRow> out;
  auto q = tx.Query(
      "SELECT id, code_hash FROM recovery_codes WHERE user_id = ? AND used_at IS NULL ORDER BY id",
      {user_id}, [&](const store::Row& r) {
        out.push_back({r.Text(0), r.Text(1)});
        return true;
      });
  if (!q) return q.error();
  return out;
}

Result<bool> UseRecoveryCode(store::Tx& tx, std::string_view id, int64_t now) {
  auto u =
      tx.Exec("UPDATE recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL", {now, id});
  if (!u) return u.error();
  return *u == 1;
}

Result<void> DeleteRecoveryCodes(store::Tx& tx, std::string_view user_id) {
  return Done(tx.Exec("DELETE FROM recovery_codes WHERE user_id = ?", {user_id}));
}

Result<std::vector<std::string>> RecentPasswordHashes(store::Tx& tx, std::string_view user_id,
                                                      int n) {
  std::vector<std::string> out;
  auto q = tx.Query(
      "SELECT password_hash FROM password_history WHERE user_id = ? "
      "ORDER BY created DESC, id DESC LIMIT ?",
      {user_id, n}, [&](const store::Row& r) {
        out.push_back(r.Text(0));
        return true;
      });
  if (!q) return q.error();
  return out;
}

Result<void> AddPasswordHistory(store::Tx& tx, std::string_view user_id, std::string_view hash,
                                int64_t now, int keep) {
  auto i =
      tx.Exec("INSERT INTO password_history (id, user_id, password_hash, created) VALUES (?,?,?,?)",
              {NewId("pwh"), user_id, hash, now});
  if (!i) return i.error();
  // Keep the newest `keep` (ids sort by creation time within one millisecond's randomness, so
  // order by created, then id).
  std::vector<std::string> old;
  auto q =
      tx.Query("SELECT id FROM password_history WHERE user_id = ? ORDER BY created DESC, id DESC",
               {user_id}, [&](const store::Row& r) {
                 old.push_back(r.Text(0));
                 return true;
               });
  if (!q) return q.error();
  for (size_t k = static_cast<size_t>(keep); k < old.size(); ++k) {
    auto d = tx.Exec("DELETE FROM password_history WHERE id = ?", {old[k]});
    if (!d) return d.error();
  }
  return {};
}

}  // namespace lp::people::repo
