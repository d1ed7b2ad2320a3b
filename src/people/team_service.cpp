#include "lp/people/team_service.hpp"

#include <unicode/unistr.h>

#include <algorithm>
#include <boost/json.hpp>
#include <utility>

#include "internal.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"
#include "repository.hpp"

namespace lp::people {

using internal::AuditEntry;

namespace {

bool IsOwner(const Membership& m) { return m.role.id == kOwnerRole; }

std::string NameKey(std::string_view name) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), name.size()));
  u.foldCase();
  std::string out;
  u.trim().toUTF8String(out);
  return out;
}

int32_t Chars(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), s.size())).countChar32();
}

std::string Trimmed(std::string_view s) {
  const auto a = s.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) {
    return {};
  }
  const auto b = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(a, b - a + 1));
}

std::string PermissionsJson(const std::vector<std::string>& p) {
  boost::json::array a;
  for (const auto& s : p) {
    a.emplace_back(s);
  }
  return boost::json::serialize(a);
}

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

// The caller may hand out (or edit) a role only if it holds every permission in it; only an
// owner hands out "owner".
Result<void> MayGrant(const Membership& m, const Role& role) {
  if (role.id == kOwnerRole && !IsOwner(m)) {
    return PermissionDenied("Only an owner can make someone an owner.");
  }
  for (const auto& p : role.permissions) {
    if (!Holds(m.permissions, p)) {
      return PermissionDenied("You cannot grant `" + p + "`: your role lacks it.");
    }
  }
  return {};
}

// Validates RoleParams into `role` (name, description, permissions), naming the parameter.
Result<void> ApplyRoleParams(const RoleParams& params, Role& role, bool creating) {
  if (params.name || creating) {
    if (!params.name) {
      return MissingParameter("name");
    }
    const std::string name = Trimmed(*params.name);
    const int32_t n = Chars(name);
    if (n < 1 || n > 100) {
      return InvalidParameter("name", "The name must be 1 to 100 characters.");
    }
    const std::string key = NameKey(name);
    for (const auto& b : BuiltinRoles()) {
      if (key == NameKey(b.id) || key == NameKey(b.name)) {
        return InvalidParameter("name", "That name belongs to a built-in role.");
      }
    }
    role.name = name;
  }
  if (params.description) {
    if (Chars(*params.description) > 500) {
      return InvalidParameter("description", "The description must be at most 500 characters.");
    }
    role.description = *params.description;
  }
  if (params.permissions || creating) {
    if (!params.permissions) {
      return MissingParameter("permissions");
    }
    std::vector<std::string> perms;
    for (size_t i = 0; i < params.permissions->size(); ++i) {
      const std::string& p = (*params.permissions)[i];
      if (!IsMerchantPermission(p)) {
        return InvalidParameter("permissions[" + std::to_string(i) + "]",
                                "Unknown permission: '" + p + "'.");
      }
      if (std::find(perms.begin(), perms.end(), p) == perms.end()) {
        perms.push_back(p);
      }
    }
    role.permissions = std::move(perms);
  }
  return {};
}

}  // namespace

TeamService::TeamService(Deps deps, TeamOptions options, InvitationHook on_invited)
    : deps_(deps), options_(options), on_invited_(std::move(on_invited)) {}

// ---- members ----

Task<Result<Page<MerchantUser>>> TeamService::ListUsers(const Caller& caller,
                                                        std::string merchant_id,
                                                        ListParams params) {
  auto m = Authorize(caller, merchant_id, "users:read");
  if (!m) {
    co_return m.error();
  }
  Page<MerchantUser> page;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    page = {};
    auto rows = repo::ListMembers(tx, merchant_id, params);
    if (!rows) {
      return rows.error();
    }
    page.has_more = rows->has_more;
    for (const auto& row : rows->data) {
      auto role = internal::ResolveRole(tx, merchant_id, row.role_id);
      if (!role) {
        return role.error();
      }
      MerchantUser u;
      u.user_id = row.user_id;
      u.email = row.email;
      u.role = *role ? internal::ToRef(**role) : RoleRef{row.role_id, row.role_id, false};
      u.mfa_enrolled = row.mfa_enrolled;
      u.last_sign_in_at_us = row.last_sign_in_at;
      u.created_us = row.created;
      page.data.push_back(std::move(u));
    }
    return {};
  });
  if (!r) {
    co_return r.error();
  }
  co_return page;
}

Task<Result<MerchantUser>> TeamService::ChangeRole(const Caller& caller, std::string merchant_id,
                                                   std::string user_id, std::string role_id,
                                                   RequestContext context) {
  auto m = Authorize(caller, merchant_id, "users:write");
  if (!m) {
    co_return m.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  if (auto s = RequireRecentAuthentication(caller, now); !s) {
    co_return s.error();
  }
  MerchantUser out;
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
    auto current = repo::MemberRole(tx, merchant_id, user_id);
    if (!current) {
      return current.error();
    }
    if (!*current) {
      return NotFound("user");
    }
    if (**current == kOwnerRole && !IsOwner(**m)) {
      return PermissionDenied("Only an owner can change an owner's role.");
    }
    if (auto g = MayGrant(**m, **role); !g) {
      return g.error();
    }
    if (**current == kOwnerRole && role_id != kOwnerRole) {
      auto owners = repo::CountMembersWithRole(tx, merchant_id, kOwnerRole);
      if (!owners) {
        return owners.error();
      }
      if (*owners <= 1) {
        return Error::Conflict("last_owner", "A merchant must keep at least one owner.");
      }
    }
    if (**current != role_id) {
      if (auto u = repo::UpdateMembershipRole(tx, user_id, merchant_id, role_id, now); !u) {
        return u.error();
      }
      // Privilege change: the member's sessions get a new id at their next request.
      if (auto b = repo::BumpRoleEpoch(tx, user_id); !b) {
        return b.error();
      }
      AuditEntry e = internal::ByCaller(caller, "user.role_change", user_id, merchant_id);
      e.details = internal::DetailsJson({{"from", **current}, {"to", role_id}});
      if (auto a = internal::Audit(tx, e, context, now); !a) {
        return a.error();
      }
    }
    auto member = repo::FindMember(tx, merchant_id, user_id);
    if (!member) {
      return member.error();
    }
    out.user_id = user_id;
    out.email = (*member)->email;
    out.role = internal::ToRef(**role);
    out.mfa_enrolled = (*member)->mfa_enrolled;
    out.last_sign_in_at_us = (*member)->last_sign_in_at;
    out.created_us = (*member)->created;
    return {};
  });
  if (!w) {
    co_return w.error();
  }
  co_return out;
}

Task<Result<void>> TeamService::RemoveUser(const Caller& caller, std::string merchant_id,
                                           std::string user_id, RequestContext context) {
  auto m = Authorize(caller, merchant_id, "users:write");
  if (!m) {
    co_return m.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  co_return co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto locked = repo::LockMerchant(tx, merchant_id);
    if (!locked) {
      return locked.error();
    }
    auto current = repo::MemberRole(tx, merchant_id, user_id);
    if (!current) {
      return current.error();
    }
    if (!*current) {
      return NotFound("user");
    }
    if (**current == kOwnerRole) {
      if (!IsOwner(**m)) {
        return PermissionDenied("Only an owner can remove an owner.");
      }
      auto owners = repo::CountMembersWithRole(tx, merchant_id, kOwnerRole);
      if (!owners) {
        return owners.error();
      }
      if (*owners <= 1) {
        return Error::Conflict("last_owner", "A merchant must keep at least one owner.");
      }
    }
    if (auto d = repo::DeleteMembership(tx, user_id, merchant_id); !d) {
      return d.error();
    }
    if (auto b = repo::BumpRoleEpoch(tx, user_id); !b) {
      return b.error();
    }
    AuditEntry e = internal::ByCaller(caller, "user.remove", user_id, merchant_id);
    e.details = internal::DetailsJson({{"role", **current}});
    return internal::Audit(tx, e, context, now);
  });
}

Task<Result<int64_t>> TeamService::RevokeUserSessions(const Caller& caller, std::string merchant_id,
                                                      std::string user_id, RequestContext context) {
  auto m = Authorize(caller, merchant_id, "users:write");
  if (!m) {
    co_return m.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  int64_t n = 0;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto current = repo::MemberRole(tx, merchant_id, user_id);
    if (!current) {
      return current.error();
    }
    if (!*current) {
      return NotFound("user");
    }
    if (**current == kOwnerRole && !IsOwner(**m) && user_id != caller.user_id) {
      return PermissionDenied("Only an owner can end an owner's sessions.");
    }
    auto rv = repo::RevokeUserSessions(tx, user_id, "", now);
    if (!rv) {
      return rv.error();
    }
    n = *rv;
    AuditEntry e = internal::ByCaller(caller, "user.sessions_revoke", user_id, merchant_id);
    e.details = internal::DetailsJson({{"revoked", std::to_string(n)}});
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return n;
}

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

// ---- roles ----

Task<Result<std::vector<Role>>> TeamService::ListRoles(const Caller& caller,
                                                       std::string merchant_id) {
  auto m = Authorize(caller, merchant_id, "users:read");
  if (!m) {
    co_return m.error();
  }
  std::vector<Role> out;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    out.clear();
    for (const auto& b : BuiltinRoles()) {
      auto role = internal::ResolveRole(tx, merchant_id, b.id);
      if (!role) {
        return role.error();
      }
      out.push_back(std::move(**role));
    }
    auto custom = repo::ListCustomRoles(tx, merchant_id);
    if (!custom) {
      return custom.error();
    }
    for (auto& c : *custom) {
      out.push_back(std::move(c));
    }
    for (auto& role : out) {
      auto n = repo::CountMembersWithRole(tx, merchant_id, role.id);
      if (!n) {
        return n.error();
      }
      role.users = *n;
    }
    return {};
  });
  if (!r) {
    co_return r.error();
  }
  co_return out;
}

Task<Result<Role>> TeamService::CreateRole(const Caller& caller, std::string merchant_id,
                                           RoleParams params, RequestContext context) {
  auto m = Authorize(caller, merchant_id, "roles:write");
  if (!m) {
    co_return m.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  if (auto s = RequireRecentAuthentication(caller, now); !s) {
    co_return s.error();
  }
  Role role;
  role.builtin = false;
  if (auto v = ApplyRoleParams(params, role, /*creating=*/true); !v) {
    co_return v.error();
  }
  if (auto g = MayGrant(**m, role); !g) {
    co_return g.error();
  }
  role.id = NewId("role");
  role.created_us = now;
  role.updated_us = now;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto ins = repo::InsertRole(tx, merchant_id, role, NameKey(role.name));
    if (!ins) {
      return ins.error();
    }
    if (!*ins) {
      return InvalidParameter("name", "A role with this name already exists.");
    }
    AuditEntry e = internal::ByCaller(caller, "role.create", role.id, merchant_id);
    e.details = boost::json::serialize(boost::json::object{
        {"name", role.name},
        {"permissions", boost::json::parse(PermissionsJson(role.permissions))}});
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return role;
}

Task<Result<Role>> TeamService::UpdateRole(const Caller& caller, std::string merchant_id,
                                           std::string role_id, RoleParams params,
                                           RequestContext context) {
  auto m = Authorize(caller, merchant_id, "roles:write");
  if (!m) {
    co_return m.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  if (auto s = RequireRecentAuthentication(caller, now); !s) {
    co_return s.error();
  }
  if (FindBuiltinRole(role_id) != nullptr) {
    co_return InvalidParameter("id", "Built-in roles cannot be changed.");
  }
  Role out;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto found = repo::FindCustomRole(tx, merchant_id, role_id);
    if (!found) {
      return found.error();
    }
    if (!*found) {
      return NotFound("role");
    }
    const Role before = **found;
    // Editing needs the permissions the role has and those it will have.
    if (auto g = MayGrant(**m, before); !g) {
      return g.error();
    }
    Role role = before;
    if (auto v = ApplyRoleParams(params, role, /*creating=*/false); !v) {
      return v.error();
    }
    if (auto g = MayGrant(**m, role); !g) {
      return g.error();
    }
    role.updated_us = now;
    auto upd = repo::UpdateRole(tx, merchant_id, role, NameKey(role.name));
    if (!upd) {
      return upd.error();
    }
    if (!*upd) {
      return InvalidParameter("name", "A role with this name already exists.");
    }
    if (role.permissions != before.permissions) {
      // A privilege change for every member holding it.
      if (auto b = repo::BumpRoleEpochForRole(tx, merchant_id, role_id); !b) {
        return b.error();
      }
    }
    auto n = repo::CountMembersWithRole(tx, merchant_id, role_id);
    if (!n) {
      return n.error();
    }
    role.users = *n;
    out = role;
    AuditEntry e = internal::ByCaller(caller, "role.update", role_id, merchant_id);
    e.details = boost::json::serialize(boost::json::object{
        {"name", role.name},
        {"permissions_before", boost::json::parse(PermissionsJson(before.permissions))},
        {"permissions", boost::json::parse(PermissionsJson(role.permissions))}});
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return out;
}

Task<Result<void>> TeamService::DeleteRole(const Caller& caller, std::string merchant_id,
                                           std::string role_id, RequestContext context) {
  auto m = Authorize(caller, merchant_id, "roles:write");
  if (!m) {
    co_return m.error();
  }
  if (FindBuiltinRole(role_id) != nullptr) {
    co_return InvalidParameter("id", "Built-in roles cannot be deleted.");
  }
  const int64_t now = deps_.clock.NowMicros();
  co_return co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto locked = repo::LockMerchant(tx, merchant_id);
    if (!locked) {
      return locked.error();
    }
    auto found = repo::FindCustomRole(tx, merchant_id, role_id);
    if (!found) {
      return found.error();
    }
    if (!*found) {
      return NotFound("role");
    }
    auto members = repo::CountMembersWithRole(tx, merchant_id, role_id);
    if (!members) {
      return members.error();
    }
    auto pending = repo::CountPendingWithRole(tx, merchant_id, role_id, now);
    if (!pending) {
      return pending.error();
    }
    if (*members > 0 || *pending > 0) {
      return Error::Conflict("role_in_use", "This role is held by members or pending invitations.");
    }
    if (auto d = repo::DeleteRole(tx, merchant_id, role_id); !d) {
      return d.error();
    }
    AuditEntry e = internal::ByCaller(caller, "role.delete", role_id, merchant_id);
    e.details = internal::DetailsJson({{"name", (*found)->name}});
    return internal::Audit(tx, e, context, now);
  });
}

// ---- security policy ----

Task<Result<SecurityPolicy>> TeamService::GetPolicy(const Caller& caller, std::string merchant_id) {
  auto m = Authorize(caller, merchant_id, "settings:read");
  if (!m) {
    co_return m.error();
  }
  SecurityPolicy out;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto p = repo::FindPolicy(tx, merchant_id);
    if (!p) {
      return p.error();
    }
    out = p->value_or(SecurityPolicy{});
    return {};
  });
  if (!r) {
    co_return r.error();
  }
  co_return out;
}

Task<Result<SecurityPolicy>> TeamService::UpdatePolicy(const Caller& caller,
                                                       std::string merchant_id, PolicyParams params,
                                                       RequestContext context) {
  auto m = Authorize(caller, merchant_id, "settings:write");
  if (!m) {
    co_return m.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  if (auto s = RequireRecentAuthentication(caller, now); !s) {
    co_return s.error();
  }
  if (params.idle_timeout_minutes &&
      (*params.idle_timeout_minutes < 1 || *params.idle_timeout_minutes > kMaxIdleTimeoutMinutes)) {
    co_return InvalidParameter("idle_timeout_minutes", "The idle timeout must be 1 to 15 minutes.");
  }
  if (params.absolute_timeout_hours &&
      (*params.absolute_timeout_hours < 1 ||
       *params.absolute_timeout_hours > kMaxAbsoluteTimeoutHours)) {
    co_return InvalidParameter("absolute_timeout_hours",
                               "The absolute timeout must be 1 to 12 hours.");
  }
  SecurityPolicy out;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto p = repo::FindPolicy(tx, merchant_id);
    if (!p) {
      return p.error();
    }
    const SecurityPolicy before = p->value_or(SecurityPolicy{});
    SecurityPolicy after = before;
    if (params.mfa_required_for_all) {
      after.mfa_required_for_all = *params.mfa_required_for_all;
    }
    if (params.idle_timeout_minutes) {
      after.idle_timeout_minutes = *params.idle_timeout_minutes;
    }
    if (params.absolute_timeout_hours) {
      after.absolute_timeout_hours = *params.absolute_timeout_hours;
    }
    if (params.auto_block_ip) {
      after.auto_block_ip = *params.auto_block_ip;
    }
    if (params.auto_revoke_key) {
      after.auto_revoke_key = *params.auto_revoke_key;
    }
    after.updated_us = now;
    after.updated_by = caller.user_id;
    if (auto u = repo::UpsertPolicy(tx, merchant_id, after); !u) {
      return u.error();
    }
    out = after;
    auto as_json = [](const SecurityPolicy& s) {
      return boost::json::object{{"mfa_required_for_all", s.mfa_required_for_all},
                                 {"idle_timeout_minutes", s.idle_timeout_minutes},
                                 {"absolute_timeout_hours", s.absolute_timeout_hours},
                                 {"auto_block_ip", s.auto_block_ip},
                                 {"auto_revoke_key", s.auto_revoke_key}};
    };
    AuditEntry e = internal::ByCaller(caller, "security_policy.update", merchant_id, merchant_id);
    e.details = boost::json::serialize(
        boost::json::object{{"before", as_json(before)}, {"after", as_json(after)}});
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    co_return w.error();
  }
  co_return out;
}

Task<Result<MerchantSummary>> TeamService::GetMerchant(const Caller& caller,
                                                       std::string merchant_id) {
  auto m = Authorize(caller, merchant_id, "settings:read");
  if (!m) {
    co_return m.error();
  }
  std::optional<MerchantSummary> out;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto found = repo::FindMerchant(tx, merchant_id);
    if (!found) {
      return found.error();
    }
    out = std::move(*found);
    return {};
  });
  if (!r) {
    co_return r.error();
  }
  if (!out) {
    co_return NotFound("merchant");
  }
  co_return *out;
}

Task<Result<MerchantSummary>> TeamService::RenameMerchant(const Caller& caller,
                                                          std::string merchant_id, std::string name,
                                                          RequestContext context) {
  auto m = Authorize(caller, merchant_id, "settings:write");
  if (!m) {
    co_return m.error();
  }
  name = Trimmed(name);
  const int32_t chars =
      icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), name.size())).countChar32();
  if (name.empty()) {
    co_return MissingParameter("name");
  }
  if (chars > 100) {
    co_return InvalidParameter("name", "The name must be 1 to 100 characters.");
  }
  const int64_t now = deps_.clock.NowMicros();
  std::optional<MerchantSummary> out;
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto before = repo::FindMerchant(tx, merchant_id);
    if (!before) {
      return before.error();
    }
    if (!*before) {
      return NotFound("merchant");
    }
    if (auto u = repo::SetMerchantName(tx, merchant_id, name); !u) {
      return u.error();
    }
    AuditEntry e = internal::ByCaller(caller, "merchant.update", merchant_id, merchant_id);
    e.details = internal::DetailsJson({{"name_from", (*before)->name}, {"name_to", name}});
    if (auto a = internal::Audit(tx, e, context, now); !a) {
      return a.error();
    }
    auto after = repo::FindMerchant(tx, merchant_id);
    if (!after) {
      return after.error();
    }
    out = std::move(*after);
    return {};
  });
  if (!w) {
    co_return w.error();
  }
  if (!out) {
    co_return NotFound("merchant");
  }
  co_return *out;
}

}  // namespace lp::people
