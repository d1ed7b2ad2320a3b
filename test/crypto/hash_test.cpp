#include "lp/crypto/hash.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lp::crypto {
namespace {

std::string Repeat(char c, std::size_t n) { return std::string(n, c); }

// RFC 4231 "Identifiers and Test Vectors for HMAC-SHA-224, HMAC-SHA-256, HMAC-SHA-384, and
// HMAC-SHA-512", section 4 (test cases 1-7), HMAC-SHA-256 rows.
// https://www.rfc-editor.org/rfc/rfc4231#section-4
TEST(HmacSha256, MatchesRfc4231TestCases1To7) {
  struct Case {
    int number;
    std::string key, data, mac_hex;
  };
  std::string key4;
  for (int i = 1; i <= 25; ++i) {
    key4.push_back(static_cast<char>(i));  // 0x01..0x19
  }
  const Case cases[] = {
      {1, Repeat('\x0b', 20), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {2, "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {3, Repeat('\xaa', 20), Repeat('\xdd', 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {4, key4, Repeat('\xcd', 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // Test case 5 is truncated to 128 bits in the RFC.
      {5, Repeat('\x0c', 20), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
      {6, Repeat('\xaa', 131), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {7, Repeat('\xaa', 131),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.number);
    const std::string mac = HmacSha256(c.key, c.data);
    ASSERT_EQ(mac.size(), 32u);
    EXPECT_EQ(Hex(mac).substr(0, c.mac_hex.size()), c.mac_hex);
  }
}

// A context is kept per thread and reused while the key stays the same: alternating keys, the
// same key again, an empty key and data each still give the right MAC.
TEST(HmacSha256, RightAcrossKeyChangesAndRepeats) {
  const std::string k1(20, '\x0b'), k2 = "Jefe";
  const std::string d1 = "Hi There", d2 = "what do ya want for nothing?";
  const std::string m1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  const std::string m2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Hex(HmacSha256(k1, d1)), m1);
    EXPECT_EQ(Hex(HmacSha256(k1, d1)), m1);
    EXPECT_EQ(Hex(HmacSha256(k2, d2)), m2);
  }
  EXPECT_EQ(Hex(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(Hex(HmacSha256(k2, d2)), m2);
}

// FIPS 180-2 appendix B.1 and B.2 ("abc" and the 448-bit message), and the empty string.
TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Wipe, ClearsTheString) {
  std::string s = "a secret that is longer than the small buffer";
  Wipe(s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace lp::crypto
