#include "lp/people/authorization.hpp"

#include "internal.hpp"
#include "lp/crypto/hash.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"

namespace lp::people {

std::string CsrfTokenOf(std::string_view session_token) {
  return internal::CsrfToken(session_token);
}

Result<void> CheckMfaGate(const Caller& caller, MfaGate gate) {
  switch (gate) {
    case MfaGate::kAnyState:
      return {};
    case MfaGate::kSatisfied:
      if (caller.mfa == MfaState::kRequired) {
        return MfaRequired();
      }
      if (caller.mfa == MfaState::kEnroll) {
        return MfaEnrollmentRequired();
      }
      return {};
    case MfaGate::kMfaChallenge:
      if (caller.mfa == MfaState::kEnroll) {
        return MfaEnrollmentRequired();
      }
      if (caller.mfa == MfaState::kSatisfied) {
        return Error::Conflict("invalid_state", "This session has already passed its MFA step.");
      }
      return {};
    case MfaGate::kEnrollment:
      if (caller.mfa == MfaState::kRequired) {
        return MfaRequired();
      }
      if (caller.mfa == MfaState::kSatisfied && caller.mfa_status.enrolled) {
        return Error::Conflict("mfa_already_enrolled",
                               "Two-factor authentication is already set up.");
      }
      return {};
  }
  return MfaRequired();
}

Result<void> CheckCsrf(const Caller& caller, std::string_view header_token) {
  if (header_token.empty() || caller.csrf_token.empty() ||
      !crypto::ConstantTimeEqual(caller.csrf_token, header_token)) {
    return CsrfFailed();
  }
  return {};
}

Result<const Membership*> Authorize(const Caller& caller, std::string_view merchant_id,
                                    std::string_view permission) {
  if (caller.kind != AccountKind::kUser) {
    return NotFound("merchant");
  }
  if (auto gate = CheckMfaGate(caller, MfaGate::kSatisfied); !gate) {
    return gate.error();
  }
  const Membership* m = caller.FindMembership(merchant_id);
  if (m == nullptr) {
    return NotFound("merchant");
  }
  if (m->frozen) {
    return MerchantFrozen();
  }
  if (!Holds(m->permissions, permission)) {
    return MissingPermission(permission);
  }
  return m;
}

Result<void> AuthorizeOperator(const Caller& caller, std::string_view permission) {
  if (caller.kind != AccountKind::kOperator) {
    return AuthenticationRequired();
  }
  if (auto gate = CheckMfaGate(caller, MfaGate::kSatisfied); !gate) {
    return gate.error();
  }
  if (!Holds(caller.operator_permissions, permission)) {
    return MissingPermission(permission);
  }
  return {};
}

Result<void> RequireRecentAuthentication(const Caller& caller, int64_t now_us) {
  if (!caller.RecentlyAuthenticated(now_us)) {
    return ReauthenticationRequired();
  }
  return {};
}

Principal ToPrincipal(const Caller& caller, const Membership& membership, Mode mode) {
  Principal p;
  p.merchant_id = membership.merchant_id;
  p.mode = mode;
  p.key_type = "user";
  p.scopes = membership.permissions;
  if (Holds(membership.permissions, "api_keys:write")) {
    p.scopes.emplace_back(kSecretKeyGrant);
  }
  p.user_id = caller.user_id;
  p.session_id = caller.session_id;
  p.role = membership.role.id;
  p.pii_masked = membership.pii_masked;
  return p;
}

Principal ToOperatorPrincipal(const Caller& caller) {
  Principal p;
  p.key_type = "operator";
  p.scopes = caller.operator_permissions;
  p.user_id = caller.user_id;
  p.session_id = caller.session_id;
  p.role = caller.operator_role;
  p.pii_masked = !Holds(caller.operator_permissions, kPiiRead);
  return p;
}

Actor ToActor(const Caller& caller, const RequestContext& context) {
  return Actor{std::string(ToString(caller.kind)), caller.user_id, context.ip, context.request_id};
}

std::string MaskEmail(std::string_view email) {
  const size_t at = email.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    return "•••";
  }
  // The first character (a whole UTF-8 sequence), then the mask and the domain.
  size_t first = 1;
  while (first < at && (static_cast<unsigned char>(email[first]) & 0xC0) == 0x80) {
    ++first;
  }
  return std::string(email.substr(0, first)) + "•••" + std::string(email.substr(at));
}

}  // namespace lp::people
