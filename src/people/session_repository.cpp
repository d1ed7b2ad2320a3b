// sessions.
#include "repository.hpp"

namespace lp::people::repo {
namespace {

constexpr std::string_view kSessionCols =
    "id, token_hash, user_id, kind, created, last_seen, mfa_verified_at, reauthenticated_at, "
    "role_epoch, mfa_failures, mfa_window_start, revoked_at, ip, user_agent";

SessionRow ReadSession(const store::Row& r) {
  SessionRow s;
  s.id = r.Text(0);
  s.token_hash = r.Text(1);
  s.user_id = r.Text(2);
  s.kind = r.Text(3) == "operator" ? AccountKind::kOperator : AccountKind::kUser;
  s.created = r.Int(4);
  s.last_seen = r.Int(5);
  s.mfa_verified_at = r.OptInt(6);
  s.reauthenticated_at = r.OptInt(7);
  s.role_epoch = r.Int(8);
  s.mfa_failures = r.Int(9);
  s.mfa_window_start = r.Int(10);
  s.revoked_at = r.OptInt(11);
  s.ip = r.Text(12);
  s.user_agent = r.Text(13);
  return s;
}

Result<std::optional<SessionRow>> QueryOne(store::Tx& tx, std::string_view where,
                                           std::string_view arg) {
  std::optional<SessionRow> out;
  auto q =
      tx.Query("SELECT " + std::string(kSessionCols) + " FROM sessions WHERE " + std::string(where),
               {arg}, [&](const store::Row& r) {
                 out = ReadSession(r);
                 return false;
               });
  if (!q) return q.error();
  return out;
}

}  // namespace

Result<void> InsertSession(store::Tx& tx, const SessionRow& s) {
  return Done(tx.Exec(
      "INSERT INTO sessions (id, token_hash, user_id, kind, created, last_seen, mfa_verified_at, "
      "reauthenticated_at, role_epoch, ip, user_agent) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      {s.id, s.token_hash, s.user_id, ToString(s.kind), s.created, s.last_seen, s.mfa_verified_at,
       s.reauthenticated_at, s.role_epoch, s.ip, s.user_agent}));
}

Result<std::optional<SessionRow>> FindSessionByTokenHash(store::Tx& tx, std::string_view hash) {
  return QueryOne(tx, "token_hash = ?", hash);
}

Result<std::optional<SessionRow>> FindSession(store::Tx& tx, std::string_view id) {
  return QueryOne(tx, "id = ?", id);
}

Result<bool> RotateSessionToken(store::Tx& tx, std::string_view id, std::string_view new_hash,
                                int64_t role_epoch) {
  auto u = tx.Exec(
      "UPDATE sessions SET token_hash = ?, role_epoch = ? WHERE id = ? AND revoked_at IS NULL",
      {new_hash, role_epoch, id});
  if (!u) return u.error();
  return *u == 1;
}

Result<void> TouchSession(store::Tx& tx, std::string_view id, int64_t now) {
  return Done(
      tx.Exec("UPDATE sessions SET last_seen = ? WHERE id = ? AND last_seen < ?", {now, id, now}));
}

Result<void> MarkMfaVerified(store::Tx& tx, std::string_view id, int64_t now) {
  return Done(
      tx.Exec("UPDATE sessions SET mfa_verified_at = ?, reauthenticated_at = ?, mfa_failures = 0 "
              "WHERE id = ?",
              {now, now, id}));
}

Result<void> MarkReauthenticated(store::Tx& tx, std::string_view id, int64_t now) {
  return Done(tx.Exec("UPDATE sessions SET reauthenticated_at = ? WHERE id = ?", {now, id}));
}

Result<int64_t> CountMfaFailure(store::Tx& tx, std::string_view id, int64_t now, int64_t window) {
  // A window that has ended starts over at this failure.
  auto u = tx.Exec(
      "UPDATE sessions SET mfa_failures = CASE WHEN mfa_window_start + ? <= ? THEN 1 "
      "ELSE mfa_failures + 1 END, mfa_window_start = CASE WHEN mfa_window_start + ? <= ? THEN ? "
      "ELSE mfa_window_start END WHERE id = ?",
      {window, now, window, now, now, id});
  if (!u) return u.error();
  int64_t n = 0;
  auto q =
      tx.Query("SELECT mfa_failures FROM sessions WHERE id = ?", {id}, [&](const store::Row& r) {
        n = r.Int(0);
        return false;
      });
  if (!q) return q.error();
  return n;
}

Result<bool> RevokeSession(store::Tx& tx, std::string_view id, int64_t now) {
  auto u =
      tx.Exec("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", {now, id});
  if (!u) return u.error();
  return *u == 1;
}

Result<int64_t> RevokeUserSessions(store::Tx& tx, std::string_view user_id, std::string_view keep,
                                   int64_t now) {
  return tx.Exec(
      "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND id <> ?",
      {now, user_id, keep});
}

Result<std::vector<SessionRow>> LiveSessions(store::Tx& tx, std::string_view user_id) {
  std::vector<SessionRow> out;
  auto q = tx.Query("SELECT " + std::string(kSessionCols) +
                        " FROM sessions WHERE user_id = ? AND revoked_at IS NULL "
                        "ORDER BY created DESC, id DESC",
                    {user_id}, [&](const store::Row& r) {
                      out.push_back(ReadSession(r));
                      return true;
                    });
  if (!q) return q.error();
  return out;
}

}  // namespace lp::people::repo
