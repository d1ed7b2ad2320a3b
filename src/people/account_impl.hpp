// AccountService's shared internals (account_service.cpp, account_mfa.cpp, account_password.cpp,
// account_invitation.cpp).
#pragma once

#include <optional>
#include <string>

#include "internal.hpp"
#include "lp/people/account_service.hpp"
#include "repository.hpp"

namespace lp::people {

// Associated data of the sealed TOTP secrets: "users:<column>:<user id>" (table:column:row, as
// every sealed column; merchants::SealedColumns must list both columns for key rotation).
std::string MfaSecretAad(std::string_view user_id);
std::string MfaPendingAad(std::string_view user_id);

namespace internal {
// An audit entry with the account `user` as actor and target.
AuditEntry ByUser(const repo::UserRow& user, std::string action);
}  // namespace internal

struct AccountService::Impl {
  // A new session row for `user` (inside `tx`) with cookie value `token`.
  static Result<SessionGrant> OpenSession(AccountService& s, store::Tx& tx,
                                          const repo::UserRow& user, const internal::Access& access,
                                          const std::string& token, bool mfa_verified,
                                          const RequestContext& context, int64_t now);
  // OpenSession for a session a password just opened (second factor not yet verified), with
  // the access `user` has now: sign-in and invitation acceptance.
  static Result<SessionGrant> OpenPasswordSession(AccountService& s, store::Tx& tx,
                                                  const repo::UserRow& user,
                                                  const std::string& token,
                                                  const RequestContext& context, int64_t now);
  // A new cookie value for a live session; 401 authentication_required if it ended meanwhile.
  static Result<SessionGrant> RotateSession(AccountService& s, store::Tx& tx,
                                            const repo::UserRow& user,
                                            const repo::SessionRow& session,
                                            const internal::Access& access,
                                            const std::string& token, int64_t now);

  // The result of checking a second factor against the stored secret or codes (no writes).
  struct FactorMatch {
    bool ok = false;
    bool replay = false;  // a TOTP code of a step already used
    int64_t step = 0;
    std::string recovery_id;
    std::size_t recovery_left = 0;  // unused codes after this one
  };
  static Task<Result<FactorMatch>> MatchFactor(AccountService& s, repo::UserRow user,
                                               SecondFactor factor, int64_t now);
  // Spends what MatchFactor found (the step, or the recovery code) inside `tx`; false when a
  // concurrent request spent it first (then it counts as a replay).
  static Result<bool> SpendFactor(store::Tx& tx, const repo::UserRow& user,
                                  const FactorMatch& match, int64_t now);
  // 429 once the session has had mfa_max_failures wrong codes in the current window.
  static Result<void> CheckFactorRate(const AccountService& s, const repo::SessionRow& session,
                                      int64_t now);
  // Counts a wrong code against the session (and audits it) in its own transaction.
  static Task<Result<void>> RecordFactorFailure(AccountService& s, const Caller& caller,
                                                std::string action, bool replay,
                                                const RequestContext& context);
  // Counts a wrong password against the account (locking it at the threshold) and audits
  // `action` as a failure, in `tx`.
  static Result<void> RecordPasswordFailure(AccountService& s, store::Tx& tx,
                                            const repo::UserRow& user, std::string action,
                                            std::string reason, const RequestContext& context,
                                            int64_t now);

  // Reads the caller's account and session (401 if either is gone).
  struct Current {
    repo::UserRow user;
    repo::SessionRow session;
  };
  static Task<Result<Current>> LoadCurrent(AccountService& s, const Caller& caller);
  // Checks the caller's current password (normalised as at sign-in) and the lockout. A wrong
  // password counts toward the lockout; it and a locked account are audited as a failed `action`
  // on `target` and answered invalid_credentials on `field`.
  static Task<Result<void>> CheckCurrentPassword(AccountService& s, const Caller& caller,
                                                 const repo::UserRow& user, SecureBytes password,
                                                 std::string field, std::string action,
                                                 std::string target, const RequestContext& context);

  // ---- sign-in (account_service.cpp) ----
  // Audits a failed sign-in for `failure` (a wrong password counts toward the lockout) in its
  // own transaction, then tells the sign-in failure observer.
  static Task<Result<void>> RecordSignInFailure(AccountService& s, AccountKind kind,
                                                const std::optional<repo::UserRow>& user,
                                                const std::string& email_key,
                                                const std::string& failure,
                                                const RequestContext& context, int64_t now);
  // Records the sign-in of `user`, revokes the session of `previous_token` (if live), opens a new
  // session with cookie value `token` and audits auth.sign_in, in `tx`.
  static Result<SessionGrant> OpenSignInSession(AccountService& s, store::Tx& tx,
                                                const repo::UserRow& user,
                                                const std::string& previous_token,
                                                const std::string& token,
                                                const RequestContext& context, int64_t now);
  // Stores a new hash of `password` (normalised) for `user`, with the hasher's current
  // parameters. Best effort: failures are ignored.
  static Task<void> StoreRehash(AccountService& s, const repo::UserRow& user,
                                const SecureBytes& password, int64_t now);

  // ---- invitation acceptance (account_invitation.cpp) ----
  // Checks the current password of `existing`, the account an invitation is accepted for, and
  // its lockout and status. A wrong password counts toward the lockout; it and a locked or
  // disabled account are audited as a failed invitation.accept and answered invalid_credentials
  // on `password`.
  static Task<Result<void>> CheckInviteePassword(AccountService& s, const repo::UserRow& existing,
                                                 const InvitationPreview& preview,
                                                 const SecureBytes& password,
                                                 const RequestContext& context);
  // The hash of the password a new account takes (the rules apply, param `password`).
  static Task<Result<std::string>> HashInviteePassword(AccountService& s,
                                                       const InvitationPreview& preview,
                                                       const SecureBytes& password);
  // Adds `user` to the invitation's merchant with its role, signs it in (a new session with
  // cookie value `token`) and audits invitation.accept, in `tx`.
  static Result<SessionGrant> JoinInvitedMerchant(AccountService& s, store::Tx& tx,
                                                  const repo::InvitationRow& inv,
                                                  repo::UserRow user, bool new_account,
                                                  const std::string& token,
                                                  const RequestContext& context, int64_t now);
};

}  // namespace lp::people
