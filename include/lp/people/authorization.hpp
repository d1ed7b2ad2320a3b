// What a resolved session may do, checked in the contract's order (docs/dashboard-api.md §1):
// session (AccountService::Authenticate) → MFA gate → CSRF/Origin → merchant membership (404) →
// merchant frozen (403) → permission (403) → step-up (401). Pure functions over a Caller: the
// dashboard/ops pipeline calls them per route, and the people services call them again for
// their own operations (defence in depth).
#pragma once

#include <string>
#include <string_view>

#include "lp/common/principal.hpp"
#include "lp/common/result.hpp"
#include "lp/people/model.hpp"

namespace lp::people {

// Which session states a route accepts (docs/dashboard-api.md §1 "Session states and MFA
// gates"). The rest answer 401 mfa_required (state `required`) or 403 mfa_enrollment_required
// (state `enroll`).
enum class MfaGate {
  kSatisfied,     // every route but those below
  kAnyState,      // GET /me, DELETE /sessions/current
  kMfaChallenge,  // POST /sessions/mfa: state `required` only
  kEnrollment,    // POST /mfa/enroll[/confirm]: state `enroll`, or `satisfied` without MFA
};
Result<void> CheckMfaGate(const Caller& caller, MfaGate gate);

// The X-CSRF-Token header against the session's token (constant time): 403 csrf_failed. The
// Origin check is the pipeline's (it knows the Host).
Result<void> CheckCsrf(const Caller& caller, std::string_view header_token);
// The CSRF token of a session cookie value (the pipeline accepts the token of the cookie the
// request came with when Authenticate rotated the session on that request).
std::string CsrfTokenOf(std::string_view session_token);

// A merchant route: the caller's membership of `merchant_id` (404 resource_missing without one,
// so no existence oracle), 403 merchant_frozen, then 403 permission_denied unless the role
// grants `permission` ("none": any member).
Result<const Membership*> Authorize(const Caller& caller, std::string_view merchant_id,
                                    std::string_view permission);
// An operator route: 403 permission_denied unless the operator role grants `permission`.
Result<void> AuthorizeOperator(const Caller& caller, std::string_view permission);
// Step-up: 401 reauthentication_required unless the password (+ code) was entered within 5 min.
Result<void> RequireRecentAuthentication(const Caller& caller, int64_t now_us);

// The lp::Principal of a user acting in one merchant and mode: key_type "user", scopes = the
// role's permissions (plus lp::kSecretKeyGrant with api_keys:write: a user is not a restricted
// key), user_id/session_id/role/pii_masked set, key_id empty.
Principal ToPrincipal(const Caller& caller, const Membership& membership, Mode mode);
// An operator: key_type "operator", no merchant, scopes = the operator role's permissions.
Principal ToOperatorPrincipal(const Caller& caller);
// The audit actor of a caller ("user" | "operator", the account id).
Actor ToActor(const Caller& caller, const RequestContext& context);

// "j•••@example.com": the masked form of an e-mail address (no pii:read).
std::string MaskEmail(std::string_view email);

}  // namespace lp::people
