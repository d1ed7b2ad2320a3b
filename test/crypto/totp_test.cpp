// TOTP (liboath) against RFC 6238 Appendix B and RFC 4226 Appendix D, the ±window search, and
// RFC 4648 base32.
#include "lp/crypto/totp.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lp::crypto {
namespace {

// RFC 6238 Appendix B (as in shared/security/CHECKLIST.md): 8 digits, X = 30 s, T0 = 0; the seed
// of each algorithm is ASCII "1234567890" repeated to 20, 32 and 64 bytes.
TEST(Totp, MatchesAllEighteenRfc6238AppendixBVectors) {
  const std::string sha1_seed = "12345678901234567890";
  const std::string sha256_seed = "12345678901234567890123456789012";
  const std::string sha512_seed =
      "1234567890123456789012345678901234567890123456789012345678901234";
  struct Row {
    int64_t time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  };
  const Row rows[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  int checked = 0;
  for (const auto& row : rows) {
    const struct {
      TotpAlgorithm alg;
      const std::string& seed;
      const char* want;
    } cases[] = {{TotpAlgorithm::kSha1, sha1_seed, row.sha1},
                 {TotpAlgorithm::kSha256, sha256_seed, row.sha256},
                 {TotpAlgorithm::kSha512, sha512_seed, row.sha512}};
    for (const auto& c : cases) {
      auto code = TotpCode(c.seed, row.time, TotpParams{c.alg, 8, 30});
      ASSERT_TRUE(code) << code.error().detail;
      EXPECT_EQ(*code, c.want) << "time " << row.time << " algorithm " << static_cast<int>(c.alg);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 18);
}

// RFC 4226 Appendix D: HOTP values for counters 0..9 (6 digits): a TOTP step is the counter.
TEST(Totp, StepCodesMatchRfc4226AppendixDHotpValues) {
  const std::string seed = "12345678901234567890";
  const char* want[] = {"755224", "287082", "359152", "969429", "338314",
                        "254676", "287922", "162583", "399871", "520489"};
  for (int counter = 0; counter < 10; ++counter) {
    auto code = TotpCodeAtStep(seed, counter);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, want[counter]) << "counter " << counter;
  }
}

TEST(Totp, MatchStepAcceptsOneStepOfDriftEachWayAndRefusesTwo) {
  const std::string seed = "12345678901234567890";
  const int64_t now = 1'700'000'015;  // inside step 56666667
  const int64_t step = TotpStep(now);
  for (int64_t d = -2; d <= 2; ++d) {
    auto code = TotpCodeAtStep(seed, step + d);
    ASSERT_TRUE(code);
    auto m = TotpMatchStep(seed, *code, now, 1);
    if (d >= -1 && d <= 1) {
      ASSERT_TRUE(m.has_value()) << "drift " << d;
      EXPECT_EQ(*m, step + d);
    } else {
      EXPECT_FALSE(m.has_value()) << "drift " << d;
    }
  }
}

TEST(Totp, MatchStepRefusesMalformedCodes) {
  const std::string seed = "12345678901234567890";
  const int64_t now = 1'700'000'015;
  auto code = TotpCode(seed, now);
  ASSERT_TRUE(code);
  EXPECT_TRUE(TotpMatchStep(seed, *code, now, 1));
  EXPECT_FALSE(TotpMatchStep(seed, "", now, 1));
  EXPECT_FALSE(TotpMatchStep(seed, code->substr(0, 5), now, 1));
  EXPECT_FALSE(TotpMatchStep(seed, *code + "0", now, 1));
  EXPECT_FALSE(TotpMatchStep(seed, "12345a", now, 1));
  EXPECT_FALSE(TotpMatchStep(seed, " " + code->substr(1), now, 1));
}

TEST(Totp, StepIsTheFloorOfTimeOverThirtySeconds) {
  EXPECT_EQ(TotpStep(0), 0);
  EXPECT_EQ(TotpStep(29), 0);
  EXPECT_EQ(TotpStep(30), 1);
  EXPECT_EQ(TotpStep(59), 1);
  EXPECT_EQ(TotpStep(1111111109), 37037036);
}

// RFC 4648 §10 vectors, without the padding otpauth:// URIs leave out.
TEST(Base32, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(Base32Encode("fo"), "MZXQ");
  EXPECT_EQ(Base32Encode("foo"), "MZXW6");
  EXPECT_EQ(Base32Encode("foob"), "MZXW6YQ");
  EXPECT_EQ(Base32Encode("fooba"), "MZXW6YTB");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
  // A 160-bit secret is exactly 32 characters.
  EXPECT_EQ(Base32Encode(std::string(20, '\xff')).size(), 32u);
}

}  // namespace
}  // namespace lp::crypto
