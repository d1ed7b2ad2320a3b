// `/.well-known/security.txt` (RFC 9116) on the api and dashboard listeners: where to report a
// vulnerability (SECURITY.md). Contact and expiry come from config (security_contact,
// security_txt_expires, security_policy, security_txt_canonical; see config.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.hpp"
#include "lp/http/router.hpp"

namespace lp::app {

// Seconds since the epoch of an RFC 3339 date-time ("2027-06-30T00:00:00Z",
// "2027-06-30T02:00:00.5+02:00"); nullopt when `text` is not one.
std::optional<int64_t> ParseRfc3339(std::string_view text);
// "2027-06-30T00:00:00Z" for `epoch_s`.
std::string FormatRfc3339(int64_t epoch_s);
// A Contact/Policy/Canonical value we accept: mailto: or https: (Contact also tel:), printable
// ASCII without spaces, so a value can never break a line of the file.
bool IsSecurityTxtUri(std::string_view uri, bool allow_mailto_tel);

// When security_txt_expires is unset: this long after start-up (RFC 9116 §2.5.5 recommends
// less than a year).
inline constexpr int64_t kDefaultSecurityTxtLifetimeS = int64_t{364} * 24 * 3600;
inline constexpr const char* kDefaultSecurityContact = "mailto:security@example.com";

struct SecurityTxt {
  std::string body;                   // the file, LF line ends
  std::vector<std::string> warnings;  // for the start-up log: expired, > 1 year, placeholder
};
// Builds the file from the (already validated) config at `now_s`.
SecurityTxt BuildSecurityTxt(const Config& config, int64_t now_s);

// GET /.well-known/security.txt, no authentication, text/plain; charset=utf-8.
void AddSecurityTxtRoute(http::Router& router, std::string body);

}  // namespace lp::app
