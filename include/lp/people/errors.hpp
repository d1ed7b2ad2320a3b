// The typed errors of the people module and the dashboard/ops pipeline (docs/dashboard-api.md
// §1 error table): one constructor per code, so every layer refuses the same way. Messages are
// safe for clients; none says whether an account exists.
#pragma once

#include <string>
#include <string_view>

#include "lp/common/error.hpp"

namespace lp::people {

// 401 invalid_credentials: unknown e-mail, wrong password, locked or disabled account alike.
Error InvalidCredentials(std::string param = {});
// 401 authentication_required: no cookie, unknown, revoked or signed-out session.
Error AuthenticationRequired();
// 401 session_expired: idle or absolute timeout passed.
Error SessionExpired();
// 401 mfa_required: the session still needs its second factor.
Error MfaRequired();
// 403 mfa_enrollment_required: the account must enrol MFA first.
Error MfaEnrollmentRequired();
// 401 invalid_code: wrong, reused or out-of-window TOTP code or recovery code.
Error InvalidCode(std::string param = "code");
// 401 reauthentication_required: a step-up action without a password (+ code) in 5 minutes.
Error ReauthenticationRequired();
// 403 permission_denied: names the missing permission or the rule.
Error PermissionDenied(std::string message);
Error MissingPermission(std::string_view permission);
// 403 csrf_failed.
Error CsrfFailed();
// 403 merchant_frozen.
Error MerchantFrozen();
// 404 resource_missing.
Error NotFound(std::string_view what);
// 429 rate_limited.
Error RateLimited(std::string message);
// 400 parameter_missing / parameter_invalid naming the parameter.
Error MissingParameter(std::string param);
Error InvalidParameter(std::string param, std::string message);
// 400 invitation_invalid: unknown, used, revoked or expired token (one code for all).
Error InvitationInvalid();

}  // namespace lp::people
