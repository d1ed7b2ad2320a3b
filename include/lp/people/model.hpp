// The people module's domain objects: what its services return (the API layer renders them;
// times are microseconds since the Unix epoch, as in the store). Value types only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/secret.hpp"

namespace lp::people {

// A dashboard user (merchant side, dashboard listener) or an operator (platform staff, ops
// listener). Separate accounts: one e-mail address may have one of each.
enum class AccountKind { kUser, kOperator };
std::string_view ToString(AccountKind k);  // "user" | "operator"

// The MFA state of a session (docs/dashboard-api.md §1 "Session states and MFA gates").
enum class MfaState { kRequired, kEnroll, kSatisfied };
std::string_view ToString(MfaState s);  // "required" | "enroll" | "satisfied"

// Where a request comes from; recorded in audit records and sessions.
struct RequestContext {
  std::string ip;
  std::string user_agent;
  std::string request_id;
  std::string origin;  // "https://<Host>": the dashboard as the browser sees it (invite links)
};

// A merchant's security policy (docs/dashboard-api.md §7). Limits: idle 1–15 minutes,
// absolute 1–12 hours (a policy may shorten the platform's timeouts, never lengthen them).
struct SecurityPolicy {
  bool mfa_required_for_all = false;
  int idle_timeout_minutes = 15;
  int absolute_timeout_hours = 12;
  // Automatic containment of security events (docs/security-monitoring.md): block the source
  // address for this merchant for a time; revoke the API key involved.
  bool auto_block_ip = false;
  bool auto_revoke_key = false;
  int64_t updated_us = 0;  // 0: never changed (the defaults)
  std::string updated_by;
};
inline constexpr int kMaxIdleTimeoutMinutes = 15;
inline constexpr int kMaxAbsoluteTimeoutHours = 12;

struct RoleRef {
  std::string id;  // "owner" | … | "role_…"
  std::string name;
  bool builtin = true;
};

// A built-in or custom merchant role.
struct Role {
  std::string id;
  std::string name;
  std::string description;
  bool builtin = true;
  std::vector<std::string> permissions;
  int64_t users = 0;  // members holding it
  int64_t created_us = 0;
  int64_t updated_us = 0;
};

// One merchant of a signed-in user, resolved on this request (no cached claims).
struct Membership {
  std::string merchant_id;
  std::string merchant_name;
  bool frozen = false;
  RoleRef role;
  std::vector<std::string> permissions;
  bool pii_masked = true;  // the role lacks pii:read
  SecurityPolicy policy;
};

struct MfaStatus {
  bool enrolled = false;
  bool required = false;
  int recovery_codes_left = 0;
};

// A signed-in user or operator, resolved from a session cookie on one request.
struct Caller {
  AccountKind kind = AccountKind::kUser;
  std::string user_id;  // usr_… (users) or opr_… (operators)
  std::string email;
  int64_t user_created_us = 0;
  MfaStatus mfa_status;

  std::string session_id;  // ses_… (public id; never the cookie value)
  MfaState mfa = MfaState::kRequired;
  int64_t session_created_us = 0;
  int64_t idle_expires_at_us = 0;
  int64_t expires_at_us = 0;
  std::optional<int64_t> reauthenticated_until_us;  // step-up valid until (5 min)
  std::string csrf_token;  // this session's token (derived from the cookie value)

  // Set when this request rotated the session id (a role change since the last request): the
  // response must carry the new cookie and the new token in an X-CSRF-Token header.
  std::optional<Secret<std::string>> new_session_token;

  // Users, session state `satisfied` only (empty otherwise: nothing to act on before MFA).
  std::vector<Membership> memberships;
  // Operators, state `satisfied` only.
  std::string operator_role;
  std::vector<std::string> operator_permissions;

  const Membership* FindMembership(std::string_view merchant_id) const;
  bool RecentlyAuthenticated(int64_t now_us) const {
    return reauthenticated_until_us && *reauthenticated_until_us > now_us;
  }
};

// A new or rotated session: the cookie value (send it once, never log it) and its CSRF token.
struct SessionGrant {
  Secret<std::string> token;  // __Host-lp_session / __Host-lp_ops_session value (43 chars)
  std::string csrf_token;
  std::string session_id;
  std::string user_id;
  MfaState mfa = MfaState::kRequired;
  std::optional<int64_t> reauthenticated_until_us;
};

// One of the caller's own sessions (GET /sessions).
struct SessionInfo {
  std::string id;
  bool current = false;
  MfaState mfa = MfaState::kRequired;
  int64_t created_us = 0;
  int64_t last_seen_us = 0;
  int64_t idle_expires_at_us = 0;
  int64_t expires_at_us = 0;
  std::string ip;
  std::string user_agent;
};

struct MfaEnrollment {
  std::string otpauth_uri;
  std::string qr_svg;         // standalone SVG, no script, no external reference
  std::string secret_base32;  // also inside the URI (manual entry)
};

// Ten single-use codes, shown once ("abcd-efgh-ijkl"), plus the rotated session when the call
// ended an enrolment.
struct RecoveryCodes {
  std::vector<Secret<std::string>> codes;
  std::optional<SessionGrant> session;
};

struct MerchantUser {
  std::string user_id;
  std::string email;
  RoleRef role;
  bool mfa_enrolled = false;
  std::optional<int64_t> last_sign_in_at_us;
  int64_t created_us = 0;  // joined the merchant
};

struct Invitation {
  std::string id;  // inv_…
  std::string merchant_id;
  std::string email;
  RoleRef role;
  std::string status;  // pending | accepted | expired | revoked
  std::string invited_by;
  int64_t created_us = 0;
  int64_t expires_at_us = 0;
};

// A new invitation and, this once, its token (the link is /invite#<token>).
struct IssuedInvitation {
  Invitation invitation;
  Secret<std::string> token;
  std::string invite_path;  // "/invite#<token>": the API layer prefixes the dashboard origin
};

struct InvitationPreview {
  std::string email;
  std::string merchant_id;
  std::string merchant_name;
  RoleRef role;
  int64_t expires_at_us = 0;
  bool account_exists = false;
};

// A merchant as operators see it (and the `frozen` flag the pipeline enforces).
struct MerchantSummary {
  std::string id;
  std::string name;
  int64_t created_us = 0;
  bool frozen = false;
  std::optional<std::string> frozen_reason;
  std::optional<int64_t> frozen_at_us;
  int64_t users = 0;
};

// An operator account and, this once, its generated initial password.
struct CreatedAccount {
  std::string user_id;
  std::string email;
  Secret<std::string> password;
};

template <class T>
struct Page {
  std::vector<T> data;
  bool has_more = false;
};

}  // namespace lp::people
