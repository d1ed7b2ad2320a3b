// Helpers the people services share: tokens, the access a user's memberships give (roles,
// permissions, timeouts, whether MFA is required), audit records. Not part of the interface.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/audit/audit.hpp"
#include "lp/common/random.hpp"
#include "lp/people/account_service.hpp"
#include "lp/people/model.hpp"
#include "repository.hpp"

namespace lp::people::internal {

// 256 random bits, base64url without padding (43 characters): session cookies, invitation
// tokens.
std::string NewToken(Random& random);
// Whether `token` has the shape NewToken gives (so junk never reaches the database).
bool WellFormedToken(std::string_view token);
// Hex SHA-256: how tokens are stored.
std::string TokenHash(std::string_view token);
// The session's CSRF token: base64url(HMAC-SHA256(key = the cookie value, "liasonpay csrf v1")).
// Derived, so nothing more is stored; changes whenever the cookie value does.
std::string CsrfToken(std::string_view session_token);
std::string Base64Url(std::string_view bytes);

// Ten recovery codes "abcd-efgh-ijkl" (12 characters of a 32-letter alphabet: 60 bits).
std::vector<std::string> NewRecoveryCodes(Random& random);
// The canonical form that is hashed: lower case, no separators, i/l → 1, o → 0. Empty when
// the input cannot be a recovery code.
std::string CanonicalRecoveryCode(std::string_view input);

// The merchant's summary (404 merchant when there is none). Authorization is the caller's.
Task<Result<MerchantSummary>> ReadMerchant(store::Store& store, std::string merchant_id);

// A role of a merchant: built in, or the merchant's custom role; nullopt if neither.
Result<std::optional<Role>> ResolveRole(store::Tx& tx, std::string_view merchant_id,
                                        std::string_view role_id);
RoleRef ToRef(const Role& role);

// What an account's memberships (users) or operator role gives, read now.
struct Access {
  std::vector<Membership> memberships;
  bool mfa_required = false;
  int64_t idle_timeout_us = 0;
  int64_t absolute_timeout_us = 0;
  std::vector<std::string> operator_permissions;
};
Result<Access> LoadAccess(store::Tx& tx, const repo::UserRow& user, const AccountOptions& options);

// The MFA state of a session of `user` with `access`.
MfaState SessionState(const repo::UserRow& user, const repo::SessionRow& session,
                      const Access& access);

// audit::Append with the people module's conventions.
struct AuditEntry {
  std::string actor_type;  // "user" | "operator" | "system"
  std::string actor_id;    // account id, or "anonymous"
  std::string action;
  std::string target;
  std::string merchant_id;
  std::string outcome = "success";
  std::string details = "{}";
};
Result<void> Audit(store::Tx& tx, const AuditEntry& entry, const RequestContext& context,
                   int64_t now_us);
AuditEntry ByCaller(const Caller& caller, std::string action, std::string target = {},
                    std::string merchant_id = {});

// JSON text of a flat object of strings/ints (audit details).
std::string DetailsJson(std::initializer_list<std::pair<std::string_view, std::string>> fields);

}  // namespace lp::people::internal
