// Who is calling and in which mode: resolved from an API key (and, later, a dashboard session or
// an operator), checked against a route's permission, and recorded as the actor of an audit
// record. Value types only; every module may use them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lp {

// Test and live data never mix (PRODUCT.md §2).
enum class Mode { kTest, kLive };
std::string_view ToString(Mode m);
std::optional<Mode> ParseMode(std::string_view s);

// Who is calling: resolved from an API key, or from a dashboard user's or an operator's session
// (people::ToPrincipal: key_type "user" | "operator", scopes = the role's permissions).
struct Principal {
  std::string merchant_id;
  Mode mode = Mode::kTest;
  std::string key_id;
  std::string key_type;                    // "secret" | "restricted" | "publishable" | "user" | "operator"
  std::vector<std::string> scopes;         // restricted keys: e.g. "payments:write"; users: permissions
  std::vector<std::string> allowed_cidrs;  // empty = any address
  std::optional<double> rate_limit;        // the merchant's per-key override (requests/s)
  // Sessions (users and operators) only: who signed in, on which session, with which role.
  std::string user_id;     // usr_… / opr_… (also the audit actor id)
  std::string session_id;  // ses_… (public id)
  std::string role;        // the role in this merchant ("owner", "role_…") or the operator role
  bool pii_masked = false; // the role lacks pii:read: render personal data masked
};

// Whether the principal's key grants `permission` ("none" needs nothing). Secret keys grant
// all; restricted keys their scopes (a ":write" scope includes ":read"); publishable keys none.
bool Grants(const Principal& p, std::string_view permission);

// A grant only secret keys hold (no restricted key can carry it as a scope): needed to create,
// roll or revoke a secret key, and so to receive such a request's stored idempotent response.
inline constexpr std::string_view kSecretKeyGrant = "api_keys:secret";

// Who performs an action, for the audit log.
struct Actor {
  std::string type;  // "api_key" | "user" | "operator" | "system"
  std::string id;
  std::string source_ip;
  std::string request_id;
};

}  // namespace lp
