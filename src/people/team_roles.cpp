// Custom roles: listing, creating, updating and deleting them.
#include <unicode/unistr.h>

#include <algorithm>
#include <boost/json.hpp>
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

std::string PermissionsJson(const std::vector<std::string>& p) {
  boost::json::array a;
  for (const auto& s : p) {
    a.emplace_back(s);
  }
  return boost::json::serialize(a);
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

}  // namespace lp::people
