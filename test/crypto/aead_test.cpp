#include "lp/crypto/aead.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

namespace lp::crypto {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    ADD_FAILURE() << "bad hex digit " << c;
    return 0;
  };
  EXPECT_EQ(hex.size() % 2, 0u);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// NIST CAVP "GCM Test Vectors" (gcmtestvectors.zip, CAVS 14.0), file gcmEncryptExtIV256.rsp,
// https://csrc.nist.gov/projects/cryptographic-algorithm-validation-program/cavp-testing-block-cipher-modes
// (SP 800-38D, AES-256, 96-bit IV, 128-bit tag). The values were taken from two independent
// transcriptions of that file: google/quiche quiche/quic/core/crypto/aes_256_gcm_encrypter_test.cc
// (the sections marked [q]) and a second project's kat_test.cpp ([k]); the first vector of
// [PTlen = 0][AADlen = 0] and of [PTlen = 128][AADlen = 0] appear in both and agree.
struct GcmVector {
  std::string_view section;
  std::string_view key, iv, pt, aad, ct, tag;
};

constexpr GcmVector kCavp[] = {
    {"[PTlen=0][AADlen=0] Count=0 [q][k]",
     "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4", "516c33929df5a3284ff463d7",
     "", "", "", "bdc1ac884d332457a1d2664f168c76f0"},
    {"[PTlen=0][AADlen=0] Count=1 [q]",
     "5fe0861cdc2690ce69b3658c7f26f8458eec1c9243c5ba0845305d897e96ca0f", "770ac1a5a3d476d5d96944a1",
     "", "", "", "196d691e1047093ca4b3d2ef4baba216"},
    {"[PTlen=0][AADlen=128] [q]",
     "78dc4e0aaf52d935c3c01eea57428f00ca1fd475f5da86a49c8dd73d68c8e223", "d79cf22d504cc793c3fb6c8a",
     "", "b96baa8c1c75a671bfb2d08d06be5f36", "", "3e5d486aa2e30b22e040b85723a06e76"},
    {"[PTlen=0][AADlen=128] [q]",
     "4457ff33683cca6ca493878bdc00373893a9763412eef8cddb54f91318e0da88", "699d1f29d7b8c55300bb1fd2",
     "", "6749daeea367d0e9809e2dc2f309e6e3", "", "d60c74d2517fde4a74e0cd4709ed43a9"},
    {"[PTlen=128][AADlen=0] Count=0 [q][k]",
     "31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22", "0d18e06c7c725ac9e362e1ce",
     "2db5168e932556f8089a0622981d017d", "", "fa4362189661d163fcd6a56d8bf0405a",
     "d636ac1bbedd5cc3ee727dc2ab4a9489"},
    {"[PTlen=128][AADlen=0] [q]",
     "460fc864972261c2560e1eb88761ff1c992b982497bd2ac36c04071cbb8e5d99", "8a4a16b9e210eb68bcb6f58d",
     "99e4e926ffe927f691893fb79a96b067", "", "133fc15751621b5f325c7ff71ce08324",
     "ec4e87e0cf74a13618d0b68636ba9fa7"},
    {"[PTlen=128][AADlen=128] Count=0 [k]",
     "92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b", "ac93a1a6145299bde902f21a",
     "2d71bcfa914e4ac045b2aa60955fad24", "1e0889016f67601c8ebea4943bc23ad6",
     "8995ae2e6df3dbf96fac7b7137bae67f", "eca5aa77d51d4a0a14d9c51e1da474ab"},
    {"[PTlen=104][AADlen=0] [q]",
     "82c4f12eeec3b2d3d157b0f992d292b237478d2cecc1d5f161389b97f999057a", "7b40b20f5f397177990ef2d1",
     "982a296ee1cd7086afad976945", "", "ec8e05a0471d6b43a59ca5335f",
     "113ddeafc62373cac2f5951bb9165249"},
    {"[PTlen=104][AADlen=160] Count=1 [k]",
     "97431e565e8370a4879de962746a2fd67eca868b1c8e51eece2c1f94f74af407", "17fb63066e2726d282ecc610",
     "e21629cc973fbe40176e621d9d", "78e7374da7c77be5938de8dd76cf0308618306a9",
     "80dbd469de480389ba6c2fca52", "4e284abb8b4f9f13c7497ae56df05fa5"},
    {"[PTlen=408][AADlen=160] [q]",
     "24501ad384e473963d476edcfe08205237acfd49b5b8f33857f8114e863fec7f", "9ff18563b978ec281b3f2794",
     "27f348f9cdc0c5bd5e66b1ccb63ad920ff2219d14e8d631b3872265cf117ee86757accb158bd9abb3868fdc0d0b0"
     "74b5f01b2c",
     "adb5ec720ccf9898500028bf34afccbcaca126ef",
     "eb7cb754c824e8d96f7c6d9b76c7d26fb874ffbf1d65c6f64a698d839b0b06145dae82057ad55994cf59ad7f67c0"
     "fa5e85fab8",
     "bc95c532fecc594c36d1550286a7a3f0"},
    {"[PTlen=408][AADlen=720] Count=2 [k]",
     "c277df045d0a1a3956958f271055c229d2634427b1d73e99d54920da69f72e01", "79e24f84bc77a21a6cb14ee2",
     "5ca68d858cc30b1cb0514c4e9de98e1a1a835df401f69e9ec6f1bcb1158f09114dff551683b3827457f77e17a709"
     "7b1ea69eac",
     "ca09282238d492029afbd30ea9b4aa9d448d77b4b41a791c35ebe3f8e5034ac71210117a843fae647cea020712c2"
     "7e5c8f85acf933d5e28430c7770862d8dbb197cbbcfe49dd63f6aa05fbd13e32c459342698dfee5935c7c321",
     "5c5223c8eda59a8dc28b08e6c21482a46e5d84d32c7050bf144fc57f4e8094de133198da7b4b8398b167204aff83"
     "7da15d9ab2",
     "378885950a4491bee3cd681d3c957b9a"},
};

TEST(Aes256Gcm, MatchesNistCavpEncryptVectors) {
  for (const auto& v : kCavp) {
    SCOPED_TRACE(v.section);
    auto out = Aes256GcmEncrypt(FromHex(v.key), FromHex(v.iv), FromHex(v.pt), FromHex(v.aad));
    ASSERT_TRUE(out) << out.error().detail;
    EXPECT_EQ(ToHex(*out), std::string(v.ct) + std::string(v.tag));
  }
}

TEST(Aes256Gcm, DecryptsNistCavpVectors) {
  for (const auto& v : kCavp) {
    SCOPED_TRACE(v.section);
    const std::string ct = FromHex(v.ct) + FromHex(v.tag);
    auto out = Aes256GcmDecrypt(FromHex(v.key), FromHex(v.iv), ct, FromHex(v.aad));
    ASSERT_TRUE(out) << out.error().detail;
    EXPECT_EQ(ToHex(out->view()), v.pt);
  }
}

TEST(Aes256Gcm, ExhaustiveOneBitChangesFailAuthentication) {
  // Every bit of ciphertext, tag, nonce and AAD, for a vector with all four non-empty.
  const GcmVector& v = kCavp[8];
  const std::string key = FromHex(v.key), iv = FromHex(v.iv), aad = FromHex(v.aad);
  const std::string ct = FromHex(v.ct) + FromHex(v.tag);
  ASSERT_TRUE(Aes256GcmDecrypt(key, iv, ct, aad));
  const auto expect_fails = [](const Result<SecureBytes>& r) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "aead_authentication_failed");
    EXPECT_EQ(r.error().message, "authentication failed");
  };
  for (std::size_t i = 0; i < ct.size() * 8; ++i) {
    std::string bad = ct;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    expect_fails(Aes256GcmDecrypt(key, iv, bad, aad));
  }
  for (std::size_t i = 0; i < iv.size() * 8; ++i) {
    std::string bad = iv;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    expect_fails(Aes256GcmDecrypt(key, bad, ct, aad));
  }
  for (std::size_t i = 0; i < aad.size() * 8; ++i) {
    std::string bad = aad;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    expect_fails(Aes256GcmDecrypt(key, iv, ct, bad));
  }
  std::string other_key = key;
  other_key[0] ^= 1;
  expect_fails(Aes256GcmDecrypt(other_key, iv, ct, aad));
  expect_fails(Aes256GcmDecrypt(key, iv, ct, aad + "x"));
  expect_fails(Aes256GcmDecrypt(key, iv, ct.substr(1), aad));
}

TEST(Aes256Gcm, RejectsWrongSizesWithoutOutput) {
  const std::string key(32, 'k'), iv(12, 'n');
  EXPECT_EQ(Aes256GcmEncrypt(std::string(16, 'k'), iv, "x", "").error().code,
            "aead_invalid_argument");
  EXPECT_EQ(Aes256GcmEncrypt(key, std::string(16, 'n'), "x", "").error().code,
            "aead_invalid_argument");
  EXPECT_EQ(Aes256GcmDecrypt(key, iv, std::string(15, 't'), "").error().code,
            "aead_invalid_argument");
  EXPECT_EQ(Aes256GcmOpen(key, std::string(27, 's'), "").error().code, "aead_invalid_argument");
  EXPECT_EQ(Aes256GcmSeal(std::string(31, 'k'), "x", "").error().code, "aead_invalid_argument");
}

TEST(Aes256Gcm, SealDrawsAFreshNonceAndOpens) {
  const std::string key(32, '\x42');
  std::set<std::string> nonces;
  for (int i = 0; i < 1000; ++i) {
    auto sealed = Aes256GcmSeal(key, "attack at dawn", "row:1");
    ASSERT_TRUE(sealed);
    ASSERT_EQ(sealed->size(), 12u + 14u + 16u);
    EXPECT_TRUE(nonces.insert(sealed->substr(0, 12)).second);
    auto opened = Aes256GcmOpen(key, *sealed, "row:1");
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->view(), "attack at dawn");
    EXPECT_FALSE(Aes256GcmOpen(key, *sealed, "row:2"));
  }
}

TEST(Aes256Gcm, RoundTripsEmptyAndLargeInputs) {
  const std::string key(32, '\x01');
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16},
                        std::size_t{17}, std::size_t{3} << 20}) {
    const std::string pt(n, 'p');
    auto sealed = Aes256GcmSeal(key, pt, std::string(n % 100, 'a'));
    ASSERT_TRUE(sealed);
    auto opened = Aes256GcmOpen(key, *sealed, std::string(n % 100, 'a'));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->view(), pt);
  }
}

}  // namespace
}  // namespace lp::crypto
