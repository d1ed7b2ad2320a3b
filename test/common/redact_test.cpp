#include "lp/common/redact.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lp {
namespace {

TEST(Redact, MasksApiKeysKeepingThePrefix) {
  EXPECT_EQ(Redact("sk_test_51HxYz0AbCdEf"), "sk_test_***");
  EXPECT_EQ(Redact("sk_live_51HxYz0AbCdEf"), "sk_live_***");
  EXPECT_EQ(Redact("rk_test_4eC39HqLyjWDarjtT1zdp7dc"), "rk_test_***");
  EXPECT_EQ(Redact("rk_live_4eC39HqLyjWDarjtT1zdp7dc"), "rk_live_***");
  EXPECT_EQ(Redact("pk_test_TYooMQauvdEDq54NiTphI7jx"), "pk_test_***");
  EXPECT_EQ(Redact("pk_live_TYooMQauvdEDq54NiTphI7jx"), "pk_live_***");
}

TEST(Redact, MasksWebhookSecretsIncludingBase64Characters) {
  EXPECT_EQ(Redact("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "whsec_***");
  EXPECT_EQ(Redact("whsec_a+b/c=="), "whsec_***");
  EXPECT_EQ(Redact("secret=whsec_a+b/c==;next"), "secret=whsec_***;next");
}

TEST(Redact, MasksKeysInsideSurroundingText) {
  EXPECT_EQ(Redact("Authorization: Bearer sk_live_abc123, retry"),
            "Authorization: Bearer sk_live_***, retry");
  EXPECT_EQ(Redact(R"({"api_key":"sk_test_abc","other":"rk_live_xyz"})"),
            R"({"api_key":"sk_test_***","other":"rk_live_***"})");
  EXPECT_EQ(Redact("a sk_test_1 b sk_test_2 c"), "a sk_test_*** b sk_test_*** c");
  // The token ends at the first character that cannot be part of a key.
  EXPECT_EQ(Redact("sk_test_abc-def"), "sk_test_***-def");
  EXPECT_EQ(Redact("(sk_test_abc)"), "(sk_test_***)");
}

TEST(Redact, LeavesBarePrefixesAlone) {
  EXPECT_EQ(Redact("sk_test_"), "sk_test_");
  EXPECT_EQ(Redact("keys look like sk_live_ followed by characters"),
            "keys look like sk_live_ followed by characters");
  EXPECT_EQ(Redact("whsec_ "), "whsec_ ");
}

TEST(Redact, MasksCardNumbers) {
  EXPECT_EQ(Redact("4242424242424242"), "[REDACTED_PAN]");
  EXPECT_EQ(Redact("card 4111 1111 1111 1111 declined"), "card [REDACTED_PAN] declined");
  EXPECT_EQ(Redact("5555-5555-5555-4444"), "[REDACTED_PAN]");
  EXPECT_EQ(Redact("amex 378282246310005."), "amex [REDACTED_PAN].");
  EXPECT_EQ(Redact("a 4242424242424242 b 5555555555554444 c"),
            "a [REDACTED_PAN] b [REDACTED_PAN] c");
  EXPECT_EQ(Redact("4242 4242 4242 4242 12/34"), "[REDACTED_PAN] 12/34");
}

TEST(Redact, MasksKeysAndCardNumbersTogether) {
  EXPECT_EQ(Redact("key=sk_live_Zz9 card=4242424242424242"), "key=sk_live_*** card=[REDACTED_PAN]");
  // Digits inside a key go with the key, not the PAN mask.
  EXPECT_EQ(Redact("sk_test_4242424242424242"), "sk_test_***");
}

TEST(Redact, LeavesOrdinaryTextUntouched) {
  for (std::string_view text : {
           "",
           "payment pay_01HV2XQ8Z5K8F4W6T3N9B7C2D1 succeeded",
           "amount=1099 currency=USD",
           "2024-01-31T12:34:56.789012Z",
           "request_id=req_9f8e7d6c5b4a",
           "4242424242424241",                     // not Luhn-valid
           "card ending 4242",                     // last 4 only
           "tok_visa pm_card_visa",                // PSP tokens are not secrets
           "ask_test_ not a key; risk_level=low",  // prefixes without key characters
           "550e8400-e29b-41d4-a716-446655440000",
           "{\"nested\":{\"k\":[1,2,3]},\"s\":\"\\u00e9\"}",
           "caf\xc3\xa9 \xe2\x82\xac",
       }) {
    EXPECT_EQ(Redact(text), text);
  }
}

TEST(Redact, IsIdempotent) {
  const std::string once = Redact("sk_live_abc 4242424242424242 whsec_x+y=");
  EXPECT_EQ(Redact(once), once);
  EXPECT_EQ(once.find("abc"), std::string::npos);
  EXPECT_EQ(once.find("4242"), std::string::npos);
}

}  // namespace
}  // namespace lp
