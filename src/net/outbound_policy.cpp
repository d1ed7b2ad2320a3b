#include "lp/net/outbound_policy.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace lp::net {

namespace ip = boost::asio::ip;

namespace {

constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kMaxHostLength = 253;

// ---- Address classification -------------------------------------------------------------------

constexpr uint32_t V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | uint32_t{d};
}

constexpr bool InV4(uint32_t a, uint32_t net, int prefix) {
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (a & mask) == (net & mask);
}

constexpr std::array<uint32_t, 4> kV4Metadata = {
    V4(169, 254, 169, 254),  // AWS, GCP, Azure, OpenStack, DigitalOcean ...
    V4(169, 254, 170, 2),    // AWS ECS task metadata
    V4(100, 100, 100, 200),  // Alibaba Cloud
    V4(192, 0, 0, 192),      // Oracle Cloud
};

AddressClass ClassifyV4(uint32_t a) {
  if (std::find(kV4Metadata.begin(), kV4Metadata.end(), a) != kV4Metadata.end()) {
    return AddressClass::kMetadata;
  }
  if (a == V4(255, 255, 255, 255)) return AddressClass::kBroadcast;
  if (InV4(a, V4(0, 0, 0, 0), 8)) return AddressClass::kUnspecified;
  if (InV4(a, V4(127, 0, 0, 0), 8)) return AddressClass::kLoopback;
  if (InV4(a, V4(10, 0, 0, 0), 8) || InV4(a, V4(172, 16, 0, 0), 12) ||
      InV4(a, V4(192, 168, 0, 0), 16)) {
    return AddressClass::kPrivate;
  }
  if (InV4(a, V4(100, 64, 0, 0), 10)) return AddressClass::kSharedCgnat;
  if (InV4(a, V4(169, 254, 0, 0), 16)) return AddressClass::kLinkLocal;
  if (InV4(a, V4(224, 0, 0, 0), 4)) return AddressClass::kMulticast;
  if (InV4(a, V4(192, 0, 2, 0), 24) || InV4(a, V4(198, 51, 100, 0), 24) ||
      InV4(a, V4(203, 0, 113, 0), 24)) {
    return AddressClass::kDocumentation;
  }
  if (InV4(a, V4(192, 0, 0, 0), 24) || InV4(a, V4(198, 18, 0, 0), 15) ||
      InV4(a, V4(240, 0, 0, 0), 4) || InV4(a, V4(192, 88, 99, 0), 24)) {
    return AddressClass::kReserved;
  }
  return AddressClass::kPublic;
}

using V6Bytes = ip::address_v6::bytes_type;

bool InV6(const V6Bytes& a, const V6Bytes& net, int prefix) {
  int i = 0;
  for (; prefix >= 8; prefix -= 8, ++i) {
    if (a[i] != net[i]) return false;
  }
  if (prefix == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - prefix));
  return (a[i] & mask) == (net[i] & mask);
}

V6Bytes V6(std::string_view text) {
  return ip::make_address_v6(std::string(text)).to_bytes();  // literals below are valid
}

uint32_t EmbeddedV4(const V6Bytes& b, size_t offset) {
  return (uint32_t{b[offset]} << 24) | (uint32_t{b[offset + 1]} << 16) |
         (uint32_t{b[offset + 2]} << 8) | uint32_t{b[offset + 3]};
}

AddressClass ClassifyV6(const ip::address_v6& addr) {
  const V6Bytes b = addr.to_bytes();
  if (addr.is_v4_mapped()) return ClassifyV4(EmbeddedV4(b, 12));
  if (addr.is_unspecified()) return AddressClass::kUnspecified;
  if (addr.is_loopback()) return AddressClass::kLoopback;
  static const V6Bytes kEc2Metadata = V6("fd00:ec2::254");
  static const V6Bytes kEksPodIdentity = V6("fd00:ec2::23");
  if (b == kEc2Metadata || b == kEksPodIdentity) return AddressClass::kMetadata;
  if (b[0] == 0xff) return AddressClass::kMulticast;
  if (InV6(b, V6("fc00::"), 7) || InV6(b, V6("fec0::"), 10) || InV6(b, V6("64:ff9b:1::"), 48)) {
    return AddressClass::kPrivate;
  }
  if (InV6(b, V6("fe80::"), 10)) return AddressClass::kLinkLocal;
  // NAT64 and 6to4 carry an IPv4 address; they may only reach a public one.
  std::optional<uint32_t> embedded;
  if (InV6(b, V6("64:ff9b::"), 96)) embedded = EmbeddedV4(b, 12);
  if (InV6(b, V6("2002::"), 16)) embedded = EmbeddedV4(b, 2);
  if (embedded) {
    const AddressClass c = ClassifyV4(*embedded);
    if (c == AddressClass::kPublic || c == AddressClass::kMetadata) return c;
    return AddressClass::kReserved;
  }
  if (InV6(b, V6("2001:db8::"), 32) || InV6(b, V6("3fff::"), 20)) {
    return AddressClass::kDocumentation;
  }
  // Only 2000::/3 is global unicast. Inside it: Teredo, benchmarking, ORCHID (v1 and v2).
  if (!InV6(b, V6("2000::"), 3) || InV6(b, V6("2001::"), 32) || InV6(b, V6("2001:2::"), 48) ||
      InV6(b, V6("2001:10::"), 28) || InV6(b, V6("2001:20::"), 28)) {
    return AddressClass::kReserved;
  }
  return AddressClass::kPublic;
}

// An allowlist entry, normalised: IPv4-mapped IPv6 ranges become IPv4 ranges.
struct Cidr {
  ip::address net;
  int prefix = 0;
};

std::optional<Cidr> ParseCidr(std::string_view text) {
  std::string_view addr_text = text;
  std::optional<int> prefix;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr_text = text.substr(0, slash);
    const std::string_view p = text.substr(slash + 1);
    int v = -1;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || p.size() > 3) {
      return std::nullopt;
    }
    prefix = v;
  }
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(addr_text), ec);
  if (ec || addr_text.find('%') != std::string_view::npos) return std::nullopt;
  const int max = a.is_v4() ? 32 : 128;
  const int len = prefix.value_or(max);
  if (len < 0 || len > max) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped() && len >= 96) {
    return Cidr{ip::make_address_v4(ip::v4_mapped, a.to_v6()), len - 96};
  }
  return Cidr{a, len};
}

bool CidrContains(const Cidr& c, const ip::address& a) {
  if (c.net.is_v4() && a.is_v4()) {
    return InV4(a.to_v4().to_uint(), c.net.to_v4().to_uint(), c.prefix);
  }
  if (c.net.is_v6() && a.is_v6()) {
    return InV6(a.to_v6().to_bytes(), c.net.to_v6().to_bytes(), c.prefix);
  }
  return false;
}

// The address an IPv4-mapped IPv6 address really reaches.
ip::address Unwrap(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

bool Allowlisted(const ip::address& addr, AddressClass cls, const OutboundPolicy& policy) {
  const ip::address a = Unwrap(addr);
  const int full = a.is_v4() ? 32 : 128;
  for (const auto& entry : policy.allowed_cidrs) {
    auto cidr = ParseCidr(entry);
    if (!cidr || !CidrContains(*cidr, a)) continue;
    if (cls == AddressClass::kMetadata && cidr->prefix != full) continue;
    return true;
  }
  return false;
}

// ---- URL parsing ------------------------------------------------------------------------------

Error UrlInvalid(std::string message) {
  return Error::Invalid("url_invalid", std::move(message), "url");
}
Error UrlForbidden(std::string message) {
  return Error::Invalid("url_forbidden", std::move(message), "url");
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsHostChar(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '_'; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

// WHATWG "ends in a number": the last label is all digits, or 0x followed by hex digits. Such a
// host is an IPv4 address in some notation, never a DNS name.
bool EndsInNumber(std::string_view host) {
  const size_t dot = host.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), IsDigit)) return true;
  if (last.size() >= 2 && last[0] == '0' && last[1] == 'x') {
    return std::all_of(last.begin() + 2, last.end(), IsHexDigit);
  }
  return false;
}

// Exactly four decimal parts, 0-255, no leading zeros.
bool IsCanonicalDottedQuad(std::string_view host) {
  int parts = 0;
  size_t pos = 0;
  while (pos <= host.size()) {
    size_t dot = host.find('.', pos);
    if (dot == std::string_view::npos) dot = host.size();
    const std::string_view part = host.substr(pos, dot - pos);
    if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), IsDigit)) {
      return false;
    }
    if (part.size() > 1 && part[0] == '0') return false;
    int v = 0;
    std::from_chars(part.data(), part.data() + part.size(), v);
    if (v > 255) return false;
    ++parts;
    pos = dot + 1;
  }
  return parts == 4;
}

Result<void> CheckDnsName(std::string_view host) {
  if (host.empty()) return UrlInvalid("The URL has no host.");
  if (host.size() > kMaxHostLength) return UrlInvalid("The URL host is too long.");
  size_t pos = 0;
  while (pos <= host.size()) {
    size_t dot = host.find('.', pos);
    if (dot == std::string_view::npos) dot = host.size();
    const std::string_view label = host.substr(pos, dot - pos);
    if (label.empty() || label.size() > 63) return UrlInvalid("The URL host is not a valid name.");
    if (!std::all_of(label.begin(), label.end(), IsHostChar) || label.front() == '-' ||
        label.back() == '-') {
      return UrlInvalid(
          "The URL host may contain only letters, digits, '-' and '.' (use punycode for "
          "international names).");
    }
    pos = dot + 1;
  }
  return {};
}

// ASCII only, printable, no spaces, none of the characters browsers and servers disagree on.
Result<void> CheckUrlCharacters(std::string_view url) {
  if (url.empty()) return UrlInvalid("The URL is empty.");
  if (url.size() > kMaxUrlLength) return UrlInvalid("The URL is too long.");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) {
      return UrlInvalid("The URL may contain only printable ASCII characters and no spaces.");
    }
    if (c == '\\' || c == '"' || c == '<' || c == '>' || c == '`') {
      return UrlInvalid("The URL contains a character that is not allowed.");
    }
  }
  return {};
}

// The host of a URL's authority, as ParsedUrl keeps it, and the text after its ':' if any.
struct UrlHost {
  std::string host;
  bool host_is_ip = false;
  std::optional<std::string_view> port_text;
};

// "[v6]" or "[v6]:port".
Result<UrlHost> ParseBracketedHost(std::string_view authority) {
  UrlHost out;
  const size_t close = authority.find(']');
  if (close == std::string_view::npos) {
    return UrlInvalid("The URL has an unterminated IPv6 host.");
  }
  const std::string_view host = authority.substr(1, close - 1);
  const std::string_view after = authority.substr(close + 1);
  if (!after.empty()) {
    if (after.front() != ':') return UrlInvalid("The URL host is malformed.");
    out.port_text = after.substr(1);
  }
  boost::system::error_code ec;
  const auto a6 = ip::make_address_v6(std::string(host), ec);
  if (ec) return UrlInvalid("The URL has an invalid IPv6 address.");
  out.host = a6.to_string();
  out.host_is_ip = true;
  return out;
}

// "name", "a.b.c.d", either with ":port".
Result<UrlHost> ParseNamedHost(std::string_view authority) {
  UrlHost out;
  const size_t colon = authority.find(':');
  const std::string_view host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    out.port_text = authority.substr(colon + 1);
  }
  std::string lower(host.size(), '\0');
  std::transform(host.begin(), host.end(), lower.begin(), Lower);
  if (!lower.empty() && lower.back() == '.') lower.pop_back();  // "example.com." is absolute
  if (EndsInNumber(lower)) {
    if (!IsCanonicalDottedQuad(lower)) {
      return UrlInvalid("A numeric URL host must be a dotted-decimal IPv4 address (a.b.c.d).");
    }
    out.host_is_ip = true;
  } else if (auto ok = CheckDnsName(lower); !ok) {
    return ok.error();
  }
  out.host = std::move(lower);
  return out;
}

Result<uint16_t> ParsePort(std::string_view port_text) {
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || port_text.size() > 5 || ec != std::errc() ||
      end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    return UrlInvalid("The URL port must be a number from 1 to 65535.");
  }
  return static_cast<uint16_t>(port);
}

// An IP host must pass the policy; a name may not be the local host (outside dev mode). Names
// are checked again, address by address, when they are resolved.
Result<void> CheckHostReachable(const ParsedUrl& u, const OutboundPolicy& policy) {
  if (u.host_is_ip) {
    boost::system::error_code ec;
    const ip::address a = ip::make_address(u.host, ec);
    if (ec) return UrlInvalid("The URL has an invalid IP address.");
    if (IsForbiddenAddress(a, policy)) {
      return UrlForbidden("The URL points to a " + std::string(ToString(ClassifyAddress(a))) +
                          " address, which webhooks may not reach.");
    }
  } else if (!policy.dev_mode && (u.host == "localhost" || u.host.ends_with(".localhost"))) {
    return UrlForbidden("The URL points to the local host, which webhooks may not reach.");
  }
  return {};
}

// The request target: the path and query, "/" when there is no path.
std::string TargetOf(std::string_view path_query) {
  if (path_query.empty()) return "/";
  if (path_query.front() == '?') return "/" + std::string(path_query);
  return std::string(path_query);
}

}  // namespace

std::string_view ToString(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kSharedCgnat:
      return "shared (CGNAT)";
    case AddressClass::kMetadata:
      return "cloud metadata";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kBroadcast:
      return "broadcast";
    case AddressClass::kDocumentation:
      return "documentation";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "reserved";
}

AddressClass ClassifyAddress(const ip::address& addr) {
  if (addr.is_v4()) return ClassifyV4(addr.to_v4().to_uint());
  return ClassifyV6(addr.to_v6());
}

bool IsForbiddenAddress(const ip::address& addr, const OutboundPolicy& policy) {
  const AddressClass cls = ClassifyAddress(addr);
  if (cls == AddressClass::kPublic) return false;
  if (policy.dev_mode && cls == AddressClass::kLoopback) return false;
  return !Allowlisted(addr, cls, policy);
}

bool IsForbiddenAddress(std::string_view addr, const OutboundPolicy& policy) {
  if (addr.find('%') != std::string_view::npos) return true;  // zone ids: link-local only
  boost::system::error_code ec;
  const ip::address a = ip::make_address(std::string(addr), ec);
  if (ec) return true;
  return IsForbiddenAddress(a, policy);
}

Result<void> ValidateOutboundPolicy(const OutboundPolicy& policy) {
  for (const auto& entry : policy.allowed_cidrs) {
    auto cidr = ParseCidr(entry);
    if (!cidr) {
      return Error::Invalid("outbound_policy_invalid",
                            "Allowlist entry '" + entry + "' is not an address or CIDR.",
                            "allowed_cidrs");
    }
    // Allowlisting most of the address space switches the guard off; refuse it.
    if (cidr->prefix < (cidr->net.is_v4() ? 8 : 16)) {
      return Error::Invalid("outbound_policy_invalid",
                            "Allowlist entry '" + entry + "' is too wide.", "allowed_cidrs");
    }
  }
  if (policy.timeout.count() <= 0) {
    return Error::Invalid("outbound_policy_invalid", "The timeout must be positive.", "timeout");
  }
  if (policy.max_response_bytes == 0) {
    return Error::Invalid("outbound_policy_invalid", "max_response_bytes must be positive.",
                          "max_response_bytes");
  }
  return {};
}

std::string ParsedUrl::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const uint16_t default_port = tls() ? 443 : 80;
  if (port != default_port) h += ":" + std::to_string(port);
  return h;
}

Result<ParsedUrl> ParseWebhookUrl(std::string_view url, const OutboundPolicy& policy) {
  if (auto ok = CheckUrlCharacters(url); !ok) return ok.error();

  ParsedUrl out;
  std::string_view rest;
  if (StartsWithNoCase(url, "https://")) {
    out.scheme = "https";
    out.port = 443;
    rest = url.substr(8);
  } else if (StartsWithNoCase(url, "http://")) {
    out.scheme = "http";
    out.port = 80;
    rest = url.substr(7);
  } else {
    return UrlInvalid("The URL must start with https://.");
  }
  if (out.scheme == "http" && !policy.dev_mode) {
    return UrlForbidden("Only https:// URLs are allowed.");
  }

  if (rest.find('#') != std::string_view::npos) {
    return UrlInvalid("The URL may not have a fragment.");
  }
  const size_t auth_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, auth_end);
  const std::string_view path_query =
      auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return UrlInvalid("The URL may not contain a user name or password.");
  }
  if (authority.find('%') != std::string_view::npos) {
    return UrlInvalid("The URL host may not be percent-encoded.");
  }

  const bool bracketed = !authority.empty() && authority.front() == '[';
  auto host = bracketed ? ParseBracketedHost(authority) : ParseNamedHost(authority);
  if (!host) return host.error();
  out.host = std::move(host->host);
  out.host_is_ip = host->host_is_ip;
  if (host->port_text) {
    auto port = ParsePort(*host->port_text);
    if (!port) return port.error();
    out.port = *port;
  }
  if (auto ok = CheckHostReachable(out, policy); !ok) return ok.error();
  out.target = TargetOf(path_query);
  return out;
}

}  // namespace lp::net
