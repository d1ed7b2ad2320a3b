// MFA: the TOTP step of a session, enrolment, recovery codes, removal.
#include <utility>

#include "account_impl.hpp"
#include "lp/crypto/totp.hpp"
#include "lp/people/errors.hpp"
#include "qr_svg.hpp"

namespace lp::people {

using internal::AuditEntry;

namespace {

constexpr size_t kSecretBytes = 20;  // 160 bits (RFC 4226 §4 R6)

// RFC 3986 unreserved characters pass; everything else is %-encoded.
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Ten codes and their argon2id hashes, computed on the hashing pool.
struct NewCodes {
  std::vector<std::string> codes;
  std::vector<std::string> hashes;
};
Task<Result<NewCodes>> MakeRecoveryCodes(crypto::PasswordHasher& hasher, Random& random) {
  auto codes = std::make_shared<std::vector<std::string>>(internal::NewRecoveryCodes(random));
  const crypto::PasswordHashParams params = hasher.Params();
  // A named job, not a temporary in the co_await expression (see password_hash.cpp).
  std::function<Result<std::vector<std::string>>()> job =
      [codes, params]() -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    for (const auto& c : *codes) {
      auto h = crypto::HashPassword(internal::CanonicalRecoveryCode(c), params);
      if (!h) {
        return h.error();
      }
      out.push_back(std::move(*h));
    }
    return out;
  };
  auto hashes =
      co_await crypto::detail::RunOnHasher<std::vector<std::string>>(hasher, std::move(job));
  if (!hashes) {
    co_return hashes.error();
  }
  co_return NewCodes{std::move(*codes), std::move(*hashes)};
}

RecoveryCodes ToRecoveryCodes(std::vector<std::string> codes) {
  RecoveryCodes out;
  for (auto& c : codes) {
    out.codes.emplace_back(std::move(c));
  }
  return out;
}

}  // namespace

// ---- Impl ----

Task<Result<AccountService::Impl::FactorMatch>> AccountService::Impl::MatchFactor(
    AccountService& s, repo::UserRow user, SecondFactor factor, int64_t now) {
  FactorMatch m;
  if (factor.recovery) {
    const std::string canonical = internal::CanonicalRecoveryCode(factor.code);
    std::vector<repo::RecoveryCodeRow> codes;
    auto r = co_await store::ReadInto(s.deps_.store, codes, [&](store::Tx& tx) {
      return repo::UnusedRecoveryCodes(tx, user.id);
    });
    if (!r) {
      co_return r.error();
    }
    if (canonical.empty() || codes.empty()) {
      co_return m;
    }
    std::vector<std::string> hashes;
    for (const auto& c : codes) {
      hashes.push_back(c.code_hash);
    }
    auto idx = co_await s.deps_.hasher.VerifyAny(std::move(hashes), SecureBytes(canonical));
    if (!idx) {
      co_return idx.error();
    }
    if (*idx >= 0) {
      m.ok = true;
      m.recovery_id = codes[static_cast<size_t>(*idx)].id;
      m.recovery_left = codes.size() - 1;
    }
    co_return m;
  }
  if (!user.mfa_secret_sealed) {
    co_return m;
  }
  auto secret = s.deps_.keyring.Open(*user.mfa_secret_sealed, MfaSecretAad(user.id));
  if (!secret) {
    co_return Error::Internal("cannot open the TOTP secret of " + user.id + ": " +
                              secret.error().message);
  }
  const auto step =
      crypto::TotpMatchStep(secret->view(), factor.code, now / 1'000'000, s.options_.totp_window);
  if (!step) {
    co_return m;
  }
  if (*step <= user.mfa_last_step) {
    m.replay = true;  // RFC 6238 §5.2: a code is accepted once
    co_return m;
  }
  m.ok = true;
  m.step = *step;
  co_return m;
}

Result<bool> AccountService::Impl::SpendFactor(store::Tx& tx, const repo::UserRow& user,
                                               const FactorMatch& match, int64_t now) {
  if (!match.recovery_id.empty()) {
    return repo::UseRecoveryCode(tx, match.recovery_id, now);
  }
  return repo::AdvanceMfaStep(tx, user.id, match.step);
}

Result<void> AccountService::Impl::CheckFactorRate(const AccountService& s,
                                                   const repo::SessionRow& session, int64_t now) {
  const bool window_open = session.mfa_window_start + s.options_.mfa_failure_window_us > now;
  if (window_open && session.mfa_failures >= s.options_.mfa_max_failures) {
    return RateLimited("Too many wrong codes. Try again later.");
  }
  return {};
}

Task<Result<void>> AccountService::Impl::RecordFactorFailure(AccountService& s,
                                                             const Caller& caller,
                                                             std::string action, bool replay,
                                                             const RequestContext& context) {
  const int64_t now = s.deps_.clock.NowMicros();
  co_return co_await store::Write(s.deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto n = repo::CountMfaFailure(tx, caller.session_id, now, s.options_.mfa_failure_window_us);
    if (!n) {
      return n.error();
    }
    AuditEntry e =
        internal::ByCaller(caller, replay ? "auth.mfa_replay" : action, caller.session_id);
    e.outcome = "failure";
    e.details = internal::DetailsJson({{"failures_in_window", std::to_string(*n)}});
    return internal::Audit(tx, e, context, now);
  });
}

// ---- the MFA step of a session ----

Task<Result<SessionGrant>> AccountService::VerifyMfa(const Caller& caller, SecondFactor factor,
                                                     RequestContext context) {
  if (auto gate = CheckMfaGate(caller, MfaGate::kMfaChallenge); !gate) {
    co_return gate.error();
  }
  const std::string param = factor.recovery ? "recovery_code" : "code";
  if (factor.code.empty()) {
    co_return MissingParameter(param);
  }
  auto cur = co_await Impl::LoadCurrent(*this, caller);
  if (!cur) {
    co_return cur.error();
  }
  int64_t now = deps_.clock.NowMicros();
  if (auto rate = Impl::CheckFactorRate(*this, cur->session, now); !rate) {
    co_return rate.error();
  }
  auto m = co_await Impl::MatchFactor(*this, cur->user, factor, now);
  if (!m) {
    co_return m.error();
  }
  if (!m->ok) {
    auto f = co_await Impl::RecordFactorFailure(*this, caller, "auth.mfa", m->replay, context);
    if (!f) {
      co_return f.error();
    }
    co_return InvalidCode(param);
  }
  const std::string token = internal::NewToken(deps_.random);
  now = deps_.clock.NowMicros();
  SessionGrant grant;
  bool spent = true;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    spent = true;
    auto s = Impl::SpendFactor(tx, cur->user, *m, now);
    if (!s) {
      return s.error();
    }
    if (!*s) {
      spent = false;
      return InvalidCode(param);
    }
    if (auto v = repo::MarkMfaVerified(tx, cur->session.id, now); !v) {
      return v.error();
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
    AuditEntry e = internal::ByCaller(caller, "auth.mfa", caller.session_id);
    if (factor.recovery) {
      e.details = internal::DetailsJson(
          {{"factor", "recovery_code"}, {"recovery_codes_left", std::to_string(m->recovery_left)}});
    } else {
      e.details = internal::DetailsJson({{"factor", "totp"}});
    }
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    if (!spent) {
      co_await Impl::RecordFactorFailure(*this, caller, "auth.mfa", true, context);
    }
    co_return w.error();
  }
  co_return grant;
}

// ---- enrolment ----

Task<Result<MfaEnrollment>> AccountService::StartEnrollment(const Caller& caller,
                                                            RequestContext context) {
  if (auto gate = CheckMfaGate(caller, MfaGate::kEnrollment); !gate) {
    co_return gate.error();
  }
  SecureBytes secret(kSecretBytes);
  deps_.random.Fill(secret.data(), secret.size());
  auto sealed = deps_.keyring.Seal(secret.view(), MfaPendingAad(caller.user_id));
  if (!sealed) {
    co_return sealed.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto u = repo::FindUser(tx, caller.user_id);
    if (!u) {
      return u.error();
    }
    if (!*u) {
      return AuthenticationRequired();
    }
    if ((*u)->mfa_secret_sealed) {
      return Error::Conflict("mfa_already_enrolled",
                             "Two-factor authentication is already set up.");
    }
    if (auto p = repo::SetPendingMfa(tx, caller.user_id, *sealed, now); !p) {
      return p.error();
    }
    return internal::Audit(tx, internal::ByCaller(caller, "mfa.enroll_start", caller.user_id),
                           context, now);
  });
  if (!w) {
    co_return w.error();
  }
  MfaEnrollment out;
  out.secret_base32 = crypto::Base32Encode(secret.view());
  const std::string issuer =
      caller.kind == AccountKind::kOperator ? options_.totp_issuer + " Ops" : options_.totp_issuer;
  out.otpauth_uri = "otpauth://totp/" + PercentEncode(issuer) + ":" + PercentEncode(caller.email) +
                    "?secret=" + out.secret_base32 + "&issuer=" + PercentEncode(issuer) +
                    "&algorithm=SHA1&digits=6&period=30";
  auto svg = QrSvg(out.otpauth_uri);
  if (!svg) {
    co_return svg.error();
  }
  out.qr_svg = std::move(*svg);
  co_return out;
}

Task<Result<RecoveryCodes>> AccountService::ConfirmEnrollment(const Caller& caller,
                                                              std::string code,
                                                              RequestContext context) {
  if (auto gate = CheckMfaGate(caller, MfaGate::kEnrollment); !gate) {
    co_return gate.error();
  }
  if (code.empty()) {
    co_return MissingParameter("code");
  }
  auto cur = co_await Impl::LoadCurrent(*this, caller);
  if (!cur) {
    co_return cur.error();
  }
  if (cur->user.mfa_secret_sealed) {
    co_return Error::Conflict("mfa_already_enrolled",
                              "Two-factor authentication is already set up.");
  }
  if (!cur->user.mfa_pending_sealed) {
    co_return Error::Conflict("invalid_state", "Start the enrolment first (POST /mfa/enroll).");
  }
  int64_t now = deps_.clock.NowMicros();
  if (auto rate = Impl::CheckFactorRate(*this, cur->session, now); !rate) {
    co_return rate.error();
  }
  auto secret = deps_.keyring.Open(*cur->user.mfa_pending_sealed, MfaPendingAad(caller.user_id));
  if (!secret) {
    co_return Error::Internal("cannot open the pending TOTP secret: " + secret.error().message);
  }
  const auto step =
      crypto::TotpMatchStep(secret->view(), code, now / 1'000'000, options_.totp_window);
  if (!step) {
    auto f = co_await Impl::RecordFactorFailure(*this, caller, "mfa.enroll", false, context);
    if (!f) {
      co_return f.error();
    }
    co_return InvalidCode("code");
  }
  auto sealed = deps_.keyring.Seal(secret->view(), MfaSecretAad(caller.user_id));
  if (!sealed) {
    co_return sealed.error();
  }
  auto codes = co_await MakeRecoveryCodes(deps_.hasher, deps_.random);
  if (!codes) {
    co_return codes.error();
  }
  const std::string token = internal::NewToken(deps_.random);
  now = deps_.clock.NowMicros();
  SessionGrant grant;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto u = repo::FindUser(tx, caller.user_id);
    if (!u) {
      return u.error();
    }
    if (!*u) {
      return AuthenticationRequired();
    }
    if ((*u)->mfa_secret_sealed) {
      return Error::Conflict("mfa_already_enrolled",
                             "Two-factor authentication is already set up.");
    }
    if ((*u)->mfa_pending_sealed != cur->user.mfa_pending_sealed) {
      return InvalidCode("code");  // a newer enrolment replaced this secret meanwhile
    }
    if (auto c = repo::ConfirmMfa(tx, caller.user_id, *sealed, *step, now); !c) {
      return c.error();
    }
    if (auto r = repo::ReplaceRecoveryCodes(tx, caller.user_id, codes->hashes, now); !r) {
      return r.error();
    }
    if (auto v = repo::MarkMfaVerified(tx, cur->session.id, now); !v) {
      return v.error();
    }
    auto user = repo::FindUser(tx, caller.user_id);
    if (!user) {
      return user.error();
    }
    auto access = internal::LoadAccess(tx, **user, options_);
    if (!access) {
      return access.error();
    }
    auto g = Impl::RotateSession(*this, tx, **user, cur->session, *access, token, now);
    if (!g) {
      return g.error();
    }
    grant = std::move(*g);
    return internal::Audit(tx, internal::ByCaller(caller, "mfa.enroll", caller.user_id), context,
                           now);
  });
  if (!w) {
    co_return w.error();
  }
  RecoveryCodes out = ToRecoveryCodes(std::move(codes->codes));
  out.session = std::move(grant);
  co_return out;
}

Task<Result<RecoveryCodes>> AccountService::RegenerateRecoveryCodes(const Caller& caller,
                                                                    RequestContext context) {
  if (auto gate = CheckMfaGate(caller, MfaGate::kSatisfied); !gate) {
    co_return gate.error();
  }
  if (auto s = RequireRecentAuthentication(caller, deps_.clock.NowMicros()); !s) {
    co_return s.error();
  }
  if (!caller.mfa_status.enrolled) {
    co_return Error::Conflict("invalid_state", "Two-factor authentication is not set up.");
  }
  auto codes = co_await MakeRecoveryCodes(deps_.hasher, deps_.random);
  if (!codes) {
    co_return codes.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    if (auto r = repo::ReplaceRecoveryCodes(tx, caller.user_id, codes->hashes, now); !r) {
      return r.error();
    }
    return internal::Audit(
        tx, internal::ByCaller(caller, "mfa.recovery_codes_regenerate", caller.user_id), context,
        now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return ToRecoveryCodes(std::move(codes->codes));
}

Task<Result<int64_t>> AccountService::RemoveMfa(const Caller& caller, RequestContext context) {
  if (auto gate = CheckMfaGate(caller, MfaGate::kSatisfied); !gate) {
    co_return gate.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  if (auto s = RequireRecentAuthentication(caller, now); !s) {
    co_return s.error();
  }
  if (caller.mfa_status.required) {
    co_return PermissionDenied(
        "Two-factor authentication is required for your role or by your merchant's policy.");
  }
  int64_t revoked = 0;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    if (auto c = repo::ClearMfa(tx, caller.user_id, now); !c) {
      return c.error();
    }
    auto rv = repo::RevokeUserSessions(tx, caller.user_id, caller.session_id, now);
    if (!rv) {
      return rv.error();
    }
    revoked = *rv;
    AuditEntry e = internal::ByCaller(caller, "mfa.remove", caller.user_id);
    e.details = internal::DetailsJson({{"other_sessions_revoked", std::to_string(revoked)}});
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return revoked;
}

}  // namespace lp::people
