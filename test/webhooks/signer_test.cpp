#include "lp/webhooks/signer.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "lp/crypto/hash.hpp"

namespace lp::webhooks {
namespace {

// Standard Webhooks official vector (test_sign_function / TestWebhookSign in the reference
// libraries), as copied in security/STANDARDS.md Appendix B.
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kMsgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTs = 1614265330;
constexpr std::string_view kPayload = R"({"test": 2432232314})";
constexpr std::string_view kExpected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
// Derived vectors from Appendix B (computed there, not published by Standard Webhooks).
constexpr std::string_view kSecret2 = "whsec_bGlhc29ucGF5LXRlc3Qtcm90YXRpb24tc2VjcmV0LTI=";
constexpr std::string_view kExpected2 = "v1,T+5zkieMUrk/Dpuve8gTPOYcUrgH86xby8K1JtSt2lo=";
constexpr std::string_view kTamperedPayload = R"({"test": 2432232315})";
constexpr std::string_view kExpectedTampered = "v1,TW/pFPJ2/LwRQdgfM7WklE9yJiRyMs0cTpVPK8leNAU=";

SignedHeaders Headers(std::string_view sig, std::string_view id = kMsgId,
                      std::string_view ts = "1614265330") {
  return SignedHeaders{id, ts, sig};
}

std::vector<std::string> One(std::string_view s) { return {std::string(s)}; }

TEST(WebhookSign, MatchesTheOfficialStandardWebhooksVector) {
  auto sig = Sign(kSecret, kMsgId, kTs, kPayload);
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_EQ(*sig, kExpected);
}

TEST(WebhookSign, SecretWithoutPrefixGivesTheSameSignature) {
  auto sig = Sign(kSecret.substr(6), kMsgId, kTs, kPayload);
  ASSERT_TRUE(sig);
  EXPECT_EQ(*sig, kExpected);
}

TEST(WebhookSign, MatchesTheDerivedRotationAndTamperVectors) {
  auto second = Sign(kSecret2, kMsgId, kTs, kPayload);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, kExpected2);
  auto tampered = Sign(kSecret, kMsgId, kTs, kTamperedPayload);
  ASSERT_TRUE(tampered);
  EXPECT_EQ(*tampered, kExpectedTampered);
}

TEST(WebhookSign, RotationHeaderCarriesOneSignaturePerSecretInOrder) {
  const std::string header =
      SignatureHeader({std::string(kSecret2), std::string(kSecret)}, kMsgId, kTs, kPayload);
  EXPECT_EQ(header, std::string(kExpected2) + " " + std::string(kExpected));
  // The exact rotation header from Appendix B verifies under either secret.
  for (auto secret : {kSecret, kSecret2}) {
    EXPECT_TRUE(Verify(One(secret), Headers(header), kPayload, kTs)) << secret;
  }
}

TEST(WebhookSign, HeaderSkipsUnusableSecretsAndIsEmptyWhenNoneIsUsable) {
  EXPECT_EQ(SignatureHeader({"whsec_", std::string(kSecret)}, kMsgId, kTs, kPayload), kExpected);
  EXPECT_EQ(SignatureHeader({"whsec_", "not base64!"}, kMsgId, kTs, kPayload), "");
  EXPECT_EQ(SignatureHeader({}, kMsgId, kTs, kPayload), "");
}

TEST(WebhookSign, RefusesMalformedSecretsAndIds) {
  for (std::string_view bad : {"", "whsec_", "whsec_!!!!", "whsec_abc*", "whsec_A", "whsec_AB=C",
                               "whsec_ABC===", "whsec_ABCD EFGH"}) {
    auto sig = Sign(bad, kMsgId, kTs, kPayload);
    ASSERT_FALSE(sig) << bad;
    EXPECT_EQ(sig.error().code, "webhook_secret_invalid") << bad;
  }
  auto dotted = Sign(kSecret, "msg_1.2", kTs, kPayload);
  ASSERT_FALSE(dotted);
  EXPECT_EQ(dotted.error().code, "webhook_id_invalid");
  EXPECT_FALSE(Sign(kSecret, "", kTs, kPayload));
  EXPECT_FALSE(Sign(kSecret, kMsgId, -1, kPayload));
}

TEST(WebhookSign, AcceptsUnpaddedBase64SecretsLikeTheReferenceLibraries) {
  for (std::string_view s :
       {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"}) {
    auto sig = Sign(s, kMsgId, kTs, kPayload);
    ASSERT_TRUE(sig) << s;
    EXPECT_TRUE(Verify(One(s), Headers(*sig), kPayload, kTs)) << s;
  }
}

TEST(WebhookVerify, AcceptsTheOfficialVector) {
  EXPECT_TRUE(Verify(One(kSecret), Headers(kExpected), kPayload, kTs));
}

TEST(WebhookVerify, RejectsTheOfficialVectorWithItsLastCharacterChanged) {
  auto r = Verify(One(kSecret), Headers("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
                  kPayload, kTs);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "webhook_signature_invalid");
}

TEST(WebhookVerify, AnyValidV1AmongSeveralPassesAndOtherVersionsAreIgnored) {
  const std::string junk = "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  const std::string header =
      "v1," + junk + " v2," + junk + " " + std::string(kExpected) + " v1," + junk;
  EXPECT_TRUE(Verify(One(kSecret), Headers(header), kPayload, kTs));
  // The right signature under a version other than v1 does not count.
  const std::string as_v2 = "v2," + std::string(kExpected.substr(3));
  EXPECT_FALSE(Verify(One(kSecret), Headers(as_v2), kPayload, kTs));
  EXPECT_FALSE(
      Verify(One(kSecret), Headers("v1a," + std::string(kExpected.substr(3))), kPayload, kTs));
  // A bare signature without the "v1," prefix does not count either.
  EXPECT_FALSE(Verify(One(kSecret), Headers(kExpected.substr(3)), kPayload, kTs));
}

TEST(WebhookVerify, TamperedBodyIdOrTimestampFails) {
  auto body = Verify(One(kSecret), Headers(kExpected), kTamperedPayload, kTs);
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, "webhook_signature_invalid");
  EXPECT_FALSE(Verify(One(kSecret), Headers(kExpected), std::string(kPayload) + " ", kTs));
  EXPECT_FALSE(
      Verify(One(kSecret), Headers(kExpected, "msg_p5jXN8AQM9LWM0D4loKWxJeK"), kPayload, kTs));
  EXPECT_FALSE(Verify(One(kSecret), Headers(kExpected, kMsgId, "1614265331"), kPayload, kTs));
  // The tampered-payload vector verifies only its own body.
  EXPECT_TRUE(Verify(One(kSecret), Headers(kExpectedTampered), kTamperedPayload, kTs));
  EXPECT_FALSE(Verify(One(kSecret), Headers(kExpectedTampered), kPayload, kTs));
}

TEST(WebhookVerify, WrongSecretFails) {
  EXPECT_FALSE(Verify(One(kSecret2), Headers(kExpected), kPayload, kTs));
}

TEST(WebhookVerify, TimestampToleranceIsFiveMinutesBothWays) {
  EXPECT_TRUE(Verify(One(kSecret), Headers(kExpected), kPayload, kTs + 300));
  EXPECT_TRUE(Verify(One(kSecret), Headers(kExpected), kPayload, kTs - 300));
  auto old = Verify(One(kSecret), Headers(kExpected), kPayload, kTs + 301);
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, "webhook_timestamp_too_old");
  auto future = Verify(One(kSecret), Headers(kExpected), kPayload, kTs - 301);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().code, "webhook_timestamp_too_new");
  // A custom tolerance.
  EXPECT_TRUE(Verify(One(kSecret), Headers(kExpected), kPayload, kTs + 10, 10));
  EXPECT_FALSE(Verify(One(kSecret), Headers(kExpected), kPayload, kTs + 11, 10));
}

TEST(WebhookVerify, MissingOrMalformedHeadersFailClearly) {
  auto no_id = Verify(One(kSecret), Headers(kExpected, ""), kPayload, kTs);
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.error().code, "webhook_header_missing");
  EXPECT_EQ(no_id.error().param, "webhook-id");
  auto no_ts = Verify(One(kSecret), Headers(kExpected, kMsgId, ""), kPayload, kTs);
  ASSERT_FALSE(no_ts);
  EXPECT_EQ(no_ts.error().param, "webhook-timestamp");
  auto no_sig = Verify(One(kSecret), Headers(""), kPayload, kTs);
  ASSERT_FALSE(no_sig);
  EXPECT_EQ(no_sig.error().param, "webhook-signature");
  for (std::string_view ts : {"hello", "-1614265330", "+1614265330", " 1614265330", "1614265330 ",
                              "1614265330.0", "99999999999999999999999"}) {
    auto r = Verify(One(kSecret), Headers(kExpected, kMsgId, ts), kPayload, kTs);
    ASSERT_FALSE(r) << ts;
    EXPECT_EQ(r.error().code, "webhook_timestamp_invalid") << ts;
  }
  auto dotted = Verify(One(kSecret), Headers(kExpected, "msg.1"), kPayload, kTs);
  ASSERT_FALSE(dotted);
  EXPECT_EQ(dotted.error().code, "webhook_id_invalid");
}

TEST(WebhookVerify, FailsClosedWithoutOrWithMalformedSecrets) {
  auto none = Verify({}, Headers(kExpected), kPayload, kTs);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "webhook_secret_invalid");
  for (std::string_view bad : {"", "whsec_"}) {
    auto r = Verify(One(bad), Headers(kExpected), kPayload, kTs);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "webhook_secret_invalid");
  }
}

TEST(WebhookVerify, ExtraSpacesBetweenSignaturesAreTolerated) {
  const std::string header = "  v1,AAAA   " + std::string(kExpected) + "  ";
  EXPECT_TRUE(Verify(One(kSecret), Headers(header), kPayload, kTs));
}

TEST(WebhookSecret, IsPrefixedBase64Of24RandomBytesAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string s = GenerateSecret();
    ASSERT_TRUE(s.starts_with("whsec_")) << s;
    std::string raw;
    ASSERT_TRUE(crypto::Base64Decode(s.substr(6), raw)) << s;
    EXPECT_EQ(raw.size(), 24u);
    seen.insert(s);
    // Round trip through Sign/Verify.
    auto sig = Sign(s, "msg_1", 1700000000, "{}");
    ASSERT_TRUE(sig);
    EXPECT_TRUE(Verify({s}, SignedHeaders{"msg_1", "1700000000", *sig}, "{}", 1700000000));
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace lp::webhooks
