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
  std::string new_hash;
  int64_t now = deps_.clock.NowMicros();
  if (existing) {
    auto normalized = PasswordPolicy::Normalize(password.view(), "password");
    SecureBytes pw = normalized ? std::move(*normalized) : password.Clone();
    auto ok = co_await deps_.hasher.Verify(existing->password_hash, std::move(pw));
    if (!ok) {
      co_return ok.error();
    }
    now = deps_.clock.NowMicros();
    const bool locked = existing->locked_until && *existing->locked_until > now;
    if (!*ok || locked || existing->status != "active") {
      auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
        if (*ok) {
          AuditEntry e = ByUser(*existing, "invitation.accept");
          e.outcome = "failure";
          e.merchant_id = preview->merchant_id;
          e.details = internal::DetailsJson({{"reason", locked ? "locked" : "disabled"}});
          return internal::Audit(tx, e, context, now);
        }
        return Impl::RecordPasswordFailure(*this, tx, *existing, "invitation.accept",
                                           "wrong_password", context, now);
      });
      if (!w) {
        co_return w.error();
      }
      co_return InvalidCredentials("password");
    }
  } else {
    PasswordContext pctx{AccountKind::kUser, preview->email, {preview->merchant_name}};
    auto checked = deps_.passwords.Check(password.view(), pctx, "password");
    if (!checked) {
      co_return checked.error();
    }
    auto h = co_await deps_.hasher.Hash(std::move(*checked));
    if (!h) {
      co_return h.error();
    }
    new_hash = std::move(*h);
  }

  const std::string session_token = internal::NewToken(deps_.random);
  const std::string user_id = existing ? existing->id : NewId("usr");
  now = deps_.clock.NowMicros();
  SessionGrant grant;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
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
    repo::UserRow user;
    if (existing) {
      user = *existing;
      auto member = repo::MemberRole(tx, (*inv)->merchant_id, user.id);
      if (!member) {
        return member.error();
      }
      if (*member) {
        return Error::Conflict("already_member", "You are already a member of this merchant.");
      }
    } else {
      user.id = user_id;
      user.kind = AccountKind::kUser;
      user.email = (*inv)->email;
      user.email_key = (*inv)->email_key;
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
    }
    if (auto m = repo::InsertMembership(tx, user.id, (*inv)->merchant_id, (*inv)->role_id, now);
        !m) {
      return m.error();
    }
    // A new membership changes what the account may do: its other sessions get a new id.
    if (auto b = repo::BumpRoleEpoch(tx, user.id); !b) {
      return b.error();
    }
    user.role_epoch += 1;
    if (auto s = repo::RecordSignIn(tx, user.id, now); !s) {
      return s.error();
    }
    auto access = internal::LoadAccess(tx, user, options_);
    if (!access) {
      return access.error();
    }
    auto g = Impl::OpenSession(*this, tx, user, *access, session_token, false, context, now);
    if (!g) {
      return g.error();
    }
    grant = std::move(*g);
    AuditEntry e = ByUser(user, "invitation.accept");
    e.target = (*inv)->id;
    e.merchant_id = (*inv)->merchant_id;
    e.details = internal::DetailsJson({{"role", (*inv)->role_id},
                                       {"new_account", existing ? "false" : "true"},
                                       {"session", grant.session_id}});
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return grant;
}

}  // namespace lp::people
