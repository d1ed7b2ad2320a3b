// A merchant's team: members and their roles, invitations, custom roles, the security policy
// (docs/dashboard-api.md §6, §7). Every function authorizes the caller itself (membership 404,
// frozen 403, permission 403, step-up 401 where the contract asks for it) and applies the rules
// the route table cannot express: only an owner grants or touches "owner", a caller grants only
// permissions it holds, the last owner stays (409 last_owner, also under concurrent requests:
// team changes of one merchant take the merchant's row lock).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lp/common/api_result.hpp"
#include "lp/people/account_service.hpp"

namespace lp::people {

struct RoleParams {
  std::optional<std::string> name;  // 1–100 characters, unique per merchant (case-insensitive)
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> permissions;  // merchant permissions only
};

struct PolicyParams {
  std::optional<bool> mfa_required_for_all;
  std::optional<int> idle_timeout_minutes;    // 1–15
  std::optional<int> absolute_timeout_hours;  // 1–12
  std::optional<bool> auto_block_ip, auto_revoke_key;
};

// Called inside the invitation's transaction (so the event commits with it): the composition
// root wires webhooks::EmitEvent(tx, merchant, mode, "user.invited", …) here. `invite_url` is
// <dashboard origin>/invite#<token>: it holds the invitation's secret (never log it).
using InvitationHook =
    std::function<Result<void>(store::Tx& tx, const Invitation& invitation,
                               const Secret<std::string>& invite_url, int64_t now)>;

struct TeamOptions {
  int64_t invitation_ttl_us = 72LL * 3600 * 1'000'000;  // 72 h
};

class TeamService {
 public:
  TeamService(Deps deps, TeamOptions options = {}, InvitationHook on_invited = {});

  // users:read. Newest first, cursor by user id.
  Task<Result<Page<MerchantUser>>> ListUsers(const Caller& caller, std::string merchant_id,
                                             ListParams params);
  // users:write, step-up. The member's sessions get a new id at their next request.
  Task<Result<MerchantUser>> ChangeRole(const Caller& caller, std::string merchant_id,
                                        std::string user_id, std::string role_id,
                                        RequestContext context);
  // users:write. Ends the membership (its access ends at once).
  Task<Result<void>> RemoveUser(const Caller& caller, std::string merchant_id, std::string user_id,
                                RequestContext context);
  // users:write. Revokes every session of a member. Returns how many.
  Task<Result<int64_t>> RevokeUserSessions(const Caller& caller, std::string merchant_id,
                                           std::string user_id, RequestContext context);

  // users:read. Pending invitations, newest first, cursor by invitation id.
  Task<Result<Page<Invitation>>> ListInvitations(const Caller& caller, std::string merchant_id,
                                                 ListParams params);
  // users:write. 400 parameter_invalid (email, role), 409 already_member. A pending invitation
  // of the same address is replaced. The token is returned this once.
  Task<Result<IssuedInvitation>> Invite(const Caller& caller, std::string merchant_id,
                                        std::string email, std::string role_id,
                                        RequestContext context);
  // users:write.
  Task<Result<Invitation>> RevokeInvitation(const Caller& caller, std::string merchant_id,
                                            std::string invitation_id, RequestContext context);

  // users:read. Built-in roles first, then custom roles by creation; with member counts.
  Task<Result<std::vector<Role>>> ListRoles(const Caller& caller, std::string merchant_id);
  // roles:write, step-up.
  Task<Result<Role>> CreateRole(const Caller& caller, std::string merchant_id, RoleParams params,
                                RequestContext context);
  Task<Result<Role>> UpdateRole(const Caller& caller, std::string merchant_id, std::string role_id,
                                RoleParams params, RequestContext context);
  // roles:write. 409 role_in_use while a member or a pending invitation has it.
  Task<Result<void>> DeleteRole(const Caller& caller, std::string merchant_id, std::string role_id,
                                RequestContext context);

  // settings:read.
  Task<Result<SecurityPolicy>> GetPolicy(const Caller& caller, std::string merchant_id);
  // settings:write, step-up. Audited with the old and new values.
  Task<Result<SecurityPolicy>> UpdatePolicy(const Caller& caller, std::string merchant_id,
                                            PolicyParams params, RequestContext context);

  // The merchant itself (docs/dashboard-api.md §5). settings:read.
  Task<Result<MerchantSummary>> GetMerchant(const Caller& caller, std::string merchant_id);
  // settings:write. `name`: 1–100 characters; audited (merchant.update) with the old and new.
  Task<Result<MerchantSummary>> RenameMerchant(const Caller& caller, std::string merchant_id,
                                               std::string name, RequestContext context);

 private:
  Deps deps_;
  TeamOptions options_;
  InvitationHook on_invited_;
};

}  // namespace lp::people
