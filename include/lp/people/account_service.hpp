// Accounts of dashboard users and operators: sign-in, sessions, MFA (TOTP + recovery codes),
// step-up, password changes, invitation acceptance (PRODUCT.md §4, docs/dashboard-api.md §3, §4,
// §9; docs/people.md). One service for both kinds: the AccountKind says which listener asked.
//
// Owns: the users, sessions, recovery_codes and password_history tables (through its
// repository). Must not touch: API keys, payments, webhooks (other modules' tables). Every
// change commits with its audit record (audit::Append) in one transaction. Services return
// domain objects or typed lp::Error values (people/errors.hpp); the API layer renders them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lp/common/clock.hpp"
#include "lp/common/random.hpp"
#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"
#include "lp/common/task.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/crypto/password_hash.hpp"
#include "lp/people/authorization.hpp"
#include "lp/people/model.hpp"
#include "lp/people/password_policy.hpp"
#include "lp/store/store.hpp"

namespace lp::people {

// What every people service is built from (the composition root owns them all).
struct Deps {
  store::Store& store;
  const crypto::KeyRing& keyring;
  crypto::PasswordHasher& hasher;  // argon2id off the I/O threads, bounded
  const PasswordPolicy& passwords;
  const Clock& clock;
  Random& random;  // session tokens, TOTP secrets, recovery codes, invitation tokens
};

// The platform's numbers (PRODUCT.md §4; STANDARDS PCI 8.2.8, 8.3.4; ASVS 7.3).
struct AccountOptions {
  int max_failed_logins = 10;                  // consecutive failures → locked
  int64_t lockout_us = 30LL * 60 * 1'000'000;  // 30 min
  int64_t idle_timeout_us = 15LL * 60 * 1'000'000;
  int64_t absolute_timeout_us = 12LL * 3600 * 1'000'000;
  int64_t reauth_window_us = 5LL * 60 * 1'000'000;  // step-up validity
  int mfa_max_failures = 5;                         // wrong codes per session per window → 429
  int64_t mfa_failure_window_us = 15LL * 60 * 1'000'000;
  int totp_window = 1;  // ± steps accepted
  // last_seen is written at most this often (deadlines then err on the short side by ≤ this).
  int64_t touch_interval_us = 10LL * 1'000'000;
  std::string totp_issuer = "LiasonPay";  // operators get "<issuer> Ops"
};

// The second factor of a request: a TOTP code or a recovery code (exactly one).
struct SecondFactor {
  std::string code;       // 6 digits
  bool recovery = false;  // `code` is a recovery code ("abcd-efgh-ijkl")
};

class AccountService {
 public:
  // Computes the dummy hash that unknown e-mail addresses are verified against (blocking,
  // once: construct at start-up, not on an I/O thread).
  AccountService(Deps deps, AccountOptions options = {});

  // POST /sessions. Unknown e-mail, wrong password, locked or disabled account: the same
  // 401 invalid_credentials after the same work (one argon2id verification either way).
  // 10 consecutive failures lock the account for 30 min. `previous_token` (a cookie the client
  // still sent) is revoked: a fresh id at every sign-in. Every attempt is audited.
  Task<Result<SessionGrant>> SignIn(AccountKind kind, std::string email, SecureBytes password,
                                    RequestContext context, std::string previous_token = {});

  // Resolves a session cookie on every request: 401 authentication_required (none, unknown,
  // revoked, other kind) or session_expired (idle/absolute, with the shortest policy of the
  // user's merchants), then the gate (401 mfa_required / 403 mfa_enrollment_required). Roles,
  // memberships and the frozen flag are read now (no cached claims). Rotates the cookie value
  // after a role change (Caller::new_session_token).
  Task<Result<Caller>> Authenticate(AccountKind kind, std::string token, MfaGate gate,
                                    RequestContext context);

  // POST /sessions/mfa (state `required`): a TOTP code (±1 step, never a step used before) or
  // an unused recovery code. 5 wrong codes per session per 15 min → 429 rate_limited.
  // Success rotates the cookie value.
  Task<Result<SessionGrant>> VerifyMfa(const Caller& caller, SecondFactor factor,
                                       RequestContext context);

  // POST /mfa/enroll: a new pending secret (160 bits, sealed), replacing a pending one.
  Task<Result<MfaEnrollment>> StartEnrollment(const Caller& caller, RequestContext context);
  // POST /mfa/enroll/confirm: the first code of the pending secret activates it; returns ten
  // recovery codes (shown once) and the rotated session.
  Task<Result<RecoveryCodes>> ConfirmEnrollment(const Caller& caller, std::string code,
                                                RequestContext context);
  // POST /mfa/recovery_codes (step-up): a new set replacing the old.
  Task<Result<RecoveryCodes>> RegenerateRecoveryCodes(const Caller& caller, RequestContext context);
  // DELETE /mfa (step-up): only for an account not required to have MFA (403 otherwise);
  // revokes the account's other sessions. Returns how many.
  Task<Result<int64_t>> RemoveMfa(const Caller& caller, RequestContext context);

  // POST /sessions/current/reauthenticate: password, plus a code for MFA accounts. Wrong
  // passwords count towards the lockout. Rotates the cookie value.
  Task<Result<SessionGrant>> Reauthenticate(const Caller& caller, SecureBytes password,
                                            std::optional<SecondFactor> factor,
                                            RequestContext context);

  // POST /password: checks the current password, the rules and the last 4; revokes the
  // account's other sessions. Returns how many.
  Task<Result<int64_t>> ChangePassword(const Caller& caller, SecureBytes current_password,
                                       SecureBytes new_password, RequestContext context);

  // DELETE /sessions/current.
  Task<Result<void>> SignOut(const Caller& caller, RequestContext context);
  // GET /sessions: live sessions, newest first.
  Task<Result<std::vector<SessionInfo>>> ListSessions(const Caller& caller);
  // DELETE /sessions/{id}: one's own session only (404 otherwise). True if it was the current.
  Task<Result<bool>> RevokeSession(const Caller& caller, std::string session_id,
                                   RequestContext context);
  // DELETE /sessions: every session of the account, the current one included. Returns how many.
  Task<Result<int64_t>> RevokeAllSessions(const Caller& caller, RequestContext context);

  // POST /invitations/lookup: 400 invitation_invalid for an unknown, used, revoked or expired
  // token.
  Task<Result<InvitationPreview>> LookupInvitation(std::string token);
  // POST /invitations/accept: a new account takes `password` (the rules apply, param
  // `password`); an existing one must give its current password (401 invalid_credentials).
  // Consumes the token, adds the membership, signs in.
  Task<Result<SessionGrant>> AcceptInvitation(std::string token, SecureBytes password,
                                              RequestContext context);

  const AccountOptions& Options() const { return options_; }

  // A failed sign-in (wrong password, unknown, locked or disabled account), after it was
  // audited: for the security monitor's burst detector. `account`: the user id, or
  // "email:<digest>" for an unknown address; `merchant_ids`: the user's merchants.
  struct SignInFailure {
    AccountKind kind = AccountKind::kUser;
    std::string account;
    std::vector<std::string> merchant_ids;
    RequestContext context;
  };
  // Set once at start-up, before serving.
  void SetSignInFailureObserver(std::function<void(const SignInFailure&)> observer) {
    on_sign_in_failure_ = std::move(observer);
  }

 private:
  struct Impl;
  Deps deps_;
  AccountOptions options_;
  std::string dummy_hash_;
  std::function<void(const SignInFailure&)> on_sign_in_failure_;
};

}  // namespace lp::people
