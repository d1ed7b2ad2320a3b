// The people module's SQL, in portable SQL (SQLite and PostgreSQL): the only code that touches
// its tables (users, memberships, roles, invitations, sessions, recovery_codes,
// password_history, security_policies) and the merchants columns it owns (frozen*). Every
// function runs inside the caller's transaction. Times are microseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lp/common/api_result.hpp"
#include "lp/common/result.hpp"
#include "lp/people/model.hpp"
#include "lp/store/store.hpp"

namespace lp::people::repo {

// A statement's row count dropped: only its error matters.
inline Result<void> Done(const Result<int64_t>& r) {
  if (!r) return r.error();
  return {};
}

// ---- users (user_repository.cpp) ----
struct UserRow {
  std::string id;
  AccountKind kind = AccountKind::kUser;
  std::string email;
  std::string email_key;
  std::string password_hash;
  std::string status = "active";
  int64_t failed_logins = 0;
  std::optional<int64_t> locked_until;
  std::optional<std::string> mfa_secret_sealed;
  std::optional<std::string> mfa_pending_sealed;
  std::optional<int64_t> mfa_enrolled_at;
  int64_t mfa_last_step = 0;
  std::string operator_role;
  int64_t role_epoch = 0;
  int64_t password_changed_at = 0;
  std::optional<int64_t> last_sign_in_at;
  int64_t created = 0;
  int64_t updated = 0;
};

Result<std::optional<UserRow>> FindUser(store::Tx& tx, std::string_view id);
Result<std::optional<UserRow>> FindUserByEmail(store::Tx& tx, AccountKind kind,
                                               std::string_view email_key);
Result<void> InsertUser(store::Tx& tx, const UserRow& u);
// The e-mail address of an account (audit actors), if it exists.
Result<std::optional<std::string>> UserEmail(store::Tx& tx, std::string_view id);
// failed_logins + 1; returns the new count.
Result<int64_t> CountFailedLogin(store::Tx& tx, std::string_view id, int64_t now);
Result<void> LockUser(store::Tx& tx, std::string_view id, int64_t until, int64_t now);
Result<void> RecordSignIn(store::Tx& tx, std::string_view id, int64_t now);
Result<void> SetPassword(store::Tx& tx, std::string_view id, std::string_view hash, int64_t now);
Result<void> SetPendingMfa(store::Tx& tx, std::string_view id, const std::string& sealed,
                           int64_t now);
Result<void> ConfirmMfa(store::Tx& tx, std::string_view id, const std::string& sealed, int64_t step,
                        int64_t now);
// Records `step` as the last accepted TOTP step if it is newer; false if it is not (a replay).
Result<bool> AdvanceMfaStep(store::Tx& tx, std::string_view id, int64_t step);
Result<void> ClearMfa(store::Tx& tx, std::string_view id, int64_t now);
Result<void> BumpRoleEpoch(store::Tx& tx, std::string_view user_id);
// Every member of `merchant_id` holding `role_id`.
Result<void> BumpRoleEpochForRole(store::Tx& tx, std::string_view merchant_id,
                                  std::string_view role_id);

struct RecoveryCodeRow {
  std::string id;
  std::string code_hash;
};
Result<void> ReplaceRecoveryCodes(store::Tx& tx, std::string_view user_id,
                                  const std::vector<std::string>& hashes, int64_t now);
Result<std::vector<RecoveryCodeRow>> UnusedRecoveryCodes(store::Tx& tx, std::string_view user_id);
// Marks a code used; false if it was used meanwhile.
Result<bool> UseRecoveryCode(store::Tx& tx, std::string_view id, int64_t now);
Result<void> DeleteRecoveryCodes(store::Tx& tx, std::string_view user_id);

// Newest first.
Result<std::vector<std::string>> RecentPasswordHashes(store::Tx& tx, std::string_view user_id,
                                                      int n);
// Adds `hash` and keeps the newest `keep`.
Result<void> AddPasswordHistory(store::Tx& tx, std::string_view user_id, std::string_view hash,
                                int64_t now, int keep);

// ---- sessions (session_repository.cpp) ----
struct SessionRow {
  std::string id;
  std::string token_hash;
  std::string user_id;
  AccountKind kind = AccountKind::kUser;
  int64_t created = 0;
  int64_t last_seen = 0;
  std::optional<int64_t> mfa_verified_at;
  std::optional<int64_t> reauthenticated_at;
  int64_t role_epoch = 0;
  int64_t mfa_failures = 0;
  int64_t mfa_window_start = 0;
  std::optional<int64_t> revoked_at;
  std::string ip;
  std::string user_agent;
};

Result<void> InsertSession(store::Tx& tx, const SessionRow& s);
Result<std::optional<SessionRow>> FindSessionByTokenHash(store::Tx& tx, std::string_view hash);
Result<std::optional<SessionRow>> FindSession(store::Tx& tx, std::string_view id);
// New cookie value for a live session; false if it was revoked meanwhile.
Result<bool> RotateSessionToken(store::Tx& tx, std::string_view id, std::string_view new_hash,
                                int64_t role_epoch);
Result<void> TouchSession(store::Tx& tx, std::string_view id, int64_t now);
Result<void> MarkMfaVerified(store::Tx& tx, std::string_view id, int64_t now);
Result<void> MarkReauthenticated(store::Tx& tx, std::string_view id, int64_t now);
// Counts a wrong code within the window starting at the session's window start (a new window
// when the old one ended); returns the count in the current window.
Result<int64_t> CountMfaFailure(store::Tx& tx, std::string_view id, int64_t now, int64_t window);
Result<bool> RevokeSession(store::Tx& tx, std::string_view id, int64_t now);
// Revokes every live session of the user except `keep` (empty: all). Returns how many.
Result<int64_t> RevokeUserSessions(store::Tx& tx, std::string_view user_id, std::string_view keep,
                                   int64_t now);
// Live (not revoked) sessions, newest first.
Result<std::vector<SessionRow>> LiveSessions(store::Tx& tx, std::string_view user_id);

// ---- memberships, roles, policies, merchants (team_repository.cpp) ----
struct MembershipRow {
  std::string user_id;
  std::string merchant_id;
  std::string merchant_name;
  bool frozen = false;
  std::string role_id;
  std::optional<SecurityPolicy> policy;
  int64_t created = 0;
};
Result<std::vector<MembershipRow>> UserMemberships(store::Tx& tx, std::string_view user_id);
Result<std::optional<std::string>> MemberRole(store::Tx& tx, std::string_view merchant_id,
                                              std::string_view user_id);
Result<void> InsertMembership(store::Tx& tx, std::string_view user_id, std::string_view merchant_id,
                              std::string_view role_id, int64_t now);
Result<void> UpdateMembershipRole(store::Tx& tx, std::string_view user_id,
                                  std::string_view merchant_id, std::string_view role_id,
                                  int64_t now);
Result<void> DeleteMembership(store::Tx& tx, std::string_view user_id,
                              std::string_view merchant_id);
Result<int64_t> CountMembersWithRole(store::Tx& tx, std::string_view merchant_id,
                                     std::string_view role_id);
// Takes the merchant's row lock (a no-op update) so that concurrent team changes of one merchant
// run one after the other on PostgreSQL too (the last-owner rule). False: no such merchant.
Result<bool> LockMerchant(store::Tx& tx, std::string_view merchant_id);

struct MerchantUserRow {
  std::string user_id;
  std::string email;
  std::string role_id;
  bool mfa_enrolled = false;
  std::optional<int64_t> last_sign_in_at;
  int64_t created = 0;
};
// The merchant's members, newest first, cursor-paginated by user id.
Result<Page<MerchantUserRow>> ListMembers(store::Tx& tx, std::string_view merchant_id,
                                          const ListParams& params);
Result<std::optional<MerchantUserRow>> FindMember(store::Tx& tx, std::string_view merchant_id,
                                                  std::string_view user_id);

Result<std::optional<Role>> FindCustomRole(store::Tx& tx, std::string_view merchant_id,
                                           std::string_view role_id);
Result<std::vector<Role>> ListCustomRoles(store::Tx& tx, std::string_view merchant_id);
// False when the name (case-insensitive) is taken in this merchant.
Result<bool> InsertRole(store::Tx& tx, std::string_view merchant_id, const Role& role,
                        std::string_view name_key);
Result<bool> UpdateRole(store::Tx& tx, std::string_view merchant_id, const Role& role,
                        std::string_view name_key);
Result<void> DeleteRole(store::Tx& tx, std::string_view merchant_id, std::string_view role_id);
Result<bool> RoleNameTaken(store::Tx& tx, std::string_view merchant_id, std::string_view name_key,
                           std::string_view except_id);

Result<std::optional<SecurityPolicy>> FindPolicy(store::Tx& tx, std::string_view merchant_id);
Result<void> UpsertPolicy(store::Tx& tx, std::string_view merchant_id, const SecurityPolicy& p);

Result<std::optional<MerchantSummary>> FindMerchant(store::Tx& tx, std::string_view merchant_id);
// Every merchant, newest first, cursor-paginated by merchant id.
Result<Page<MerchantSummary>> ListMerchants(store::Tx& tx, const ListParams& params);
Result<void> SetMerchantName(store::Tx& tx, std::string_view merchant_id, std::string_view name);
Result<void> SetMerchantFrozen(store::Tx& tx, std::string_view merchant_id, bool frozen,
                               std::string_view reason, std::string_view by, int64_t now);

// ---- invitations (invitation_repository.cpp) ----
struct InvitationRow {
  std::string id;
  std::string merchant_id;
  std::string email;
  std::string email_key;
  std::string role_id;
  std::string token_hash;
  std::string invited_by;
  int64_t created = 0;
  int64_t expires_at = 0;
  std::optional<int64_t> used_at;
  std::optional<std::string> used_by;
  std::optional<int64_t> revoked_at;
};
Result<void> InsertInvitation(store::Tx& tx, const InvitationRow& row);
Result<std::optional<InvitationRow>> FindInvitationByTokenHash(store::Tx& tx,
                                                               std::string_view hash);
Result<std::optional<InvitationRow>> FindInvitation(store::Tx& tx, std::string_view merchant_id,
                                                    std::string_view id);
// Newest first, cursor-paginated by invitation id; `pending_after` (now) keeps only usable ones.
Result<Page<InvitationRow>> ListInvitations(store::Tx& tx, std::string_view merchant_id,
                                            const ListParams& params,
                                            std::optional<int64_t> pending_after);
// Marks it used if it is still pending and unexpired at `now`; false otherwise.
Result<bool> UseInvitation(store::Tx& tx, std::string_view id, std::string_view user_id,
                           int64_t now);
Result<bool> RevokeInvitation(store::Tx& tx, std::string_view id, int64_t now);
// Revokes the merchant's pending invitations of an address (a new invitation replaces them).
Result<void> RevokePendingInvitations(store::Tx& tx, std::string_view merchant_id,
                                      std::string_view email_key, int64_t now);
Result<int64_t> CountPendingWithRole(store::Tx& tx, std::string_view merchant_id,
                                     std::string_view role_id, int64_t now);

}  // namespace lp::people::repo

namespace lp::people::repo::detail {

// Newest-first cursor pagination over (created, id) for the people module's lists (members,
// invitations, merchants). `select` is "SELECT … FROM … WHERE <condition>" with `args` for its
// placeholders (the strings they view must outlive the call); column `created_index` of a row
// is its `created_col`. A cursor id that is not in the selection is 400 resource_missing.
struct Keyset {
  std::string select;
  std::vector<store::Value> args;
  std::string created_col;
  std::string id_col;
  int created_index = 0;
};
Result<bool> KeysetPage(store::Tx& tx, const Keyset& q, const ListParams& params,
                        const std::function<void(const store::Row&)>& row);

}  // namespace lp::people::repo::detail
