// Invitations: listing, issuing and revoking them (the inviter's side).
#include <utility>

#include "internal.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"
#include "lp/people/team_service.hpp"
#include "repository.hpp"
#include "team_impl.hpp"

namespace lp::people {

using internal::AuditEntry;
using internal::MayGrant;
using internal::Trimmed;

namespace {

Invitation ToInvitation(const repo::InvitationRow& row, const RoleRef& role, int64_t now) {
  Invitation i;
  i.id = row.id;
  i.merchant_id = row.merchant_id;
  i.email = row.email;
  i.role = role;
  if (row.used_at) {
    i.status = "accepted";
  } else if (row.revoked_at) {
    i.status = "revoked";
  } else if (row.expires_at <= now) {
    i.status = "expired";
  } else {
    i.status = "pending";
  }
  i.invited_by = row.invited_by;
  i.created_us = row.created;
  i.expires_at_us = row.expires_at;
  return i;
}

}  // namespace

// ---- invitations ----

Task<Result<Page<Invitation>>> TeamService::ListInvitations(const Caller& caller,
                                                            std::string merchant_id,
                                                            ListParams params) {
  auto m = Authorize(caller, merchant_id, "users:read");
  if (!m) {
    co_return m.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  Page<Invitation> page;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    page = {};
    auto rows = repo::ListInvitations(tx, merchant_id, params, now);
    if (!rows) {
      return rows.error();
    }
    page.has_more = rows->has_more;
    for (const auto& row : rows->data) {
      auto role = internal::ResolveRole(tx, merchant_id, row.role_id);
      if (!role) {
        return role.error();
      }
      page.data.push_back(ToInvitation(
          row, *role ? internal::ToRef(**role) : RoleRef{row.role_id, row.role_id, false}, now));
    }
    return {};
  });
  if (!r) {
    co_return r.error();
  }
  co_return page;
}

Task<Result<IssuedInvitation>> TeamService::Invite(const Caller& caller, std::string merchant_id,
                                                   std::string email, std::string role_id,
                                                   RequestContext context) {
  auto m = Authorize(caller, merchant_id, "users:write");
  if (!m) {
    co_return m.error();
  }
  email = Trimmed(email);
  if (email.empty()) {
    co_return MissingParameter("email");
  }
  if (!LooksLikeEmail(email)) {
    co_return InvalidParameter("email", "This is not a valid e-mail address.");
  }
  if (role_id.empty()) {
    co_return MissingParameter("role");
  }
  const std::string email_key = EmailKey(email);
  const std::string token = internal::NewToken(deps_.random);
  const int64_t now = deps_.clock.NowMicros();
  IssuedInvitation out;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto locked = repo::LockMerchant(tx, merchant_id);
    if (!locked) {
      return locked.error();
    }
    auto role = internal::ResolveRole(tx, merchant_id, role_id);
    if (!role) {
      return role.error();
    }
    if (!*role) {
      return InvalidParameter("role", "Unknown role: '" + role_id + "'.");
    }
    if (auto g = MayGrant(**m, **role); !g) {
      return g.error();
    }
    auto existing = repo::FindUserByEmail(tx, AccountKind::kUser, email_key);
    if (!existing) {
      return existing.error();
    }
    if (*existing) {
      auto member = repo::MemberRole(tx, merchant_id, (*existing)->id);
      if (!member) {
        return member.error();
      }
      if (*member) {
        return Error::Conflict("already_member", "This person is already a member.");
      }
    }
    if (auto rv = repo::RevokePendingInvitations(tx, merchant_id, email_key, now); !rv) {
      return rv.error();
    }
    repo::InvitationRow row;
    row.id = NewId("inv");
    row.merchant_id = merchant_id;
    row.email = email;
    row.email_key = email_key;
    row.role_id = role_id;
    row.token_hash = internal::TokenHash(token);
    row.invited_by = caller.user_id;
    row.created = now;
    row.expires_at = now + options_.invitation_ttl_us;
    if (auto i = repo::InsertInvitation(tx, row); !i) {
      return i.error();
    }
    out.invitation = ToInvitation(row, internal::ToRef(**role), now);
    out.token = Secret<std::string>(token);
    out.invite_path = "/invite#" + token;
    AuditEntry e = internal::ByCaller(caller, "invitation.create", row.id, merchant_id);
    e.details = internal::DetailsJson({{"email", email}, {"role", role_id}});
    if (auto a = internal::Audit(tx, e, context, now); !a) {
      return a.error();
    }
    if (on_invited_) {
      const Secret<std::string> invite_url(context.origin + out.invite_path);
      return on_invited_(tx, out.invitation, invite_url, now);
    }
    return {};
  });
  if (!w) {
    co_return w.error();
  }
  co_return out;
}

Task<Result<Invitation>> TeamService::RevokeInvitation(const Caller& caller,
                                                       std::string merchant_id,
                                                       std::string invitation_id,
                                                       RequestContext context) {
  auto m = Authorize(caller, merchant_id, "users:write");
  if (!m) {
    co_return m.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  Invitation out;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto row = repo::FindInvitation(tx, merchant_id, invitation_id);
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return NotFound("invitation");
    }
    auto revoked = repo::RevokeInvitation(tx, invitation_id, now);
    if (!revoked) {
      return revoked.error();
    }
    if (!*revoked) {
      return Error::Conflict("invalid_state", "This invitation was already used or revoked.");
    }
    (*row)->revoked_at = now;
    auto role = internal::ResolveRole(tx, merchant_id, (*row)->role_id);
    if (!role) {
      return role.error();
    }
    out = ToInvitation(
        **row, *role ? internal::ToRef(**role) : RoleRef{(*row)->role_id, (*row)->role_id, false},
        now);
    return internal::Audit(
        tx, internal::ByCaller(caller, "invitation.revoke", invitation_id, merchant_id), context,
        now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return out;
}

}  // namespace lp::people
