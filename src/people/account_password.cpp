// Step-up (reauthentication) and password changes.
#include <utility>

#include "account_impl.hpp"
#include "lp/crypto/hash.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"

namespace lp::people {

using internal::AuditEntry;

// ---- step-up and password ----

Task<Result<SessionGrant>> AccountService::Reauthenticate(const Caller& caller,
                                                          SecureBytes password,
                                                          std::optional<SecondFactor> factor,
                                                          RequestContext context) {
  auto cur = co_await Impl::LoadCurrent(*this, caller);
  if (!cur) {
    co_return cur.error();
  }
  const bool enrolled = cur->user.mfa_secret_sealed.has_value();
  if (enrolled && (!factor || factor->code.empty())) {
    co_return MissingParameter("code");
  }
  auto pw =
      co_await Impl::CheckCurrentPassword(*this, caller, cur->user, std::move(password), "password",
                                          "auth.reauthenticate", caller.session_id, context);
  if (!pw) {
    co_return pw.error();
  }
  int64_t now = deps_.clock.NowMicros();
  Impl::FactorMatch match;
  if (enrolled) {
    if (auto rate = Impl::CheckFactorRate(*this, cur->session, now); !rate) {
      co_return rate.error();
    }
    auto m = co_await Impl::MatchFactor(*this, cur->user, *factor, now);
    if (!m) {
      co_return m.error();
    }
    if (!m->ok) {
      auto f = co_await Impl::RecordFactorFailure(*this, caller, "auth.reauthenticate", m->replay,
                                                  context);
      if (!f) {
        co_return f.error();
      }
      co_return InvalidCode(factor->recovery ? "recovery_code" : "code");
    }
    match = std::move(*m);
  }
  const std::string token = internal::NewToken(deps_.random);
  now = deps_.clock.NowMicros();
  SessionGrant grant;
  bool spent = true;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    spent = true;
    if (enrolled) {
      auto s = Impl::SpendFactor(tx, cur->user, match, now);
      if (!s) {
        return s.error();
      }
      if (!*s) {
        spent = false;
        return InvalidCode(factor->recovery ? "recovery_code" : "code");  // rolls back
      }
    }
    if (auto r = repo::MarkReauthenticated(tx, cur->session.id, now); !r) {
      return r.error();
    }
    auto access = internal::LoadAccess(tx, cur->user, options_);
    if (!access) {
      return access.error();
    }
    auto g = Impl::RotateSession(*this, tx, cur->user, cur->session, *access, token, now);
    if (!g) {
      return g.error();
    }
    grant = std::move(*g);
    AuditEntry e = internal::ByCaller(caller, "auth.reauthenticate", caller.session_id);
    if (enrolled) {
      e.details =
          internal::DetailsJson({{"factor", match.recovery_id.empty() ? "totp" : "recovery_code"}});
    }
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    if (!spent) {
      co_await Impl::RecordFactorFailure(*this, caller, "auth.reauthenticate", true, context);
    }
    co_return w.error();
  }
  co_return grant;
}

Task<Result<int64_t>> AccountService::ChangePassword(const Caller& caller,
                                                     SecureBytes current_password,
                                                     SecureBytes new_password,
                                                     RequestContext context) {
  auto cur = co_await Impl::LoadCurrent(*this, caller);
  if (!cur) {
    co_return cur.error();
  }
  auto pw = co_await Impl::CheckCurrentPassword(*this, caller, cur->user,
                                                std::move(current_password), "current_password",
                                                "password.change", caller.user_id, context);
  if (!pw) {
    co_return pw.error();
  }
  // The rules, with the names of the account's merchants as context words.
  PasswordContext pctx{cur->user.kind, cur->user.email, {}};
  std::vector<std::string> history;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    pctx.other_words.clear();
    auto ms = repo::UserMemberships(tx, cur->user.id);
    if (!ms) {
      return ms.error();
    }
    for (const auto& m : *ms) {
      pctx.other_words.push_back(m.merchant_name);
    }
    auto h = repo::RecentPasswordHashes(tx, cur->user.id, kPasswordHistory);
    if (!h) {
      return h.error();
    }
    history = std::move(*h);
    return {};
  });
  if (!r) {
    co_return r.error();
  }
  auto checked = deps_.passwords.Check(new_password.view(), pctx, "new_password");
  if (!checked) {
    co_return checked.error();
  }
  if (history.empty()) {
    history.push_back(cur->user.password_hash);  // accounts from before the history existed
  }
  auto reused = co_await deps_.hasher.VerifyAny(history, checked->Clone());
  if (!reused) {
    co_return reused.error();
  }
  if (*reused >= 0) {
    co_return Error::Invalid("password_reused",
                             "Choose a password you have not used for your last 4 passwords.",
                             "new_password");
  }
  auto hash = co_await deps_.hasher.Hash(std::move(*checked));
  if (!hash) {
    co_return hash.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  int64_t revoked = 0;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    if (auto s = repo::SetPassword(tx, cur->user.id, *hash, now); !s) {
      return s.error();
    }
    if (auto h = repo::AddPasswordHistory(tx, cur->user.id, *hash, now, kPasswordHistory); !h) {
      return h.error();
    }
    auto rv = repo::RevokeUserSessions(tx, cur->user.id, caller.session_id, now);
    if (!rv) {
      return rv.error();
    }
    revoked = *rv;
    AuditEntry e = internal::ByCaller(caller, "password.change", caller.user_id);
    e.details = internal::DetailsJson({{"other_sessions_revoked", std::to_string(revoked)}});
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return revoked;
}

Task<Result<void>> AccountService::Impl::CheckCurrentPassword(
    AccountService& s, const Caller& caller, const repo::UserRow& user, SecureBytes password,
    std::string field, std::string action, std::string target, const RequestContext& context) {
  auto normalized = PasswordPolicy::Normalize(password.view(), field);
  SecureBytes pw = normalized ? std::move(*normalized) : password.Clone();
  auto ok = co_await s.deps_.hasher.Verify(user.password_hash, std::move(pw));
  if (!ok) {
    co_return ok.error();
  }
  const int64_t now = s.deps_.clock.NowMicros();
  const bool locked = user.locked_until && *user.locked_until > now;
  if (*ok && !locked) {
    co_return Result<void>{};
  }
  auto w = co_await store::Write(s.deps_.store, [&](store::Tx& tx) -> Result<void> {
    if (locked) {
      AuditEntry e = internal::ByCaller(caller, action, target);
      e.outcome = "failure";
      e.details = internal::DetailsJson({{"reason", "locked"}});
      return internal::Audit(tx, e, context, now);
    }
    return RecordPasswordFailure(s, tx, user, action, "wrong_password", context, now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return InvalidCredentials(field);
}

}  // namespace lp::people
