// Outbound request policy and the SSRF guard for merchant-supplied URLs (webhook endpoints).
//
// Owns: URL parsing for outbound targets and the classification of IP addresses into the ranges a
// merchant URL may never reach (loopback, private, link-local, CGNAT, cloud metadata, multicast,
// reserved, documentation ...). Pure functions, no I/O: the HTTP client (http_client.hpp) applies
// the same checks to every address a host name resolves to, so a DNS name pointing at 10.0.0.1 is
// refused exactly like the literal https://10.0.0.1/.
//
// Must not touch: sockets, DNS, configuration files. The policy is a plain struct filled in by the
// composition root.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/result.hpp"

namespace lp::net {

struct OutboundPolicy {
  // Development only: also allows http:// and loopback receivers (127.0.0.0/8, ::1) so a developer
  // can point a webhook at a local receiver. Private, link-local and metadata ranges stay refused.
  bool dev_mode = false;
  // Operator allowlist: CIDRs ("10.1.2.0/24", "fd12:3456::/48") or single addresses whose members
  // are allowed even though they fall in a refused range. A cloud metadata address
  // (169.254.169.254, fd00:ec2::254, ...) is allowed only by an entry naming exactly that address
  // (/32 or /128), never by a wider range that happens to contain it. Malformed entries match
  // nothing (see ValidateOutboundPolicy to reject them at start-up).
  std::vector<std::string> allowed_cidrs;
  // Bound on the whole request: resolution, connect, TLS handshake, write and read.
  std::chrono::milliseconds timeout{10000};
  // At most this many bytes of the response body are read; the rest is never read.
  size_t max_response_bytes = 64 * 1024;
};

// Checks the allowlist entries and the limits; for configuration loading.
Result<void> ValidateOutboundPolicy(const OutboundPolicy& policy);

// Why an address is (not) a valid outbound target.
enum class AddressClass {
  kPublic,         // global unicast
  kUnspecified,    // 0.0.0.0/8, ::  (0.0.0.0 reaches the local host on Linux)
  kLoopback,       // 127.0.0.0/8, ::1
  kPrivate,        // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48
  kLinkLocal,      // 169.254.0.0/16, fe80::/10
  kSharedCgnat,    // 100.64.0.0/10
  kMetadata,       // cloud instance metadata endpoints (169.254.169.254, fd00:ec2::254, ...)
  kMulticast,      // 224.0.0.0/4, ff00::/8
  kBroadcast,      // 255.255.255.255
  kDocumentation,  // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
  kReserved,       // 192.0.0/24, 198.18/15, 240/4, 192.88.99/24, IPv6 outside 2000::/3,
                   // Teredo, ORCHID, benchmarking, IPv4-compatible, NAT64/6to4 to a non-public v4
};

std::string_view ToString(AddressClass c);

// Classifies an address. IPv4-mapped IPv6 (::ffff:a.b.c.d) is classified as the embedded IPv4;
// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are public only if the embedded IPv4 is public.
AddressClass ClassifyAddress(const boost::asio::ip::address& addr);

// True if `addr` must not be connected to under `policy`: anything not public, except loopback in
// dev mode and addresses on the operator allowlist.
bool IsForbiddenAddress(const boost::asio::ip::address& addr, const OutboundPolicy& policy);
// Same for a textual address; anything that is not a plain IPv4/IPv6 address is forbidden.
bool IsForbiddenAddress(std::string_view addr, const OutboundPolicy& policy);

struct ParsedUrl {
  std::string scheme;       // "https", or "http" (dev mode only)
  std::string host;         // lower case; IPv6 without brackets; no trailing dot
  uint16_t port = 0;        // explicit, or 443 / 80
  std::string target;       // path + query, always starts with '/'
  bool host_is_ip = false;  // host is an IP literal (already checked against the policy)
  bool tls() const { return scheme == "https"; }
  // Value for the Host header: host, bracketed if IPv6, with ":port" if not the default.
  std::string HostHeader() const;
};

// Parses and checks a merchant-supplied URL. Strict on purpose: ASCII only, no whitespace, no
// backslashes, no userinfo, no fragment, no IPv6 zone ids, no percent-encoded host, and a host that
// ends in a number must be a canonical dotted-decimal IPv4 address (so 2130706433, 0x7f000001,
// 0177.0.0.1 and 127.1 are refused instead of being guessed at).
// Errors: Error::Invalid("url_invalid", ..., "url") for malformed URLs;
// Error::Invalid("url_forbidden", ..., "url") for http:// outside dev mode, a forbidden IP literal,
// or "localhost" outside dev mode.
Result<ParsedUrl> ParseWebhookUrl(std::string_view url, const OutboundPolicy& policy);

}  // namespace lp::net
