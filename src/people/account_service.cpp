// Sign-in and session resolution (sign-out and session lists: account_sessions.cpp; step-up and
// password changes: account_password.cpp; invitation acceptance: account_invitation.cpp).
#include <utility>

#include "account_impl.hpp"
#include "lp/crypto/hash.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"

namespace lp::people {

using internal::Access;
using internal::AuditEntry;
using internal::ByUser;

std::string MfaSecretAad(std::string_view user_id) {
  return "users:mfa_secret_sealed:" + std::string(user_id);
}
std::string MfaPendingAad(std::string_view user_id) {
  return "users:mfa_pending_sealed:" + std::string(user_id);
}

namespace {

Caller MakeCaller(const repo::UserRow& user, const repo::SessionRow& session, Access access,
                  MfaState state, const std::string& token, const AccountOptions& options,
                  int64_t recovery_left) {
  Caller c;
  c.kind = user.kind;
  c.user_id = user.id;
  c.email = user.email;
  c.user_created_us = user.created;
  c.mfa_status.enrolled = user.mfa_secret_sealed.has_value();
  c.mfa_status.required = access.mfa_required;
  c.mfa_status.recovery_codes_left = static_cast<int>(recovery_left);
  c.session_id = session.id;
  c.mfa = state;
  c.session_created_us = session.created;
  c.idle_expires_at_us = session.last_seen + access.idle_timeout_us;
  c.expires_at_us = session.created + access.absolute_timeout_us;
  if (session.reauthenticated_at) {
    c.reauthenticated_until_us = *session.reauthenticated_at + options.reauth_window_us;
  }
  c.csrf_token = internal::CsrfToken(token);
  if (state == MfaState::kSatisfied) {
    c.memberships = std::move(access.memberships);
    if (user.kind == AccountKind::kOperator) {
      c.operator_role = user.operator_role;
      c.operator_permissions = std::move(access.operator_permissions);
    }
  }
  return c;
}

AuditEntry Anonymous(AccountKind kind, std::string action) {
  AuditEntry e;
  e.actor_type = std::string(ToString(kind));
  e.actor_id = "anonymous";
  e.action = std::move(action);
  return e;
}

// Why a sign-in attempt fails (the first that applies), or empty when it succeeds.
std::string SignInFailureReason(const std::optional<repo::UserRow>& user, bool password_ok,
                                int64_t now) {
  if (!user) {
    return "unknown_account";
  }
  if (user->status != "active") {
    return "disabled";
  }
  if (user->locked_until && *user->locked_until > now) {
    return "locked";
  }
  if (!password_ok) {
    return "wrong_password";
  }
  return {};
}

// Revokes the live session whose cookie value the client still sent, if any.
Result<void> RevokePreviousSession(store::Tx& tx, const std::string& previous_token, int64_t now) {
  if (!internal::WellFormedToken(previous_token)) {
    return {};
  }
  auto old = repo::FindSessionByTokenHash(tx, internal::TokenHash(previous_token));
  if (!old) {
    return old.error();
  }
  if (*old && !(*old)->revoked_at) {
    if (auto rv = repo::RevokeSession(tx, (*old)->id, now); !rv) {
      return rv.error();
    }
  }
  return {};
}

}  // namespace

namespace internal {

AuditEntry ByUser(const repo::UserRow& user, std::string action) {
  AuditEntry e;
  e.actor_type = std::string(ToString(user.kind));
  e.actor_id = user.id;
  e.action = std::move(action);
  e.target = user.id;
  return e;
}

}  // namespace internal

AccountService::AccountService(Deps deps, AccountOptions options)
    : deps_(deps), options_(std::move(options)) {
  // Unknown addresses are verified against this hash, so they cost one argon2id verification
  // with the same parameters as a real account.
  std::string random_password = internal::NewToken(deps_.random);
  auto h = crypto::HashPassword(random_password, deps_.hasher.Params());
  crypto::SecureWipe(random_password);
  dummy_hash_ = h ? *h : std::string();
}

// ---- Impl ----

Result<SessionGrant> AccountService::Impl::OpenSession(AccountService& s, store::Tx& tx,
                                                       const repo::UserRow& user,
                                                       const Access& access,
                                                       const std::string& token, bool mfa_verified,
                                                       const RequestContext& context, int64_t now) {
  repo::SessionRow row;
  row.id = NewId("ses");
  row.token_hash = internal::TokenHash(token);
  row.user_id = user.id;
  row.kind = user.kind;
  row.created = now;
  row.last_seen = now;
  if (mfa_verified) {
    row.mfa_verified_at = now;
  }
  row.role_epoch = user.role_epoch;
  row.ip = context.ip;
  row.user_agent = context.user_agent.substr(0, 512);
  const MfaState state = internal::SessionState(user, row, access);
  // The password (and the code, if any) were just entered: a fresh step-up, unless a factor is
  // still missing.
  if (state == MfaState::kSatisfied) {
    row.reauthenticated_at = now;
  }
  if (auto r = repo::InsertSession(tx, row); !r) {
    return r.error();
  }
  SessionGrant g;
  g.token = Secret<std::string>(token);
  g.csrf_token = internal::CsrfToken(token);
  g.session_id = row.id;
  g.user_id = user.id;
  g.mfa = state;
  if (row.reauthenticated_at) {
    g.reauthenticated_until_us = *row.reauthenticated_at + s.options_.reauth_window_us;
  }
  return g;
}

Result<SessionGrant> AccountService::Impl::OpenPasswordSession(AccountService& s, store::Tx& tx,
                                                               const repo::UserRow& user,
                                                               const std::string& token,
                                                               const RequestContext& context,
                                                               int64_t now) {
  auto access = internal::LoadAccess(tx, user, s.options_);
  if (!access) {
    return access.error();
  }
  return OpenSession(s, tx, user, *access, token, false, context, now);
}

Result<SessionGrant> AccountService::Impl::RotateSession(AccountService& s, store::Tx& tx,
                                                         const repo::UserRow& user,
                                                         const repo::SessionRow& session,
                                                         const Access& access,
                                                         const std::string& token, int64_t now) {
  auto rotated =
      repo::RotateSessionToken(tx, session.id, internal::TokenHash(token), user.role_epoch);
  if (!rotated) {
    return rotated.error();
  }
  if (!*rotated) {
    return AuthenticationRequired();
  }
  auto fresh = repo::FindSession(tx, session.id);
  if (!fresh) {
    return fresh.error();
  }
  if (!*fresh) {
    return AuthenticationRequired();
  }
  SessionGrant g;
  g.token = Secret<std::string>(token);
  g.csrf_token = internal::CsrfToken(token);
  g.session_id = session.id;
  g.user_id = user.id;
  g.mfa = internal::SessionState(user, **fresh, access);
  if ((*fresh)->reauthenticated_at) {
    g.reauthenticated_until_us = *(*fresh)->reauthenticated_at + s.options_.reauth_window_us;
  }
  (void)now;
  return g;
}

Result<void> AccountService::Impl::RecordPasswordFailure(AccountService& s, store::Tx& tx,
                                                         const repo::UserRow& user,
                                                         std::string action, std::string reason,
                                                         const RequestContext& context,
                                                         int64_t now) {
  auto n = repo::CountFailedLogin(tx, user.id, now);
  if (!n) {
    return n.error();
  }
  AuditEntry e = ByUser(user, std::move(action));
  e.outcome = "failure";
  e.details = internal::DetailsJson({{"reason", std::move(reason)}});
  if (auto a = internal::Audit(tx, e, context, now); !a) {
    return a.error();
  }
  if (*n >= s.options_.max_failed_logins) {
    if (auto l = repo::LockUser(tx, user.id, now + s.options_.lockout_us, now); !l) {
      return l.error();
    }
    AuditEntry lock = ByUser(user, "auth.account_locked");
    lock.actor_type = "system";
    lock.actor_id = "system";
    lock.details = internal::DetailsJson(
        {{"failures", std::to_string(*n)},
         {"locked_until", std::to_string((now + s.options_.lockout_us) / 1'000'000)}});
    if (auto a = internal::Audit(tx, lock, context, now); !a) {
      return a.error();
    }
  }
  return {};
}

Task<Result<AccountService::Impl::Current>> AccountService::Impl::LoadCurrent(
    AccountService& s, const Caller& caller) {
  Current cur;
  bool found = false;
  auto r = co_await store::Read(s.deps_.store, [&](store::Tx& tx) -> Result<void> {
    found = false;
    auto u = repo::FindUser(tx, caller.user_id);
    if (!u) {
      return u.error();
    }
    auto sess = repo::FindSession(tx, caller.session_id);
    if (!sess) {
      return sess.error();
    }
    if (*u && *sess && !(*sess)->revoked_at && (*sess)->user_id == caller.user_id) {
      cur.user = std::move(**u);
      cur.session = std::move(**sess);
      found = true;
    }
    return {};
  });
  if (!r) {
    co_return r.error();
  }
  if (!found) {
    co_return AuthenticationRequired();
  }
  co_return cur;
}

// ---- sign-in ----

Task<Result<void>> AccountService::Impl::RecordSignInFailure(
    AccountService& s, AccountKind kind, const std::optional<repo::UserRow>& user,
    const std::string& email_key, const std::string& failure, const RequestContext& context,
    int64_t now) {
  SignInFailure observed{kind, {}, {}, context};
  auto w = co_await store::Write(s.deps_.store, [&](store::Tx& tx) -> Result<void> {
    if (user && s.on_sign_in_failure_) {
      auto ms = repo::UserMemberships(tx, user->id);
      if (!ms) {
        return ms.error();
      }
      observed.merchant_ids.clear();
      for (const auto& m : *ms) {
        observed.merchant_ids.push_back(m.merchant_id);
      }
    }
    if (failure == "wrong_password") {
      return RecordPasswordFailure(s, tx, *user, "auth.sign_in", failure, context, now);
    }
    AuditEntry e = user ? ByUser(*user, "auth.sign_in") : Anonymous(kind, "auth.sign_in");
    e.outcome = "failure";
    if (user) {
      e.details = internal::DetailsJson({{"reason", failure}});
    } else {
      // Which address was tried, without storing it (a typed password is sometimes there).
      e.details = internal::DetailsJson(
          {{"reason", failure},
           {"email_sha256", crypto::Hex(crypto::Sha256(email_key)).substr(0, 16)}});
    }
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    co_return w.error();
  }
  if (s.on_sign_in_failure_) {
    observed.account =
        user ? user->id : "email:" + crypto::Hex(crypto::Sha256(email_key)).substr(0, 16);
    s.on_sign_in_failure_(observed);
  }
  co_return Result<void>{};
}

Result<SessionGrant> AccountService::Impl::OpenSignInSession(
    AccountService& s, store::Tx& tx, const repo::UserRow& user, const std::string& previous_token,
    const std::string& token, const RequestContext& context, int64_t now) {
  if (auto r = repo::RecordSignIn(tx, user.id, now); !r) {
    return r.error();
  }
  if (auto r = RevokePreviousSession(tx, previous_token, now); !r) {
    return r.error();
  }
  auto grant = OpenPasswordSession(s, tx, user, token, context, now);
  if (!grant) {
    return grant.error();
  }
  AuditEntry e = ByUser(user, "auth.sign_in");
  e.target = grant->session_id;
  e.details = internal::DetailsJson({{"mfa", std::string(ToString(grant->mfa))}});
  if (auto a = internal::Audit(tx, e, context, now); !a) {
    return a.error();
  }
  return grant;
}

Task<void> AccountService::Impl::StoreRehash(AccountService& s, const repo::UserRow& user,
                                             const SecureBytes& password, int64_t now) {
  auto normalized = PasswordPolicy::Normalize(password.view(), "password");
  if (!normalized) {
    co_return;
  }
  auto h = co_await s.deps_.hasher.Hash(std::move(*normalized));
  if (!h) {
    co_return;
  }
  co_await store::Write(s.deps_.store, [&](store::Tx& tx) -> Result<void> {
    return repo::SetPassword(tx, user.id, *h, now);
  });
}

Task<Result<SessionGrant>> AccountService::SignIn(AccountKind kind, std::string email,
                                                  SecureBytes password, RequestContext context,
                                                  std::string previous_token) {
  const std::string email_key = EmailKey(email);
  auto normalized = PasswordPolicy::Normalize(password.view(), "password");
  SecureBytes pw = normalized ? std::move(*normalized) : password.Clone();

  std::optional<repo::UserRow> user;
  auto read = co_await store::ReadInto(
      deps_.store, user, [&](store::Tx& tx) { return repo::FindUserByEmail(tx, kind, email_key); });
  if (!read) {
    co_return read.error();
  }
  // One argon2id verification whatever the account's state: the time tells nothing.
  auto ok = co_await deps_.hasher.Verify(user ? user->password_hash : dummy_hash_, std::move(pw));
  if (!ok) {
    co_return ok.error();
  }
  const int64_t now = deps_.clock.NowMicros();

  const std::string failure = SignInFailureReason(user, *ok, now);
  if (!failure.empty()) {
    auto recorded =
        co_await Impl::RecordSignInFailure(*this, kind, user, email_key, failure, context, now);
    if (!recorded) {
      co_return recorded.error();
    }
    co_return InvalidCredentials();
  }

  const std::string token = internal::NewToken(deps_.random);
  SessionGrant grant;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto g = Impl::OpenSignInSession(*this, tx, *user, previous_token, token, context, now);
    if (!g) {
      return g.error();
    }
    grant = std::move(*g);
    return {};
  });
  if (!w) {
    co_return w.error();
  }
  // Parameters raised since this hash was made: store a new one (best effort).
  if (crypto::PasswordNeedsRehash(user->password_hash, deps_.hasher.Params())) {
    co_await Impl::StoreRehash(*this, *user, password, now);
  }
  co_return grant;
}

// ---- session resolution ----

Task<Result<Caller>> AccountService::Authenticate(AccountKind kind, std::string token, MfaGate gate,
                                                  RequestContext context) {
  // Sessions are not bound to an address (mobile clients change networks); the pipeline logs it.
  (void)context;
  if (!internal::WellFormedToken(token)) {
    co_return AuthenticationRequired();
  }
  const std::string hash = internal::TokenHash(token);
  const int64_t now = deps_.clock.NowMicros();
  std::optional<repo::SessionRow> session;
  std::optional<repo::UserRow> user;
  Access access;
  int64_t recovery_left = 0;
  auto read = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    session.reset();
    user.reset();
    auto s = repo::FindSessionByTokenHash(tx, hash);
    if (!s) {
      return s.error();
    }
    if (!*s || (*s)->kind != kind) {
      return {};
    }
    auto u = repo::FindUser(tx, (*s)->user_id);
    if (!u) {
      return u.error();
    }
    if (!*u) {
      return {};
    }
    auto a = internal::LoadAccess(tx, **u, options_);
    if (!a) {
      return a.error();
    }
    if ((*u)->mfa_secret_sealed) {
      auto codes = repo::UnusedRecoveryCodes(tx, (*u)->id);
      if (!codes) {
        return codes.error();
      }
      recovery_left = static_cast<int64_t>(codes->size());
    }
    session = std::move(*s);
    user = std::move(*u);
    access = std::move(*a);
    return {};
  });
  if (!read) {
    co_return read.error();
  }
  if (!session || !user || session->revoked_at || user->status != "active") {
    co_return AuthenticationRequired();
  }
  const bool idle_expired = now >= session->last_seen + access.idle_timeout_us;
  const bool absolute_expired = now >= session->created + access.absolute_timeout_us;
  if (idle_expired || absolute_expired) {
    // Ended for good: a policy lengthened later must not bring it back.
    co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
      auto r = repo::RevokeSession(tx, session->id, now);
      if (!r) {
        return r.error();
      }
      return {};
    });
    co_return SessionExpired();
  }

  const MfaState state = internal::SessionState(*user, *session, access);
  std::string current_token = token;
  std::optional<Secret<std::string>> rotated;
  const bool rotate = session->role_epoch != user->role_epoch;
  const bool touch = now - session->last_seen >= options_.touch_interval_us;
  if (rotate || touch) {
    const std::string new_token = rotate ? internal::NewToken(deps_.random) : std::string();
    auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
      if (rotate) {
        auto g = Impl::RotateSession(*this, tx, *user, *session, access, new_token, now);
        if (!g) {
          return g.error();
        }
      }
      if (touch) {
        return repo::TouchSession(tx, session->id, now);
      }
      return {};
    });
    if (!w) {
      co_return w.error();
    }
    if (touch) {
      session->last_seen = now;
    }
    if (rotate) {
      current_token = new_token;
      rotated = Secret<std::string>(new_token);
    }
  }
  Caller caller =
      MakeCaller(*user, *session, std::move(access), state, current_token, options_, recovery_left);
  caller.new_session_token = std::move(rotated);
  if (auto g = CheckMfaGate(caller, gate); !g) {
    co_return g.error();
  }
  co_return caller;
}

}  // namespace lp::people
