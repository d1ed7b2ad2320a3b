#include "lp/auth/ip_allowlist.hpp"

#include <boost/asio/ip/address.hpp>
#include <cstring>

namespace lp::auth {
namespace {

// Normalizes an address; IPv4-mapped IPv6 becomes IPv4.
std::optional<boost::asio::ip::address> ParseAddress(std::string_view text) {
  // The parser reads a C string: refuse anything but address characters (NULs included).
  if (text.empty() || text.size() > 45) return std::nullopt;
  for (char ch : text) {
    const bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                    (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.';
    if (!ok) return std::nullopt;
  }
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::address(
        boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()));
  }
  return a;
}

void Bytes(const boost::asio::ip::address& a, unsigned char out[16], bool& v6) {
  v6 = a.is_v6();
  if (v6) {
    auto b = a.to_v6().to_bytes();
    std::memcpy(out, b.data(), 16);
  } else {
    auto b = a.to_v4().to_bytes();
    std::memset(out, 0, 16);
    std::memcpy(out, b.data(), 4);
  }
}

}  // namespace

Result<Cidr> Cidr::Parse(std::string_view text) {
  // Only address characters: no NULs or spaces that a C-string parser would stop at.
  for (char ch : text) {
    const bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                    (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.' || ch == '/';
    if (!ok || text.size() > 64) {
      return Error::Invalid("cidr_invalid", "The value is not an IPv4 or IPv6 CIDR.");
    }
  }
  auto slash = text.find('/');
  auto addr = ParseAddress(text.substr(0, slash));
  auto bad = [&] {
    return Error::Invalid("cidr_invalid",
                          "'" + std::string(text.substr(0, 64)) + "' is not an IPv4 or IPv6 CIDR.");
  };
  if (!addr) return bad();
  Cidr c;
  Bytes(*addr, c.bytes_, c.v6_);
  const int max = c.v6_ ? 128 : 32;
  c.prefix_ = max;
  if (slash != std::string_view::npos) {
    auto p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return bad();
    int n = 0;
    for (char ch : p) {
      if (ch < '0' || ch > '9') return bad();
      n = n * 10 + (ch - '0');
    }
    if (n > max) return bad();
    c.prefix_ = n;
  }
  // Zero the host bits so the canonical text names the network.
  for (int i = 0; i < 16; ++i) {
    const int bit = i * 8;
    if (bit >= c.prefix_) {
      c.bytes_[i] = 0;
    } else if (bit + 8 > c.prefix_) {
      c.bytes_[i] &= static_cast<unsigned char>(0xFF << (8 - (c.prefix_ - bit)));
    }
  }
  boost::asio::ip::address net;
  if (c.v6_) {
    boost::asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), c.bytes_, 16);
    net = boost::asio::ip::make_address_v6(b);
  } else {
    boost::asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), c.bytes_, 4);
    net = boost::asio::ip::make_address_v4(b);
  }
  c.text_ = net.to_string() + "/" + std::to_string(c.prefix_);
  return c;
}

bool Cidr::Contains(std::string_view address) const {
  auto a = ParseAddress(address);
  if (!a) return false;
  unsigned char b[16];
  bool v6 = false;
  Bytes(*a, b, v6);
  if (v6 != v6_) return false;
  int bits = prefix_;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xFF : static_cast<unsigned char>(0xFF << (8 - bits));
    if ((b[i] & mask) != bytes_[i]) return false;
  }
  return true;
}

bool AnyContains(const std::vector<Cidr>& ranges, std::string_view address) {
  for (const auto& r : ranges) {
    if (r.Contains(address)) return true;
  }
  return false;
}

std::string ClientIp(std::string_view peer, std::optional<std::string_view> xff,
                     const std::vector<Cidr>& trusted) {
  if (!xff || trusted.empty() || !AnyContains(trusted, peer)) return std::string(peer);
  std::string_view rest = *xff;
  std::string candidate(peer);
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view part = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!ParseAddress(part)) return candidate;  // garbage: stop at the last good hop
    candidate = std::string(part);
    if (!AnyContains(trusted, part)) return candidate;
  }
  return candidate;
}

}  // namespace lp::auth
