// invitations.
#include <algorithm>

#include "repository.hpp"

namespace lp::people::repo {
namespace {

constexpr std::string_view kInvitationSelect =
    "SELECT id, merchant_id, email, email_key, role_id, token_hash, invited_by, created, "
    "expires_at, used_at, used_by, revoked_at FROM invitations WHERE merchant_id = ?";

InvitationRow ReadInvitation(const store::Row& r) {
  InvitationRow i;
  i.id = r.Text(0);
  i.merchant_id = r.Text(1);
  i.email = r.Text(2);
  i.email_key = r.Text(3);
  i.role_id = r.Text(4);
  i.token_hash = r.Text(5);
  i.invited_by = r.Text(6);
  i.created = r.Int(7);
  i.expires_at = r.Int(8);
  i.used_at = r.OptInt(9);
  i.used_by = r.OptText(10);
  i.revoked_at = r.OptInt(11);
  return i;
}

}  // namespace

Result<void> InsertInvitation(store::Tx& tx, const InvitationRow& i) {
  auto r = tx.Exec(
      "INSERT INTO invitations (id, merchant_id, email, email_key, role_id, token_hash, "
      "invited_by, created, expires_at) VALUES (?,?,?,?,?,?,?,?,?)",
      {i.id, i.merchant_id, i.email, i.email_key, i.role_id, i.token_hash, i.invited_by, i.created,
       i.expires_at});
  if (!r) return r.error();
  return {};
}

Result<std::optional<InvitationRow>> FindInvitationByTokenHash(store::Tx& tx,
                                                               std::string_view hash) {
  std::optional<InvitationRow> out;
  auto q = tx.Query(
      "SELECT id, merchant_id, email, email_key, role_id, token_hash, invited_by, created, "
      "expires_at, used_at, used_by, revoked_at FROM invitations WHERE token_hash = ?",
      {hash}, [&](const store::Row& r) {
        out = ReadInvitation(r);
        return false;
      });
  if (!q) return q.error();
  return out;
}

Result<std::optional<InvitationRow>> FindInvitation(store::Tx& tx, std::string_view merchant_id,
                                                    std::string_view id) {
  std::optional<InvitationRow> out;
  auto q = tx.Query(std::string(kInvitationSelect) + " AND id = ?", {merchant_id, id},
                    [&](const store::Row& r) {
                      out = ReadInvitation(r);
                      return false;
                    });
  if (!q) return q.error();
  return out;
}

Result<Page<InvitationRow>> ListInvitations(store::Tx& tx, std::string_view merchant_id,
                                            const ListParams& params,
                                            std::optional<int64_t> pending_after) {
  Page<InvitationRow> page;
  detail::Keyset q{std::string(kInvitationSelect), {merchant_id}, "created", "id", 7};
  if (pending_after) {
    q.select += " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?";
    q.args.emplace_back(*pending_after);
  }
  auto more = detail::KeysetPage(
      tx, q, params, [&](const store::Row& r) { page.data.push_back(ReadInvitation(r)); });
  if (!more) return more.error();
  page.has_more = *more;
  if (params.ending_before) std::reverse(page.data.begin(), page.data.end());
  return page;
}

Result<bool> UseInvitation(store::Tx& tx, std::string_view id, std::string_view user_id,
                           int64_t now) {
  auto u = tx.Exec(
      "UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL "
      "AND revoked_at IS NULL AND expires_at > ?",
      {now, user_id, id, now});
  if (!u) return u.error();
  return *u == 1;
}

Result<bool> RevokeInvitation(store::Tx& tx, std::string_view id, int64_t now) {
  auto u = tx.Exec(
      "UPDATE invitations SET revoked_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS "
      "NULL",
      {now, id});
  if (!u) return u.error();
  return *u == 1;
}

Result<void> RevokePendingInvitations(store::Tx& tx, std::string_view merchant_id,
                                      std::string_view email_key, int64_t now) {
  auto u = tx.Exec(
      "UPDATE invitations SET revoked_at = ? WHERE merchant_id = ? AND email_key = ? "
      "AND used_at IS NULL AND revoked_at IS NULL",
      {now, merchant_id, email_key});
  if (!u) return u.error();
  return {};
}

Result<int64_t> CountPendingWithRole(store::Tx& tx, std::string_view merchant_id,
                                     std::string_view role_id, int64_t now) {
  int64_t n = 0;
  auto q = tx.Query(
      "SELECT COUNT(*) FROM invitations WHERE merchant_id = ? AND role_id = ? AND used_at IS NULL "
      "AND revoked_at IS NULL AND expires_at > ?",
      {merchant_id, role_id, now}, [&](const store::Row& r) {
        n = r.Int(0);
        return false;
      });
  if (!q) return q.error();
  return n;
}

}  // namespace lp::people::repo
