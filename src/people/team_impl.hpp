// TeamService's shared internals (team_service.cpp, team_invitations.cpp, team_roles.cpp).
#pragma once

#include <string>
#include <string_view>

#include "lp/people/team_service.hpp"

namespace lp::people::internal {

// `s` without leading and trailing ASCII whitespace.
std::string Trimmed(std::string_view s);

// The caller may hand out (or edit) a role only if it holds every permission in it; only an
// owner hands out "owner".
Result<void> MayGrant(const Membership& m, const Role& role);

}  // namespace lp::people::internal
