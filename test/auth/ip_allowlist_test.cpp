// CIDR parsing and matching (IPv4, IPv6, IPv4-mapped) and the client address behind trusted
// proxies (X-Forwarded-For is only believed from a trusted peer).
#include "lp/auth/ip_allowlist.hpp"

#include <gtest/gtest.h>

namespace lp::auth {
namespace {

Cidr P(std::string_view text) {
  auto c = Cidr::Parse(text);
  EXPECT_TRUE(c) << "'" << text << "' should parse";
  if (!c) return *Cidr::Parse("255.255.255.255/32");
  return *c;
}

std::vector<Cidr> Ranges(std::initializer_list<std::string_view> texts) {
  std::vector<Cidr> out;
  for (auto t : texts) out.push_back(P(t));
  return out;
}

// ---------------------------------------------------------------------------------- parsing

TEST(CidrParse, Ipv4Canonical) {
  EXPECT_EQ(P("10.0.0.0/8").text(), "10.0.0.0/8");
  EXPECT_EQ(P("192.168.1.0/24").text(), "192.168.1.0/24");
  EXPECT_EQ(P("0.0.0.0/0").text(), "0.0.0.0/0");
  EXPECT_EQ(P("203.0.113.7/32").text(), "203.0.113.7/32");
}

TEST(CidrParse, HostBitsAreZeroedInTheCanonicalForm) {
  EXPECT_EQ(P("1.2.3.4/8").text(), "1.0.0.0/8");
  EXPECT_EQ(P("192.168.1.77/24").text(), "192.168.1.0/24");
  EXPECT_EQ(P("10.255.255.255/12").text(), "10.240.0.0/12");
  EXPECT_EQ(P("255.255.255.255/0").text(), "0.0.0.0/0");
  EXPECT_EQ(P("2001:db8:abcd:1234::1/32").text(), "2001:db8::/32");
  EXPECT_EQ(P("2001:db8::ffff/127").text(), "2001:db8::fffe/127");
}

TEST(CidrParse, Ipv6) {
  EXPECT_EQ(P("2001:db8::/32").text(), "2001:db8::/32");
  EXPECT_EQ(P("::/0").text(), "::/0");
  EXPECT_EQ(P("::1/128").text(), "::1/128");
  EXPECT_EQ(P("fe80::/10").text(), "fe80::/10");
  EXPECT_EQ(P("2001:DB8::/32").text(), "2001:db8::/32");
}

TEST(CidrParse, BareAddressIsAHostRange) {
  EXPECT_EQ(P("127.0.0.1").text(), "127.0.0.1/32");
  EXPECT_EQ(P("::1").text(), "::1/128");
  EXPECT_EQ(P("2001:db8::5").text(), "2001:db8::5/128");
  // An IPv4-mapped IPv6 address is the IPv4 address.
  EXPECT_EQ(P("::ffff:10.1.2.3").text(), "10.1.2.3/32");
}

TEST(CidrParse, BadInputsAreRejected) {
  for (std::string_view bad :
       {"10.0.0.0/33", "::/129", "foo", "10.0.0.1/", "", "/8", "10.0.0.0/-1", "10.0.0.0/8/8",
        "10.0.0.0/ 8", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0/8", "256.0.0.0/8", "10.0.0.0/1000",
        "10.0.0.0/abc", "2001:db8::/1x", "2001:db8:::/32", "::/", "1.2.3.4/8/"}) {
    auto c = Cidr::Parse(bad);
    EXPECT_FALSE(c) << "'" << bad << "' parsed as " << (c ? c->text() : "");
    if (!c) {
      EXPECT_EQ(c.error().type, ErrorType::kInvalidRequest);
      EXPECT_EQ(c.error().code, "cidr_invalid");
      EXPECT_FALSE(c.error().message.empty());
    }
  }
}

TEST(CidrParse, EmbeddedNulIsRejected) {
  // JSON can carry "\u0000": the text after it must not be silently dropped.
  using namespace std::literals;
  for (std::string_view bad : {"10.0.0.0\0garbage/8"sv, "10.0.0.0\0/8"sv, "::1\0x"sv}) {
    auto c = Cidr::Parse(bad);
    EXPECT_FALSE(c) << "a CIDR with an embedded NUL parsed as " << (c ? c->text() : "");
  }
  EXPECT_FALSE(P("0.0.0.0/0").Contains("10.0.0.1\0junk"sv));
}

TEST(CidrParse, PrefixEdgesAccepted) {
  EXPECT_EQ(P("10.0.0.0/0").text(), "0.0.0.0/0");
  EXPECT_EQ(P("10.0.0.1/32").text(), "10.0.0.1/32");
  EXPECT_EQ(P("::/128").text(), "::/128");
  EXPECT_EQ(P("2001:db8::1/128").text(), "2001:db8::1/128");
}

TEST(CidrParse, CanonicalTextReparsesToItself) {
  for (std::string_view t : {"1.2.3.4/8", "2001:db8:1::9/48", "::1", "172.16.5.4/12", "::/0"}) {
    const std::string canon = P(t).text();
    EXPECT_EQ(P(canon).text(), canon) << t;
  }
}

// ---------------------------------------------------------------------------------- Contains

TEST(CidrContains, Ipv4Edges) {
  const Cidr c = P("10.0.0.0/8");
  EXPECT_TRUE(c.Contains("10.0.0.0"));
  EXPECT_TRUE(c.Contains("10.255.255.255"));
  EXPECT_TRUE(c.Contains("10.1.2.3"));
  EXPECT_FALSE(c.Contains("9.255.255.255"));
  EXPECT_FALSE(c.Contains("11.0.0.0"));

  const Cidr c20 = P("172.16.0.0/12");
  EXPECT_TRUE(c20.Contains("172.16.0.0"));
  EXPECT_TRUE(c20.Contains("172.31.255.255"));
  EXPECT_FALSE(c20.Contains("172.32.0.0"));
  EXPECT_FALSE(c20.Contains("172.15.255.255"));

  const Cidr host = P("203.0.113.7");
  EXPECT_TRUE(host.Contains("203.0.113.7"));
  EXPECT_FALSE(host.Contains("203.0.113.6"));
  EXPECT_FALSE(host.Contains("203.0.113.8"));

  const Cidr all = P("0.0.0.0/0");
  EXPECT_TRUE(all.Contains("0.0.0.0"));
  EXPECT_TRUE(all.Contains("255.255.255.255"));
  EXPECT_FALSE(all.Contains("::1"));  // an IPv4 range never holds a (non-mapped) IPv6 address
}

TEST(CidrContains, Ipv6Edges) {
  const Cidr c = P("2001:db8::/32");
  EXPECT_TRUE(c.Contains("2001:db8::"));
  EXPECT_TRUE(c.Contains("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(c.Contains("2001:DB8::1"));
  EXPECT_FALSE(c.Contains("2001:db9::"));
  EXPECT_FALSE(c.Contains("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(c.Contains("10.0.0.1"));

  const Cidr odd = P("2001:db8::/33");
  EXPECT_TRUE(odd.Contains("2001:db8:7fff::1"));
  EXPECT_FALSE(odd.Contains("2001:db8:8000::"));

  const Cidr loop = P("::1/128");
  EXPECT_TRUE(loop.Contains("::1"));
  EXPECT_TRUE(loop.Contains("0:0:0:0:0:0:0:1"));
  EXPECT_FALSE(loop.Contains("::2"));
  EXPECT_FALSE(loop.Contains("127.0.0.1"));

  const Cidr all = P("::/0");
  EXPECT_TRUE(all.Contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(all.Contains("::"));
}

TEST(CidrContains, Ipv4MappedClientMatchesIpv4Range) {
  const Cidr c = P("10.0.0.0/8");
  EXPECT_TRUE(c.Contains("::ffff:10.1.2.3"));
  EXPECT_TRUE(c.Contains("::FFFF:10.0.0.0"));
  EXPECT_FALSE(c.Contains("::ffff:11.0.0.1"));
  EXPECT_TRUE(P("127.0.0.0/8").Contains("::ffff:127.0.0.1"));
  // Not mapped: the IPv4-compatible form and the NAT64 prefix are IPv6 addresses.
  EXPECT_FALSE(c.Contains("64:ff9b::10.1.2.3"));
  // A v6 range never matches a mapped client: the client is treated as IPv4.
  EXPECT_FALSE(P("::/0").Contains("::ffff:10.1.2.3"));
}

TEST(CidrContains, GarbageAddressesNeverMatch) {
  const Cidr all4 = P("0.0.0.0/0");
  const Cidr all6 = P("::/0");
  for (std::string_view bad : {"", "garbage", "10.0.0.1/32", "10.0.0.1 ", "999.1.1.1", "unknown"}) {
    EXPECT_FALSE(all4.Contains(bad)) << bad;
    EXPECT_FALSE(all6.Contains(bad)) << bad;
  }
}

TEST(CidrContains, AnyContains) {
  const auto ranges = Ranges({"10.0.0.0/8", "2001:db8::/32"});
  EXPECT_TRUE(AnyContains(ranges, "10.9.9.9"));
  EXPECT_TRUE(AnyContains(ranges, "2001:db8::9"));
  EXPECT_FALSE(AnyContains(ranges, "192.0.2.1"));
  EXPECT_FALSE(AnyContains({}, "10.0.0.1"));
}

// ---------------------------------------------------------------------------------- ClientIp

TEST(ClientIp, NoTrustedProxiesMeansThePeer) {
  EXPECT_EQ(ClientIp("127.0.0.1", std::nullopt, {}), "127.0.0.1");
  EXPECT_EQ(ClientIp("127.0.0.1", "203.0.113.7", {}), "127.0.0.1");
}

TEST(ClientIp, UntrustedPeersForwardedForIsIgnored) {
  const auto trusted = Ranges({"10.0.0.0/8"});
  // An attacker connecting directly claims to be an allowed address: ignored.
  EXPECT_EQ(ClientIp("198.51.100.9", "203.0.113.7", trusted), "198.51.100.9");
  EXPECT_EQ(ClientIp("198.51.100.9", "10.0.0.5", trusted), "198.51.100.9");
  EXPECT_EQ(ClientIp("198.51.100.9", "203.0.113.7, 10.0.0.1", trusted), "198.51.100.9");
}

TEST(ClientIp, TrustedPeerSingleHop) {
  const auto trusted = Ranges({"10.0.0.0/8"});
  EXPECT_EQ(ClientIp("10.0.0.2", "203.0.113.7", trusted), "203.0.113.7");
  EXPECT_EQ(ClientIp("10.0.0.2", " 203.0.113.7 ", trusted), "203.0.113.7");
  EXPECT_EQ(ClientIp("10.0.0.2", std::nullopt, trusted), "10.0.0.2");
}

TEST(ClientIp, TrustedProxyChainGivesTheClient) {
  // client -> proxy1 (10.0.0.1) -> proxy2 (10.0.0.2, the peer); both proxies trusted.
  const auto trusted = Ranges({"10.0.0.1/32", "10.0.0.2/32"});
  EXPECT_EQ(ClientIp("10.0.0.2", "203.0.113.7, 10.0.0.1", trusted), "203.0.113.7");
  EXPECT_EQ(ClientIp("10.0.0.2", "203.0.113.7,10.0.0.1", trusted), "203.0.113.7");
  // The client may have sent its own (forged) X-Forwarded-For: the leftmost entries are the
  // client's claims; the rightmost untrusted entry is what our proxies saw.
  EXPECT_EQ(ClientIp("10.0.0.2", "10.0.0.99, 1.1.1.1, 203.0.113.7, 10.0.0.1", trusted),
            "203.0.113.7");
  // Only proxy1 trusted: the peer 10.0.0.2 is not trusted, so the header is ignored.
  EXPECT_EQ(ClientIp("10.0.0.2", "203.0.113.7, 10.0.0.1", Ranges({"10.0.0.1/32"})), "10.0.0.2");
}

TEST(ClientIp, Ipv6AndMappedPeers) {
  const auto trusted = Ranges({"::1/128", "127.0.0.1/32"});
  EXPECT_EQ(ClientIp("::1", "2001:db8::7", trusted), "2001:db8::7");
  EXPECT_EQ(ClientIp("::ffff:127.0.0.1", "203.0.113.7", trusted), "203.0.113.7");
  EXPECT_EQ(ClientIp("::2", "203.0.113.7", trusted), "::2");
}

TEST(ClientIp, GarbageEntriesStopAtTheLastGoodHop) {
  const auto trusted = Ranges({"10.0.0.0/8"});
  // The rightmost entry is garbage: nothing behind the peer can be believed.
  EXPECT_EQ(ClientIp("10.0.0.2", "garbage", trusted), "10.0.0.2");
  EXPECT_EQ(ClientIp("10.0.0.2", "203.0.113.7, garbage", trusted), "10.0.0.2");
  EXPECT_EQ(ClientIp("10.0.0.2", "203.0.113.7, 999.0.0.1", trusted), "10.0.0.2");
  EXPECT_EQ(ClientIp("10.0.0.2", "203.0.113.7, unknown", trusted), "10.0.0.2");
  // Garbage further left does not matter once an untrusted address is found.
  EXPECT_EQ(ClientIp("10.0.0.2", "garbage, 203.0.113.7", trusted), "203.0.113.7");
  // Garbage behind a trusted hop: the last good hop (a trusted proxy) is the answer, never the
  // garbage text.
  EXPECT_EQ(ClientIp("10.0.0.2", "garbage, 10.0.0.1", trusted), "10.0.0.1");
  EXPECT_EQ(ClientIp("10.0.0.2", "203.0.113.7/24", trusted), "10.0.0.2");
  EXPECT_EQ(ClientIp("10.0.0.2", "203.0.113.7:443", trusted), "10.0.0.2");
}

TEST(ClientIp, EmptyHeaderGivesThePeer) {
  const auto trusted = Ranges({"10.0.0.0/8"});
  EXPECT_EQ(ClientIp("10.0.0.2", "", trusted), "10.0.0.2");
  EXPECT_EQ(ClientIp("10.0.0.2", " ", trusted), "10.0.0.2");
  EXPECT_EQ(ClientIp("10.0.0.2", ",", trusted), "10.0.0.2");
  EXPECT_EQ(ClientIp("10.0.0.2", " , ", trusted), "10.0.0.2");
}

TEST(ClientIp, AllEntriesTrustedGivesTheLeftmost) {
  const auto trusted = Ranges({"10.0.0.0/8"});
  EXPECT_EQ(ClientIp("10.0.0.3", "10.0.0.1, 10.0.0.2", trusted), "10.0.0.1");
}

TEST(ClientIp, ResultIsAlwaysAnAddress) {
  const auto trusted = Ranges({"10.0.0.0/8"});
  for (std::string_view xff : {"<script>", "a,b,c", "1.2.3.4, <x>", "\"1.2.3.4\"", "::ffff:zz"}) {
    const std::string ip = ClientIp("10.0.0.2", xff, trusted);
    EXPECT_TRUE(P("0.0.0.0/0").Contains(ip) || P("::/0").Contains(ip)) << xff << " -> " << ip;
  }
}

}  // namespace
}  // namespace lp::auth
