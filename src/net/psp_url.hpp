// PspClient's request checks (psp_client.cpp, psp_url.cpp): the strict URL parser for PSP base
// URLs and the proxy URL, and the check of the caller's headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/net/psp_client.hpp"

namespace lp::net::psp_internal {

// scheme://[userinfo@]host[:port][/path?query]: PSP base URLs and the proxy URL come from
// operator configuration, so this is strict and small rather than general.
struct Url {
  bool tls = true;
  std::string host;  // lower case, IPv6 without brackets
  uint16_t port = 443;
  std::string target = "/";
  std::string userinfo;  // proxy only
  bool host_is_ip = false;

  std::string Origin() const { return std::string(tls ? "https://" : "http://") + HostPort(); }
  std::string HostPort() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  std::string HostHeader() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + host + "]" : host;
    if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
    return h;
  }
};

Error UrlInvalid(std::string message);

Result<Url> ParseUrl(std::string_view url, bool allow_userinfo);

// Checks the caller's headers; returns whether one of them is an Idempotency-Key.
Result<bool> CheckHeaders(const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace lp::net::psp_internal
