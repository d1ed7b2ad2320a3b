// memberships, roles, security_policies, the merchants columns the people module owns, and the
// cursor pagination of its lists.
#include <algorithm>
#include <sstream>

#include "repository.hpp"

namespace lp::people::repo {
namespace {

std::string JoinPermissions(const std::vector<std::string>& p) {
  std::string out;
  for (const auto& s : p) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitPermissions(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

SecurityPolicy ReadPolicy(const store::Row& r, int from) {
  SecurityPolicy p;
  p.mfa_required_for_all = r.Int(from) != 0;
  p.idle_timeout_minutes = static_cast<int>(r.Int(from + 1));
  p.absolute_timeout_hours = static_cast<int>(r.Int(from + 2));
  p.updated_us = r.Int(from + 3);
  p.updated_by = r.Text(from + 4);
  p.auto_block_ip = r.Int(from + 5) != 0;
  p.auto_revoke_key = r.Int(from + 6) != 0;
  return p;
}

constexpr std::string_view kRoleCols = "id, name, description, permissions, created, updated";

Role ReadRole(const store::Row& r) {
  Role role;
  role.id = r.Text(0);
  role.name = r.Text(1);
  role.description = r.OptText(2).value_or("");
  role.builtin = false;
  role.permissions = SplitPermissions(r.Text(3));
  role.created_us = r.Int(4);
  role.updated_us = r.Int(5);
  return role;
}

constexpr std::string_view kMemberSelect =
    "SELECT u.id, u.email, m.role_id, u.mfa_secret_sealed IS NOT NULL, u.last_sign_in_at, "
    "m.created FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.merchant_id = ?";

MerchantUserRow ReadMember(const store::Row& r) {
  MerchantUserRow m;
  m.user_id = r.Text(0);
  m.email = r.Text(1);
  m.role_id = r.Text(2);
  m.mfa_enrolled = r.Int(3) != 0;
  m.last_sign_in_at = r.OptInt(4);
  m.created = r.Int(5);
  return m;
}

constexpr std::string_view kMerchantSelect =
    "SELECT mer.id, mer.name, mer.created, mer.frozen, mer.frozen_reason, mer.frozen_at, "
    "(SELECT COUNT(*) FROM memberships ms WHERE ms.merchant_id = mer.id) FROM merchants mer "
    "WHERE 1 = 1";

MerchantSummary ReadMerchant(const store::Row& r) {
  MerchantSummary m;
  m.id = r.Text(0);
  m.name = r.Text(1);
  m.created_us = r.Int(2);
  m.frozen = r.Int(3) != 0;
  m.frozen_reason = r.OptText(4);
  m.frozen_at_us = r.OptInt(5);
  m.users = r.Int(6);
  return m;
}

}  // namespace

namespace detail {

Result<bool> KeysetPage(store::Tx& tx, const Keyset& q, const ListParams& params,
                        const std::function<void(const store::Row&)>& row) {
  const int limit = std::clamp(params.limit, 1, 100);
  std::vector<store::Value> args = q.args;
  std::string sql = q.select;
  const bool backwards = params.ending_before.has_value();
  const std::optional<std::string>& cursor =
      backwards ? params.ending_before : params.starting_after;
  int64_t cursor_created = 0;
  if (cursor) {
    bool found = false;
    std::vector<store::Value> cargs = q.args;
    cargs.emplace_back(*cursor);
    auto c = tx.QueryV(q.select + " AND " + q.id_col + " = ?", cargs, [&](const store::Row& r) {
      cursor_created = r.Int(q.created_index);
      found = true;
      return false;
    });
    if (!c) return c.error();
    if (!found) {
      return Error{ErrorType::kInvalidRequest,
                   "resource_missing",
                   "No such object: '" + *cursor + "'.",
                   backwards ? "ending_before" : "starting_after",
                   {}};
    }
    const char* cmp = backwards ? ">" : "<";
    sql += " AND (" + q.created_col + " " + cmp + " ? OR (" + q.created_col + " = ? AND " +
           q.id_col + " " + cmp + " ?))";
    args.emplace_back(cursor_created);
    args.emplace_back(cursor_created);
    args.emplace_back(*cursor);
  }
  const char* dir = backwards ? "ASC" : "DESC";
  sql += std::string(" ORDER BY ") + q.created_col + " " + dir + ", " + q.id_col + " " + dir +
         " LIMIT ?";
  args.emplace_back(static_cast<int64_t>(limit + 1));
  // Rows come in query order (reversed for ending_before: the caller reverses the page).
  int seen = 0;
  bool more = false;
  auto r = tx.QueryV(sql, args, [&](const store::Row& rr) {
    if (seen == limit) {
      more = true;
      return false;
    }
    ++seen;
    row(rr);
    return true;
  });
  if (!r) return r.error();
  return more;
}

}  // namespace detail

Result<std::vector<MembershipRow>> UserMemberships(store::Tx& tx, std::string_view user_id) {
  std::vector<MembershipRow> out;
  auto q = tx.Query(
      "SELECT m.merchant_id, mer.name, mer.frozen, m.role_id, p.mfa_required_for_all, "
      "p.idle_timeout_minutes, p.absolute_timeout_hours, p.updated, p.updated_by, "
      "p.auto_block_ip, p.auto_revoke_key, m.created "
      "FROM memberships m JOIN merchants mer ON mer.id = m.merchant_id "
      "LEFT JOIN security_policies p ON p.merchant_id = m.merchant_id "
      "WHERE m.user_id = ? ORDER BY m.created, m.merchant_id",
      {user_id}, [&](const store::Row& r) {
        MembershipRow m;
        m.user_id = std::string(user_id);
        m.merchant_id = r.Text(0);
        m.merchant_name = r.Text(1);
        m.frozen = r.Int(2) != 0;
        m.role_id = r.Text(3);
        if (!r.IsNull(4)) m.policy = ReadPolicy(r, 4);
        m.created = r.Int(11);
        out.push_back(std::move(m));
        return true;
      });
  if (!q) return q.error();
  return out;
}

Result<std::optional<std::string>> MemberRole(store::Tx& tx, std::string_view merchant_id,
                                              std::string_view user_id) {
  std::optional<std::string> out;
  auto q = tx.Query("SELECT role_id FROM memberships WHERE merchant_id = ? AND user_id = ?",
                    {merchant_id, user_id}, [&](const store::Row& r) {
                      out = r.Text(0);
                      return false;
                    });
  if (!q) return q.error();
  return out;
}

Result<void> InsertMembership(store::Tx& tx, std::string_view user_id, std::string_view merchant_id,
                              std::string_view role_id, int64_t now) {
  return Done(
      tx.Exec("INSERT INTO memberships (user_id, merchant_id, role_id, created, updated) "
              "VALUES (?,?,?,?,?)",
              {user_id, merchant_id, role_id, now, now}));
}

Result<void> UpdateMembershipRole(store::Tx& tx, std::string_view user_id,
                                  std::string_view merchant_id, std::string_view role_id,
                                  int64_t now) {
  return Done(tx.Exec(
      "UPDATE memberships SET role_id = ?, updated = ? WHERE user_id = ? AND merchant_id = ?",
      {role_id, now, user_id, merchant_id}));
}

Result<void> DeleteMembership(store::Tx& tx, std::string_view user_id,
                              std::string_view merchant_id) {
  return Done(tx.Exec("DELETE FROM memberships WHERE user_id = ? AND merchant_id = ?",
                      {user_id, merchant_id}));
}

Result<int64_t> CountMembersWithRole(store::Tx& tx, std::string_view merchant_id,
                                     std::string_view role_id) {
  int64_t n = 0;
  auto q = tx.Query("SELECT COUNT(*) FROM memberships WHERE merchant_id = ? AND role_id = ?",
                    {merchant_id, role_id}, [&](const store::Row& r) {
                      n = r.Int(0);
                      return false;
                    });
  if (!q) return q.error();
  return n;
}

Result<bool> LockMerchant(store::Tx& tx, std::string_view merchant_id) {
  auto u = tx.Exec("UPDATE merchants SET name = name WHERE id = ?", {merchant_id});
  if (!u) return u.error();
  return *u == 1;
}

Result<Page<MerchantUserRow>> ListMembers(store::Tx& tx, std::string_view merchant_id,
                                          const ListParams& params) {
  Page<MerchantUserRow> page;
  detail::Keyset q{std::string(kMemberSelect), {merchant_id}, "m.created", "u.id", 5};
  auto more = detail::KeysetPage(tx, q, params,
                                 [&](const store::Row& r) { page.data.push_back(ReadMember(r)); });
  if (!more) return more.error();
  page.has_more = *more;
  if (params.ending_before) std::reverse(page.data.begin(), page.data.end());
  return page;
}

Result<std::optional<MerchantUserRow>> FindMember(store::Tx& tx, std::string_view merchant_id,
                                                  std::string_view user_id) {
  std::optional<MerchantUserRow> out;
  auto q = tx.Query(std::string(kMemberSelect) + " AND u.id = ?", {merchant_id, user_id},
                    [&](const store::Row& r) {
                      out = ReadMember(r);
                      return false;
                    });
  if (!q) return q.error();
  return out;
}

Result<std::optional<Role>> FindCustomRole(store::Tx& tx, std::string_view merchant_id,
                                           std::string_view role_id) {
  std::optional<Role> out;
  auto q =
      tx.Query("SELECT " + std::string(kRoleCols) + " FROM roles WHERE merchant_id = ? AND id = ?",
               {merchant_id, role_id}, [&](const store::Row& r) {
                 out = ReadRole(r);
                 return false;
               });
  if (!q) return q.error();
  return out;
}

Result<std::vector<Role>> ListCustomRoles(store::Tx& tx, std::string_view merchant_id) {
  std::vector<Role> out;
  auto q = tx.Query(
      "SELECT " + std::string(kRoleCols) + " FROM roles WHERE merchant_id = ? ORDER BY created, id",
      {merchant_id}, [&](const store::Row& r) {
        out.push_back(ReadRole(r));
        return true;
      });
  if (!q) return q.error();
  return out;
}

Result<bool> RoleNameTaken(store::Tx& tx, std::string_view merchant_id, std::string_view name_key,
                           std::string_view except_id) {
  bool taken = false;
  auto q = tx.Query("SELECT id FROM roles WHERE merchant_id = ? AND name_key = ? AND id <> ?",
                    {merchant_id, name_key, except_id}, [&](const store::Row&) {
                      taken = true;
                      return false;
                    });
  if (!q) return q.error();
  return taken;
}

Result<bool> InsertRole(store::Tx& tx, std::string_view merchant_id, const Role& role,
                        std::string_view name_key) {
  auto taken = RoleNameTaken(tx, merchant_id, name_key, "");
  if (!taken) return taken.error();
  if (*taken) return false;
  auto i = tx.Exec(
      "INSERT INTO roles (id, merchant_id, name, name_key, description, permissions, created, "
      "updated) VALUES (?,?,?,?,?,?,?,?)",
      {role.id, merchant_id, role.name, name_key, role.description,
       JoinPermissions(role.permissions), role.created_us, role.updated_us});
  if (!i) return i.error();
  return true;
}

Result<bool> UpdateRole(store::Tx& tx, std::string_view merchant_id, const Role& role,
                        std::string_view name_key) {
  auto taken = RoleNameTaken(tx, merchant_id, name_key, role.id);
  if (!taken) return taken.error();
  if (*taken) return false;
  auto u = tx.Exec(
      "UPDATE roles SET name = ?, name_key = ?, description = ?, permissions = ?, updated = ? "
      "WHERE merchant_id = ? AND id = ?",
      {role.name, name_key, role.description, JoinPermissions(role.permissions), role.updated_us,
       merchant_id, role.id});
  if (!u) return u.error();
  return true;
}

Result<void> DeleteRole(store::Tx& tx, std::string_view merchant_id, std::string_view role_id) {
  return Done(
      tx.Exec("DELETE FROM roles WHERE merchant_id = ? AND id = ?", {merchant_id, role_id}));
}

Result<std::optional<SecurityPolicy>> FindPolicy(store::Tx& tx, std::string_view merchant_id) {
  std::optional<SecurityPolicy> out;
  auto q = tx.Query(
      "SELECT mfa_required_for_all, idle_timeout_minutes, absolute_timeout_hours, updated, "
      "updated_by, auto_block_ip, auto_revoke_key FROM security_policies WHERE merchant_id = ?",
      {merchant_id}, [&](const store::Row& r) {
        out = ReadPolicy(r, 0);
        return false;
      });
  if (!q) return q.error();
  return out;
}

Result<void> UpsertPolicy(store::Tx& tx, std::string_view merchant_id, const SecurityPolicy& p) {
  return Done(tx.Exec(
      "INSERT INTO security_policies (merchant_id, mfa_required_for_all, idle_timeout_minutes, "
      "absolute_timeout_hours, updated, updated_by, auto_block_ip, auto_revoke_key) "
      "VALUES (?,?,?,?,?,?,?,?) "
      "ON CONFLICT (merchant_id) DO UPDATE SET mfa_required_for_all = "
      "excluded.mfa_required_for_all, "
      "idle_timeout_minutes = excluded.idle_timeout_minutes, "
      "absolute_timeout_hours = excluded.absolute_timeout_hours, updated = excluded.updated, "
      "updated_by = excluded.updated_by, auto_block_ip = excluded.auto_block_ip, "
      "auto_revoke_key = excluded.auto_revoke_key",
      {merchant_id, p.mfa_required_for_all, p.idle_timeout_minutes, p.absolute_timeout_hours,
       p.updated_us, p.updated_by, p.auto_block_ip, p.auto_revoke_key}));
}

Result<std::optional<MerchantSummary>> FindMerchant(store::Tx& tx, std::string_view merchant_id) {
  std::optional<MerchantSummary> out;
  auto q = tx.Query(std::string(kMerchantSelect) + " AND mer.id = ?", {merchant_id},
                    [&](const store::Row& r) {
                      out = ReadMerchant(r);
                      return false;
                    });
  if (!q) return q.error();
  return out;
}

Result<Page<MerchantSummary>> ListMerchants(store::Tx& tx, const ListParams& params) {
  Page<MerchantSummary> page;
  detail::Keyset q{std::string(kMerchantSelect), {}, "mer.created", "mer.id", 2};
  auto more = detail::KeysetPage(
      tx, q, params, [&](const store::Row& r) { page.data.push_back(ReadMerchant(r)); });
  if (!more) return more.error();
  page.has_more = *more;
  if (params.ending_before) std::reverse(page.data.begin(), page.data.end());
  return page;
}

Result<void> SetMerchantName(store::Tx& tx, std::string_view merchant_id, std::string_view name) {
  return Done(tx.Exec("UPDATE merchants SET name = ? WHERE id = ?", {name, merchant_id}));
}

Result<void> SetMerchantFrozen(store::Tx& tx, std::string_view merchant_id, bool frozen,
                               std::string_view reason, std::string_view by, int64_t now) {
  if (frozen) {
    return Done(
        tx.Exec("UPDATE merchants SET frozen = 1, frozen_at = ?, frozen_reason = ?, frozen_by = ? "
                "WHERE id = ?",
                {now, reason, by, merchant_id}));
  }
  return Done(tx.Exec(
      "UPDATE merchants SET frozen = 0, frozen_at = NULL, frozen_reason = NULL, frozen_by = NULL "
      "WHERE id = ?",
      {merchant_id}));
}

}  // namespace lp::people::repo
