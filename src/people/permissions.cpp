#include "lp/people/permissions.hpp"

#include <algorithm>

namespace lp::people {
namespace {

// docs/dashboard-api.md §2, row for row: permission, description, then owner, admin, developer,
// analyst, support.
struct Row {
  std::string_view id;
  std::string_view description;
  bool owner, admin, developer, analyst, support;
};
constexpr bool Y = true;
constexpr bool N = false;
constexpr Row kMerchantTable[] = {
    {"payments:read", "See payments, refunds and payment statistics.", Y, Y, Y, Y, Y},
    {"payments:write", "Capture and cancel payments.", Y, Y, Y, N, N},
    {"refunds:write", "Create refunds.", Y, Y, Y, N, N},
    {"events:read", "See events and their deliveries.", Y, Y, Y, Y, Y},
    {"webhooks:read", "See webhook endpoints, their deliveries and statistics.", Y, Y, Y, Y, Y},
    {"webhooks:write", "Create, change and delete webhook endpoints; rotate secrets; redeliver.", Y,
     Y, Y, N, N},
    {"api_keys:read", "List API keys (never their secrets).", Y, Y, Y, Y, N},
    {"api_keys:write", "Create, roll and revoke API keys; change their allowlists.", Y, Y, Y, N, N},
    {"connectors:read", "List connector accounts (never their credentials).", Y, Y, Y, Y, N},
    {"connectors:write", "Create, change, disable and delete connector accounts.", Y, Y, Y, N, N},
    {"users:read", "List the merchant's users, invitations and roles.", Y, Y, Y, Y, Y},
    {"users:write", "Invite users, change roles, remove users, end their sessions.", Y, Y, N, N, N},
    {"roles:write", "Create, change and delete custom roles.", Y, Y, N, N, N},
    {"settings:read", "See the security policy and merchant settings.", Y, Y, Y, Y, Y},
    {"settings:write", "Change the security policy and merchant settings.", Y, Y, N, N, N},
    {"audit:read", "Query and export the audit log.", Y, Y, N, N, N},
    {"pii:read", "See personal data unmasked.", Y, Y, Y, Y, N},
};

// docs/dashboard-api.md §9: permission, description, then platform_admin, support,
// security_auditor.
struct OperatorRow {
  std::string_view id;
  std::string_view description;
  bool platform_admin, support, security_auditor;
};
constexpr OperatorRow kOperatorTable[] = {
    {"merchants:read", "List merchants and see their status.", Y, Y, Y},
    {"merchants:write", "Freeze and unfreeze merchants.", Y, N, N},
    {"audit:read", "Query and export the audit log of every merchant.", Y, N, Y},
    {"pii:read", "See personal data unmasked.", Y, N, Y},
};

template <class Table, class Pick>
std::vector<std::string> Column(const Table& table, Pick pick) {
  std::vector<std::string> out;
  for (const auto& row : table) {
    if (pick(row)) out.emplace_back(row.id);
  }
  return out;
}

}  // namespace

const std::vector<PermissionInfo>& MerchantPermissions() {
  static const std::vector<PermissionInfo> kList = [] {
    std::vector<PermissionInfo> v;
    for (const auto& r : kMerchantTable) v.push_back({r.id, r.description});
    return v;
  }();
  return kList;
}

const std::vector<PermissionInfo>& OperatorPermissions() {
  static const std::vector<PermissionInfo> kList = [] {
    std::vector<PermissionInfo> v;
    for (const auto& r : kOperatorTable) v.push_back({r.id, r.description});
    return v;
  }();
  return kList;
}

bool IsMerchantPermission(std::string_view id) {
  return std::any_of(std::begin(kMerchantTable), std::end(kMerchantTable),
                     [&](const Row& r) { return r.id == id; });
}

const std::vector<BuiltinRole>& BuiltinRoles() {
  static const std::vector<BuiltinRole> kRoles = {
      {"owner", "Owner", "Full access, including ownership and the security policy.", true,
       Column(kMerchantTable, [](const Row& r) { return r.owner; })},
      {"admin", "Administrator", "Full access except ownership changes.", true,
       Column(kMerchantTable, [](const Row& r) { return r.admin; })},
      {"developer", "Developer", "API keys, webhooks, connectors, payments; no team changes.",
       false, Column(kMerchantTable, [](const Row& r) { return r.developer; })},
      {"analyst", "Analyst", "Read-only access.", false,
       Column(kMerchantTable, [](const Row& r) { return r.analyst; })},
      {"support", "Support", "Read-only access with personal data masked.", false,
       Column(kMerchantTable, [](const Row& r) { return r.support; })},
  };
  return kRoles;
}

const std::vector<BuiltinRole>& OperatorRoles() {
  static const std::vector<BuiltinRole> kRoles = {
      {"platform_admin", "Platform administrator", "Merchants, freezes, audit log.", true,
       Column(kOperatorTable, [](const OperatorRow& r) { return r.platform_admin; })},
      {"support", "Support", "Read-only access to merchants, personal data masked.", true,
       Column(kOperatorTable, [](const OperatorRow& r) { return r.support; })},
      {"security_auditor", "Security auditor", "Read-only access to merchants and the audit log.",
       true, Column(kOperatorTable, [](const OperatorRow& r) { return r.security_auditor; })},
  };
  return kRoles;
}

const BuiltinRole* FindBuiltinRole(std::string_view id) {
  for (const auto& r : BuiltinRoles()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const BuiltinRole* FindOperatorRole(std::string_view id) {
  for (const auto& r : OperatorRoles()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

bool Holds(const std::vector<std::string>& held, std::string_view permission) {
  if (permission == "none") return true;
  for (const auto& s : held) {
    if (s == permission) return true;
    if (permission.ends_with(":read") && s.ends_with(":write") &&
        std::string_view(s).substr(0, s.size() - 6) ==
            permission.substr(0, permission.size() - 5)) {
      return true;
    }
  }
  return false;
}

bool HoldsAll(const std::vector<std::string>& held, const std::vector<std::string>& wanted) {
  return std::all_of(wanted.begin(), wanted.end(),
                     [&](const std::string& p) { return Holds(held, p); });
}

}  // namespace lp::people
