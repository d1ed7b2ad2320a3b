#include "lp/net/outbound_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lp::net {
namespace {

OutboundPolicy Prod() { return OutboundPolicy{}; }
OutboundPolicy Dev() {
  OutboundPolicy p;
  p.dev_mode = true;
  return p;
}

AddressClass Classify(const std::string& text) {
  return ClassifyAddress(boost::asio::ip::make_address(text));
}

struct Row {
  const char* addr;
  AddressClass cls;
};

// Every refused range of the brief, with its edges, in v4, v6 and the mapped/embedded forms.
TEST(AddressClassification, CoversEveryRefusedRange) {
  const Row rows[] = {
      // IPv4
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.255.255.255", AddressClass::kUnspecified},
      {"10.0.0.0", AddressClass::kPrivate},
      {"10.255.255.255", AddressClass::kPrivate},
      {"100.64.0.0", AddressClass::kSharedCgnat},
      {"100.127.255.255", AddressClass::kSharedCgnat},
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.255.254", AddressClass::kLoopback},
      {"169.254.0.1", AddressClass::kLinkLocal},
      {"169.254.169.254", AddressClass::kMetadata},
      {"169.254.170.2", AddressClass::kMetadata},
      {"100.100.100.200", AddressClass::kMetadata},
      {"192.0.0.192", AddressClass::kMetadata},
      {"172.16.0.0", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"192.0.0.8", AddressClass::kReserved},
      {"192.0.2.1", AddressClass::kDocumentation},
      {"198.51.100.7", AddressClass::kDocumentation},
      {"203.0.113.9", AddressClass::kDocumentation},
      {"192.168.1.1", AddressClass::kPrivate},
      {"198.18.0.1", AddressClass::kReserved},
      {"198.19.255.255", AddressClass::kReserved},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.255", AddressClass::kMulticast},
      {"240.0.0.1", AddressClass::kReserved},
      {"255.255.255.254", AddressClass::kReserved},
      {"255.255.255.255", AddressClass::kBroadcast},
      // IPv6
      {"::", AddressClass::kUnspecified},
      {"::1", AddressClass::kLoopback},
      {"fc00::1", AddressClass::kPrivate},
      {"fdff:ffff::1", AddressClass::kPrivate},
      {"fd00:ec2::254", AddressClass::kMetadata},
      {"fd00:ec2::23", AddressClass::kMetadata},
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf::1", AddressClass::kLinkLocal},
      {"fec0::1", AddressClass::kPrivate},
      {"ff02::1", AddressClass::kMulticast},
      {"ff0e::1", AddressClass::kMulticast},
      {"2001:db8::1", AddressClass::kDocumentation},
      {"3fff::1", AddressClass::kDocumentation},
      {"2001::1", AddressClass::kReserved},      // Teredo
      {"2001:2::1", AddressClass::kReserved},    // benchmarking
      {"2001:10::1", AddressClass::kReserved},   // ORCHID
      {"::7f00:1", AddressClass::kReserved},     // IPv4-compatible (deprecated)
      {"100::1", AddressClass::kReserved},       // discard-only
      {"64:ff9b:1::1", AddressClass::kPrivate},  // local-use NAT64
      // IPv4-mapped: classified as the embedded IPv4
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:10.1.2.3", AddressClass::kPrivate},
      {"::ffff:169.254.169.254", AddressClass::kMetadata},
      {"::ffff:7f00:1", AddressClass::kLoopback},
      {"::ffff:0.0.0.0", AddressClass::kUnspecified},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      // NAT64 / 6to4: public only if the embedded IPv4 is
      {"64:ff9b::7f00:1", AddressClass::kReserved},
      {"64:ff9b::a00:1", AddressClass::kReserved},
      {"64:ff9b::a9fe:a9fe", AddressClass::kMetadata},
      {"64:ff9b::808:808", AddressClass::kPublic},
      {"2002:7f00:1::1", AddressClass::kReserved},
      {"2002:c0a8:101::1", AddressClass::kReserved},
      {"2002:808:808::1", AddressClass::kPublic},
      // Public neighbours of the refused ranges
      {"1.1.1.1", AddressClass::kPublic},
      {"8.8.8.8", AddressClass::kPublic},
      {"9.255.255.255", AddressClass::kPublic},
      {"11.0.0.0", AddressClass::kPublic},
      {"100.63.255.255", AddressClass::kPublic},
      {"100.128.0.0", AddressClass::kPublic},
      {"126.255.255.255", AddressClass::kPublic},
      {"128.0.0.0", AddressClass::kPublic},
      {"169.253.255.255", AddressClass::kPublic},
      {"169.255.0.0", AddressClass::kPublic},
      {"172.15.255.255", AddressClass::kPublic},
      {"172.32.0.0", AddressClass::kPublic},
      {"192.0.1.1", AddressClass::kPublic},
      {"192.167.255.255", AddressClass::kPublic},
      {"192.169.0.0", AddressClass::kPublic},
      {"198.17.255.255", AddressClass::kPublic},
      {"198.20.0.0", AddressClass::kPublic},
      {"223.255.255.255", AddressClass::kPublic},
      {"2606:4700:4700::1111", AddressClass::kPublic},
      {"2a00:1450:4001::1", AddressClass::kPublic},
      {"2001:db9::1", AddressClass::kPublic},
      {"2001:4860::8888", AddressClass::kPublic},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(ToString(Classify(row.addr)), ToString(row.cls)) << row.addr;
    const bool public_addr = row.cls == AddressClass::kPublic;
    EXPECT_EQ(IsForbiddenAddress(std::string_view(row.addr), Prod()), !public_addr) << row.addr;
  }
}

TEST(AddressPolicy, DevModeAllowsLoopbackOnly) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsForbiddenAddress(std::string_view(a), Prod())) << a;
    EXPECT_FALSE(IsForbiddenAddress(std::string_view(a), Dev())) << a;
  }
  for (const char* a :
       {"10.0.0.1", "192.168.0.1", "172.16.0.1", "169.254.169.254", "100.64.0.1", "fd00:ec2::254",
        "fe80::1", "fc00::1", "0.0.0.0", "::", "224.0.0.1", "64:ff9b::7f00:1", "::ffff:10.0.0.1"}) {
    EXPECT_TRUE(IsForbiddenAddress(std::string_view(a), Dev())) << a;
  }
}

TEST(AddressPolicy, OperatorAllowlistOpensOnlyItsRanges) {
  OutboundPolicy p;
  p.allowed_cidrs = {"10.1.2.0/24", "fd12:3456::/32", "192.168.7.7", "169.254.0.0/16"};
  ASSERT_TRUE(ValidateOutboundPolicy(p));
  EXPECT_FALSE(IsForbiddenAddress(std::string_view("10.1.2.200"), p));
  EXPECT_FALSE(IsForbiddenAddress(std::string_view("::ffff:10.1.2.200"), p));
  EXPECT_TRUE(IsForbiddenAddress(std::string_view("10.1.3.1"), p));
  EXPECT_FALSE(IsForbiddenAddress(std::string_view("fd12:3456:1::1"), p));
  EXPECT_TRUE(IsForbiddenAddress(std::string_view("fd12:3457::1"), p));
  EXPECT_FALSE(IsForbiddenAddress(std::string_view("192.168.7.7"), p));
  EXPECT_TRUE(IsForbiddenAddress(std::string_view("192.168.7.8"), p));
  EXPECT_FALSE(IsForbiddenAddress(std::string_view("169.254.1.1"), p));
  // A wide range never unlocks a metadata address; only the exact address does.
  EXPECT_TRUE(IsForbiddenAddress(std::string_view("169.254.169.254"), p));
  p.allowed_cidrs.push_back("169.254.169.254/32");
  EXPECT_FALSE(IsForbiddenAddress(std::string_view("169.254.169.254"), p));
  // The allowlist does not open loopback unless it names it.
  EXPECT_TRUE(IsForbiddenAddress(std::string_view("127.0.0.1"), p));
}

TEST(AddressPolicy, MalformedTextIsForbidden) {
  for (const char* a : {"", "localhost", "1.2.3", "0x7f000001", "2130706433", "fe80::1%eth0",
                        "1.2.3.4/32", "[::1]"}) {
    EXPECT_TRUE(IsForbiddenAddress(std::string_view(a), Dev())) << a;
  }
}

TEST(AddressPolicy, ValidationRejectsBadOrTooWideAllowlistEntries) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "ten", "10.0.0.0/8x", "0.0.0.0/0", "::/0",
                          "10.0.0.0/4", "fe80::1%eth0/64"}) {
    OutboundPolicy p;
    p.allowed_cidrs = {bad};
    auto r = ValidateOutboundPolicy(p);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "outbound_policy_invalid");
  }
  OutboundPolicy zero;
  zero.timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(ValidateOutboundPolicy(zero));
  EXPECT_TRUE(ValidateOutboundPolicy(OutboundPolicy{}));
}

// ---- URL parsing ----

TEST(WebhookUrl, ParsesHttpsUrls) {
  auto u = ParseWebhookUrl("https://Hooks.Example.COM/path/x?a=1&b=%20", Prod());
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/path/x?a=1&b=%20");
  EXPECT_FALSE(u->host_is_ip);
  EXPECT_EQ(u->HostHeader(), "hooks.example.com");

  auto p = ParseWebhookUrl("HTTPS://example.com:8443", Prod());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->port, 8443);
  EXPECT_EQ(p->target, "/");
  EXPECT_EQ(p->HostHeader(), "example.com:8443");

  auto q = ParseWebhookUrl("https://example.com.?x=1", Prod());
  ASSERT_TRUE(q);
  EXPECT_EQ(q->host, "example.com");
  EXPECT_EQ(q->target, "/?x=1");

  auto ip = ParseWebhookUrl("https://8.8.8.8/hook", Prod());
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->host_is_ip);

  auto v6 = ParseWebhookUrl("https://[2606:4700:4700::1111]:444/h", Prod());
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "2606:4700:4700::1111");
  EXPECT_EQ(v6->port, 444);
  EXPECT_EQ(v6->HostHeader(), "[2606:4700:4700::1111]:444");
}

TEST(WebhookUrl, HttpOnlyInDevMode) {
  auto r = ParseWebhookUrl("http://example.com/hook", Prod());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "url_forbidden");
  EXPECT_EQ(r.error().param, "url");
  auto d = ParseWebhookUrl("http://example.com/hook", Dev());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 80);
}

void ExpectRefused(std::string_view url, const OutboundPolicy& policy, std::string_view code) {
  auto r = ParseWebhookUrl(url, policy);
  ASSERT_FALSE(r) << url << " was accepted";
  EXPECT_EQ(r.error().code, code) << url << ": " << r.error().message;
  EXPECT_EQ(r.error().param, "url");
}

TEST(WebhookUrl, RefusesMalformedUrls) {
  for (std::string_view url : {"",
                               "example.com",
                               "ftp://example.com/",
                               "https:/example.com",
                               "https//example.com",
                               "https://",
                               "https:///path",
                               "https://:443/",
                               "https://exa mple.com/",
                               "https://example.com/a b",
                               "https://example.com/\x01",
                               "https://ex\xc3\xa4mple.com/",
                               "https://example.com\\@evil.com/",
                               "https://example.com/#frag",
                               "https://example.com:0/",
                               "https://example.com:65536/",
                               "https://example.com:/",
                               "https://example.com:44a/",
                               "https://example.com:-1/",
                               "https://-bad.example.com/",
                               "https://bad-.example.com/",
                               "https://a..b.com/",
                               "https://exa%6dple.com/",
                               "https://[::1/",
                               "https://[::1]x/",
                               "https://[fe80::1%25eth0]/",
                               "https://[1.2.3.4]/",
                               " https://example.com/",
                               "https://example.com/\"x\""}) {
    ExpectRefused(url, Dev(), "url_invalid");
  }
}

TEST(WebhookUrl, RefusesUserinfo) {
  ExpectRefused("https://user:pass@example.com/", Prod(), "url_invalid");
  ExpectRefused("https://user@example.com/", Prod(), "url_invalid");
  ExpectRefused("https://example.com@127.0.0.1/", Dev(), "url_invalid");
  ExpectRefused("https://@example.com/", Prod(), "url_invalid");
}

TEST(WebhookUrl, RefusesForbiddenIpLiterals) {
  for (std::string_view url : {"https://127.0.0.1/",
                               "https://127.0.0.1:8443/x",
                               "https://[::1]/",
                               "https://[::1]:443/",
                               "https://10.0.0.5/",
                               "https://192.168.1.1/",
                               "https://172.16.0.1/",
                               "https://100.64.0.1/",
                               "https://169.254.169.254/latest/meta-data",
                               "https://[fd00:ec2::254]/",
                               "https://[::ffff:127.0.0.1]/",
                               "https://[::ffff:7f00:1]/",
                               "https://[::ffff:a9fe:a9fe]/",
                               "https://[fe80::1]/",
                               "https://[fc00::1]/",
                               "https://0.0.0.0/",
                               "https://[::]/",
                               "https://224.0.0.1/",
                               "https://255.255.255.255/",
                               "https://[64:ff9b::7f00:1]/",
                               "https://localhost/",
                               "https://LOCALHOST:8443/",
                               "https://api.localhost/",
                               "https://localhost./"}) {
    ExpectRefused(url, Prod(), "url_forbidden");
  }
  // Dev mode: loopback only; private and metadata stay refused.
  EXPECT_TRUE(ParseWebhookUrl("http://127.0.0.1:8080/hook", Dev()));
  EXPECT_TRUE(ParseWebhookUrl("https://[::1]:8443/hook", Dev()));
  EXPECT_TRUE(ParseWebhookUrl("http://localhost:8080/hook", Dev()));
  for (std::string_view url : {"http://10.0.0.5/", "http://169.254.169.254/latest/meta-data",
                               "http://[fd00:ec2::254]/", "http://192.168.0.1/"}) {
    ExpectRefused(url, Dev(), "url_forbidden");
  }
}

TEST(WebhookUrl, NonCanonicalNumericHostsDoNotSneakThrough) {
  for (std::string_view url :
       {"http://2130706433/", "http://0x7f000001/", "http://0x7F000001/", "http://0177.0.0.1/",
        "http://0x7f.0.0.1/", "http://127.1/", "http://127.0.1/", "http://127.000.000.001/",
        "http://1.2.3.4.5/", "http://256.1.1.1/", "http://017700000001/", "http://0/", "http://0x/",
        "http://example.0x10/", "http://example.123/", "http://3232235777/", "http://01.02.03.04/",
        "http://127.0.0.1./"}) {
    auto dev = ParseWebhookUrl(url, Dev());
    auto prod = ParseWebhookUrl(url, Prod());
    ASSERT_FALSE(prod) << url;
    if (url == "http://127.0.0.1./") {
      // A trailing dot on a canonical address is still that address (loopback: dev only).
      ASSERT_TRUE(dev) << url;
      EXPECT_TRUE(dev->host_is_ip);
      continue;
    }
    ASSERT_FALSE(dev) << url;
    EXPECT_EQ(dev.error().code, "url_invalid") << url;
  }
  // Hex-looking labels that are not the last one are ordinary names.
  EXPECT_TRUE(ParseWebhookUrl("https://0x7f000001.example.com/", Prod()));
  EXPECT_TRUE(ParseWebhookUrl("https://123.example.com/", Prod()));
}

}  // namespace
}  // namespace lp::net
