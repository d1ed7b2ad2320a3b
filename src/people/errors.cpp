#include "lp/people/errors.hpp"

namespace lp::people {

Error InvalidCredentials(std::string param) {
  return {ErrorType::kAuthentication,
          "invalid_credentials",
          "The e-mail address or password is incorrect.",
          std::move(param),
          {}};
}

Error AuthenticationRequired() {
  return {ErrorType::kAuthentication, "authentication_required", "Sign in to continue.", {}, {}};
}

Error SessionExpired() {
  return {ErrorType::kAuthentication,
          "session_expired",
          "Your session has expired. Sign in again.",
          {},
          {}};
}

Error MfaRequired() {
  return {ErrorType::kAuthentication,
          "mfa_required",
          "Enter the code from your authenticator app to continue.",
          {},
          {}};
}

Error MfaEnrollmentRequired() {
  return {ErrorType::kPermission,
          "mfa_enrollment_required",
          "Set up two-factor authentication to continue.",
          {},
          {}};
}

Error InvalidCode(std::string param) {
  return {
      ErrorType::kAuthentication, "invalid_code", "The code is not valid.", std::move(param), {}};
}

Error ReauthenticationRequired() {
  return {ErrorType::kAuthentication,
          "reauthentication_required",
          "Confirm your password to continue.",
          {},
          {}};
}

Error PermissionDenied(std::string message) {
  return {ErrorType::kPermission, "permission_denied", std::move(message), {}, {}};
}

Error MissingPermission(std::string_view permission) {
  return PermissionDenied("Your role lacks `" + std::string(permission) + "`.");
}

Error CsrfFailed() {
  return {ErrorType::kPermission,
          "csrf_failed",
          "The request's CSRF token or origin is missing or wrong.",
          {},
          {}};
}

Error MerchantFrozen() {
  return {ErrorType::kPermission,
          "merchant_frozen",
          "This merchant account is frozen. Contact LiasonPay support.",
          {},
          {}};
}

Error NotFound(std::string_view what) {
  return Error::NotFound("No such " + std::string(what) + ".");
}

Error RateLimited(std::string message) {
  return {ErrorType::kRateLimited, "rate_limited", std::move(message), {}, {}};
}

Error MissingParameter(std::string param) {
  std::string msg = "Missing required parameter: " + param + ".";
  return Error::Invalid("parameter_missing", std::move(msg), std::move(param));
}

Error InvalidParameter(std::string param, std::string message) {
  return Error::Invalid("parameter_invalid", std::move(message), std::move(param));
}

Error InvitationInvalid() {
  return Error::Invalid("invitation_invalid",
                        "This invitation link is not valid. It may have expired or been used.");
}

}  // namespace lp::people
