#include "lp/common/principal.hpp"

namespace lp {

std::string_view ToString(Mode m) { return m == Mode::kLive ? "live" : "test"; }

std::optional<Mode> ParseMode(std::string_view s) {
  if (s == "test") return Mode::kTest;
  if (s == "live") return Mode::kLive;
  return std::nullopt;
}

bool Grants(const Principal& p, std::string_view permission) {
  if (permission == "none") return true;
  if (p.key_type == "secret") return true;
  // Restricted keys and dashboard users hold exactly their scopes (a user's: the role's
  // permissions, people::ToPrincipal).
  if (p.key_type != "restricted" && p.key_type != "user") return false;
  for (const auto& s : p.scopes) {
    if (s == permission) return true;
    // "x:write" includes "x:read".
    if (permission.ends_with(":read") && s.ends_with(":write") &&
        s.substr(0, s.size() - 6) == permission.substr(0, permission.size() - 5)) {
      return true;
    }
  }
  return false;
}

}  // namespace lp
