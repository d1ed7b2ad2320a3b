#include "app/security_txt.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace lp::app {

namespace {

// Reads exactly `n` digits at `pos`; -1 when they are not there.
int Digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) {
    return -1;
  }
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char ch = s[pos + i];
    if (ch < '0' || ch > '9') {
      return -1;
    }
    v = v * 10 + (ch - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view s, size_t& pos, std::string_view one_of) {
  if (pos < s.size() && one_of.find(s[pos]) != std::string_view::npos) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  using namespace std::chrono;
  size_t p = 0;
  const int y = Digits(s, p, 4);
  if (y < 0 || !Expect(s, p, "-")) {
    return std::nullopt;
  }
  const int mo = Digits(s, p, 2);
  if (mo < 0 || !Expect(s, p, "-")) {
    return std::nullopt;
  }
  const int d = Digits(s, p, 2);
  if (d < 0 || !Expect(s, p, "Tt")) {
    return std::nullopt;
  }
  const int h = Digits(s, p, 2);
  if (h < 0 || !Expect(s, p, ":")) {
    return std::nullopt;
  }
  const int mi = Digits(s, p, 2);
  if (mi < 0 || !Expect(s, p, ":")) {
    return std::nullopt;
  }
  const int sec = Digits(s, p, 2);
  if (sec < 0) {
    return std::nullopt;
  }
  if (Expect(s, p, ".")) {  // fraction: at least one digit, ignored
    const size_t start = p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      ++p;
    }
    if (p == start) {
      return std::nullopt;
    }
  }
  int64_t offset_s = 0;
  if (!Expect(s, p, "Zz")) {
    if (p >= s.size() || (s[p] != '+' && s[p] != '-')) {
      return std::nullopt;
    }
    const int sign = s[p++] == '-' ? -1 : 1;
    const int oh = Digits(s, p, 2);
    if (oh < 0 || !Expect(s, p, ":")) {
      return std::nullopt;
    }
    const int om = Digits(s, p, 2);
    if (om < 0 || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = sign * (oh * 3600 + om * 60);
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (p != s.size() || !ymd.ok() || h > 23 || mi > 59 || sec > 60) {
    return std::nullopt;
  }
  const int64_t days = sys_days(ymd).time_since_epoch().count();
  return days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
}

std::string FormatRfc3339(int64_t epoch_s) {
  using namespace std::chrono;
  const sys_seconds t{seconds{epoch_s}};
  const auto day_start = floor<days>(t);
  const year_month_day ymd{day_start};
  const hh_mm_ss hms{t - day_start};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

bool IsSecurityTxtUri(std::string_view uri, bool allow_mailto_tel) {
  const bool scheme_ok =
      uri.starts_with("https://") ||
      (allow_mailto_tel && (uri.starts_with("mailto:") || uri.starts_with("tel:")));
  if (!scheme_ok || uri.size() > 2048) {
    return false;
  }
  const size_t rest = uri.find(':') + 1 + (uri.starts_with("https://") ? 2 : 0);
  if (rest >= uri.size()) {
    return false;
  }
  for (const char ch : uri) {
    if (ch <= 0x20 || ch >= 0x7f) {
      return false;
    }
  }
  return true;
}

SecurityTxt BuildSecurityTxt(const Config& c, int64_t now_s) {
  SecurityTxt out;
  std::vector<std::string> contacts = c.security_contact;
  if (contacts.empty()) {
    contacts.push_back(kDefaultSecurityContact);
  }
  const bool placeholder = contacts.size() == 1 && contacts[0] == kDefaultSecurityContact;
  std::string expires = c.security_txt_expires;
  if (expires.empty()) {
    expires = FormatRfc3339(now_s + kDefaultSecurityTxtLifetimeS);
  }
  std::string& b = out.body;
  b = "# LiasonPay: how to report a security vulnerability (RFC 9116; see SECURITY.md).\n";
  if (placeholder) {
    b += "# The operator has not set security_contact yet: the address below is a placeholder.\n";
  }
  for (const auto& contact : contacts) {
    b += "Contact: " + contact + "\n";
  }
  b += "Expires: " + expires + "\n";
  if (!c.security_policy.empty()) {
    b += "Policy: " + c.security_policy + "\n";
  }
  for (const auto& canonical : c.security_txt_canonical) {
    b += "Canonical: " + canonical + "\n";
  }
  b += "Preferred-Languages: en\n";

  if (placeholder) {
    out.warnings.push_back("security_contact is not set: /.well-known/security.txt names " +
                           std::string(kDefaultSecurityContact));
  }
  if (const auto at = ParseRfc3339(expires)) {
    if (*at <= now_s) {
      out.warnings.push_back("security_txt_expires " + expires + " has passed");
    } else if (*at - now_s > int64_t{365} * 24 * 3600) {
      out.warnings.push_back("security_txt_expires " + expires +
                             " is more than a year ahead (RFC 9116 recommends less)");
    }
  }
  return out;
}

namespace {
// A coroutine's parameters live in its frame (a lambda's captures would not).
Task<http::Response> ServeSecurityTxt(std::string body) {
  co_return http::Response::Text(200, std::move(body), "text/plain; charset=utf-8");
}
}  // namespace

void AddSecurityTxtRoute(http::Router& router, std::string body) {
  router.Add("GET", "/.well-known/security.txt", "none",
             [body = std::move(body)](http::Request&) { return ServeSecurityTxt(body); });
}

}  // namespace lp::app
