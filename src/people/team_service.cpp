// Members, security policy and the merchant (invitations: team_invitations.cpp; roles:
// team_roles.cpp).
#include "lp/people/team_service.hpp"

#include <unicode/unistr.h>

#include <algorithm>
#include <boost/json.hpp>
#include <utility>

#include "internal.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"
#include "repository.hpp"
#include "team_impl.hpp"

namespace lp::people {

using internal::AuditEntry;
using internal::MayGrant;
using internal::Trimmed;

namespace {

bool IsOwner(const Membership& m) { return m.role.id == kOwnerRole; }

}  // namespace

namespace internal {

std::string Trimmed(std::string_view s) {
  const auto a = s.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) {
    return {};
  }
  const auto b = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(a, b - a + 1));
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

}  // namespace internal

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
  co_return co_await internal::ReadMerchant(deps_.store, std::move(merchant_id));
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
