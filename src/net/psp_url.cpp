// PspClient's request checks: the strict URL parser and the check of the caller's headers.
#include "psp_url.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>

#include "net/client_common.hpp"

namespace lp::net::psp_internal {

namespace asio = boost::asio;

constexpr size_t kMaxUrlLength = 4096;

Error UrlInvalid(std::string message) {
  return Error::Invalid("url_invalid", std::move(message), "url");
}

Result<Url> ParseUrl(std::string_view url, bool allow_userinfo) {
  if (url.empty() || url.size() > kMaxUrlLength) return UrlInvalid("The URL is empty or too long.");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '\\' || c == '#') {
      return UrlInvalid("The URL contains a character that is not allowed.");
    }
  }
  Url out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    out.tls = false;
    out.port = 80;
    rest = url.substr(7);
  } else {
    return UrlInvalid("The URL must start with https://.");
  }
  const size_t auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  if (auth_end != std::string_view::npos) {
    out.target = std::string(rest.substr(auth_end));
    if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  }
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    if (!allow_userinfo) return UrlInvalid("The URL may not contain a user name or password.");
    out.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return UrlInvalid("The URL host is malformed.");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return UrlInvalid("The URL host is malformed.");
      port = after.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return UrlInvalid("The URL has no host.");
  out.host.reserve(host.size());
  for (char c : host)
    out.host.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (!port.empty() || authority.ends_with(":")) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return UrlInvalid("The URL port is invalid.");
    }
    const int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) return UrlInvalid("The URL port is invalid.");
    out.port = static_cast<uint16_t>(p);
  }
  boost::system::error_code ec;
  asio::ip::make_address(out.host, ec);
  out.host_is_ip = !ec;
  return out;
}

// Checks the caller's headers; returns whether one of them is an Idempotency-Key.
Result<bool> CheckHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
  // Set by the client, or hop-by-hop through the proxy.
  static constexpr std::string_view kReserved[] = {
      "host", "content-length", "transfer-encoding", "connection",         "upgrade",
      "te",   "expect",         "keep-alive",        "proxy-authorization"};
  return client_internal::CheckRequestHeaders(headers, kReserved);
}

}  // namespace lp::net::psp_internal
