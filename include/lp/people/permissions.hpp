// Permissions and built-in roles of dashboard users and operators: the ONE table of
// docs/dashboard-api.md §2 (merchant side) and §9 (operators), in code. Deny by default: a
// permission is held only if a role lists it (a ":write" permission includes the matching
// ":read"). Custom merchant roles are sets of the merchant permissions below.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lp::people {

// A permission of the catalogue (`GET /dashboard/api/permissions`).
struct PermissionInfo {
  std::string_view id;
  std::string_view description;
};

// A role defined in code: the merchant roles owner, admin, developer, analyst, support and the
// operator roles platform_admin, support, security_auditor.
struct BuiltinRole {
  std::string_view id;
  std::string_view name;
  std::string_view description;
  bool mfa_required = false;  // owner, admin; every operator role
  std::vector<std::string> permissions;
};

// The merchant permission catalogue, in the contract's order.
const std::vector<PermissionInfo>& MerchantPermissions();
// The operator permissions (merchants:read, merchants:write, audit:read, pii:read).
const std::vector<PermissionInfo>& OperatorPermissions();
bool IsMerchantPermission(std::string_view id);

// owner, admin, developer, analyst, support (in that order).
const std::vector<BuiltinRole>& BuiltinRoles();
// platform_admin, support, security_auditor.
const std::vector<BuiltinRole>& OperatorRoles();
const BuiltinRole* FindBuiltinRole(std::string_view id);
const BuiltinRole* FindOperatorRole(std::string_view id);

inline constexpr std::string_view kOwnerRole = "owner";
inline constexpr std::string_view kPiiRead = "pii:read";

// Whether `held` grants `permission` ("none" needs nothing; "x:write" includes "x:read").
bool Holds(const std::vector<std::string>& held, std::string_view permission);
// Whether `held` grants every permission of `wanted`.
bool HoldsAll(const std::vector<std::string>& held, const std::vector<std::string>& wanted);

}  // namespace lp::people
