// Invitation acceptance: the invitee's side (lookup, accept).
#include <utility>

#include "account_impl.hpp"
#include "lp/crypto/hash.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"

namespace lp::people {

using internal::AuditEntry;
using internal::ByUser;

// ---- invitations (the invitee's side) ----

Task<Result<InvitationPreview>> AccountService::LookupInvitation(std::string token) {
  if (!internal::WellFormedToken(token)) {
    co_return InvitationInvalid();
  }
  const int64_t now = deps_.clock.NowMicros();
  InvitationPreview out;
  bool valid = false;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    valid = false;
    auto inv = repo::FindInvitationByTokenHash(tx, internal::TokenHash(token));
    if (!inv) {
      return inv.error();
    }
    if (!*inv || (*inv)->used_at || (*inv)->revoked_at || (*inv)->expires_at <= now) {
      return {};
    }
    auto merchant = repo::FindMerchant(tx, (*inv)->merchant_id);
    if (!merchant) {
      return merchant.error();
    }
    auto role = internal::ResolveRole(tx, (*inv)->merchant_id, (*inv)->role_id);
    if (!role) {
      return role.error();
    }
    auto existing = repo::FindUserByEmail(tx, AccountKind::kUser, (*inv)->email_key);
    if (!existing) {
      return existing.error();
    }
    if (!*merchant || !*role) {
      return {};
    }
    out.email = (*inv)->email;
    out.merchant_id = (*merchant)->id;
    out.merchant_name = (*merchant)->name;
    out.role = internal::ToRef(**role);
    out.expires_at_us = (*inv)->expires_at;
    out.account_exists = existing->has_value();
    valid = true;
    return {};
  });
  if (!r) {
    co_return r.error();
  }
  if (!valid) {
    co_return InvitationInvalid();
  }
  co_return out;
}

namespace {

// Consumes the invitation behind `token` for `user_id` (inside the acceptance transaction).
Result<repo::InvitationRow> UseInvitation(store::Tx& tx, const std::string& token,
                                          const std::string& user_id, int64_t now) {
  auto inv = repo::FindInvitationByTokenHash(tx, internal::TokenHash(token));
  if (!inv) {
    return inv.error();
  }
  if (!*inv) {
    return InvitationInvalid();
  }
  auto used = repo::UseInvitation(tx, (*inv)->id, user_id, now);
  if (!used) {
    return used.error();
  }
  if (!*used) {
    return InvitationInvalid();  // used, revoked or expired meanwhile
  }
  return std::move(**inv);
}

// The invitee's account: `existing` (409 if it is already a member of the merchant), or a new
// one with `new_hash` inserted now.
Result<repo::UserRow> InviteeAccount(store::Tx& tx, const repo::InvitationRow& inv,
                                     const std::optional<repo::UserRow>& existing,
                                     const std::string& user_id, const std::string& new_hash,
                                     int64_t now) {
  repo::UserRow user;
  if (existing) {
    user = *existing;
    auto member = repo::MemberRole(tx, inv.merchant_id, user.id);
    if (!member) {
      return member.error();
    }
    if (*member) {
      return Error::Conflict("already_member", "You are already a member of this merchant.");
    }
    return user;
  }
  user.id = user_id;
  user.kind = AccountKind::kUser;
  user.email = inv.email;
  user.email_key = inv.email_key;
  user.password_hash = new_hash;
  user.password_changed_at = now;
  user.created = now;
  user.updated = now;
  if (auto i = repo::InsertUser(tx, user); !i) {
    return i.error();
  }
  if (auto h = repo::AddPasswordHistory(tx, user.id, new_hash, now, kPasswordHistory); !h) {
    return h.error();
  }
  return user;
}

}  // namespace

Task<Result<void>> AccountService::Impl::CheckInviteePassword(AccountService& s,
                                                              const repo::UserRow& existing,
                                                              const InvitationPreview& preview,
                                                              const SecureBytes& password,
                                                              const RequestContext& context) {
  auto normalized = PasswordPolicy::Normalize(password.view(), "password");
  SecureBytes pw = normalized ? std::move(*normalized) : password.Clone();
  auto ok = co_await s.deps_.hasher.Verify(existing.password_hash, std::move(pw));
  if (!ok) {
    co_return ok.error();
  }
  const int64_t now = s.deps_.clock.NowMicros();
  const bool locked = existing.locked_until && *existing.locked_until > now;
  if (*ok && !locked && existing.status == "active") {
    co_return Result<void>{};
  }
  auto w = co_await store::Write(s.deps_.store, [&](store::Tx& tx) -> Result<void> {
    if (*ok) {
      AuditEntry e = ByUser(existing, "invitation.accept");
      e.outcome = "failure";
      e.merchant_id = preview.merchant_id;
      e.details = internal::DetailsJson({{"reason", locked ? "locked" : "disabled"}});
      return internal::Audit(tx, e, context, now);
    }
    return RecordPasswordFailure(s, tx, existing, "invitation.accept", "wrong_password", context,
                                 now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return InvalidCredentials("password");
}

Task<Result<std::string>> AccountService::Impl::HashInviteePassword(
    AccountService& s, const InvitationPreview& preview, const SecureBytes& password) {
  PasswordContext pctx{AccountKind::kUser, preview.email, {preview.merchant_name}};
  auto checked = s.deps_.passwords.Check(password.view(), pctx, "password");
  if (!checked) {
    co_return checked.error();
  }
  auto h = co_await s.deps_.hasher.Hash(std::move(*checked));
  if (!h) {
    co_return h.error();
  }
  co_return std::move(*h);
}

Result<SessionGrant> AccountService::Impl::JoinInvitedMerchant(
    AccountService& s, store::Tx& tx, const repo::InvitationRow& inv, repo::UserRow user,
    bool new_account, const std::string& token, const RequestContext& context, int64_t now) {
  if (auto m = repo::InsertMembership(tx, user.id, inv.merchant_id, inv.role_id, now); !m) {
    return m.error();
  }
  // A new membership changes what the account may do: its other sessions get a new id.
  if (auto b = repo::BumpRoleEpoch(tx, user.id); !b) {
    return b.error();
  }
  user.role_epoch += 1;
  if (auto r = repo::RecordSignIn(tx, user.id, now); !r) {
    return r.error();
  }
  auto grant = OpenPasswordSession(s, tx, user, token, context, now);
  if (!grant) {
    return grant.error();
  }
  AuditEntry e = ByUser(user, "invitation.accept");
  e.target = inv.id;
  e.merchant_id = inv.merchant_id;
  e.details = internal::DetailsJson({{"role", inv.role_id},
                                     {"new_account", new_account ? "true" : "false"},
                                     {"session", grant->session_id}});
  if (auto a = internal::Audit(tx, e, context, now); !a) {
    return a.error();
  }
  return grant;
}

Task<Result<SessionGrant>> AccountService::AcceptInvitation(std::string token, SecureBytes password,
                                                            RequestContext context) {
  auto preview = co_await LookupInvitation(token);
  if (!preview) {
    co_return preview.error();
  }
  std::optional<repo::UserRow> existing;
  auto r = co_await store::ReadInto(deps_.store, existing, [&](store::Tx& tx) {
    return repo::FindUserByEmail(tx, AccountKind::kUser, EmailKey(preview->email));
  });
  if (!r) {
    co_return r.error();
  }
  // An existing account proves itself with its current password; a new one takes `password`.
  std::string new_hash;
  if (existing) {
    auto checked =
        co_await Impl::CheckInviteePassword(*this, *existing, *preview, password, context);
    if (!checked) {
      co_return checked.error();
    }
  } else {
    auto h = co_await Impl::HashInviteePassword(*this, *preview, password);
    if (!h) {
      co_return h.error();
    }
    new_hash = std::move(*h);
  }

  const std::string session_token = internal::NewToken(deps_.random);
  const std::string user_id = existing ? existing->id : NewId("usr");
  const int64_t now = deps_.clock.NowMicros();
  SessionGrant grant;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto inv = UseInvitation(tx, token, user_id, now);
    if (!inv) {
      return inv.error();
    }
    auto user = InviteeAccount(tx, *inv, existing, user_id, new_hash, now);
    if (!user) {
      return user.error();
    }
    auto g = Impl::JoinInvitedMerchant(*this, tx, *inv, std::move(*user), !existing, session_token,
                                       context, now);
    if (!g) {
      return g.error();
    }
    grant = std::move(*g);
    return {};
  });
  if (!w) {
    co_return w.error();
  }
  co_return grant;
}

}  // namespace lp::people
