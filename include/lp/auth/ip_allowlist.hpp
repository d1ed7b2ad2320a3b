// CIDR ranges (IPv4 and IPv6), allowlist checks and the client address behind trusted proxies.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/result.hpp"

namespace lp::auth {

// A parsed CIDR ("10.0.0.0/8", "2001:db8::/32", or a bare address = a /32 or /128).
class Cidr {
 public:
  static Result<Cidr> Parse(std::string_view text);
  bool Contains(std::string_view address) const;
  const std::string& text() const { return text_; }

 private:
  bool v6_ = false;
  unsigned char bytes_[16] = {};
  int prefix_ = 0;
  std::string text_;  // canonical form
};

bool AnyContains(const std::vector<Cidr>& ranges, std::string_view address);

// The client address: the socket peer, unless the peer is a trusted proxy; then the rightmost
// X-Forwarded-For entry that is not itself a trusted proxy. Untrusted peers' headers are ignored.
std::string ClientIp(std::string_view peer, std::optional<std::string_view> x_forwarded_for,
                     const std::vector<Cidr>& trusted_proxies);

}  // namespace lp::auth
