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

// The redactor masks what the detector finds (PRODUCT.md §6): any single separator, a pair of
// spaces, fullwidth and other Unicode digits; the bytes around the number are kept as they were.
TEST(Redact, MasksCardNumbersInEveryFormTheDetectorKnows) {
  for (std::string_view pan : {
           "4111\xc2\xa0"
           "1111\xc2\xa0"
           "1111\xc2\xa0"
           "1111",  // NBSP
           "4242\xe2\x80\x93"
           "4242\xe2\x80\x93"
           "4242\xe2\x80\x93"
           "4242",  // en dash
           "4242\xe2\x80\x8b"
           "4242\xe2\x80\x8b"
           "4242\xe2\x80\x8b"
           "4242",  // zero-width space
           "5555.5555.5555.4444",
           "5555/5555/5555/4444",
           "5555_5555_5555_4444",
           "5555\t5555\t5555\t4444",
           "4242  4242  4242  4242",
           // Fullwidth digits.
           "\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92"
           "\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92"
           "\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92",
           // Arabic-Indic digits.
           "\xd9\xa4\xd9\xa2\xd9\xa4\xd9\xa2 \xd9\xa4\xd9\xa2\xd9\xa4\xd9\xa2 "
           "\xd9\xa4\xd9\xa2\xd9\xa4\xd9\xa2 \xd9\xa4\xd9\xa2\xd9\xa4\xd9\xa2",
       }) {
    const std::string line = "caf\xc3\xa9 \xe2\x82\xac " + std::string(pan) + " \xe2\x80\x94 ok";
    EXPECT_EQ(Redact(line), "caf\xc3\xa9 \xe2\x82\xac [REDACTED_PAN] \xe2\x80\x94 ok") << pan;
    EXPECT_EQ(Redact(Redact(line)), Redact(line));
  }
}

TEST(Redact, MasksEveryCardNumberOfALongLine) {
  std::string line;
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    line += i % 2 == 0 ? "4242 4242 4242 4242, "
                       : "\xef\xbc\x95\xef\xbc\x95"
                         "55555555554444; ";
    expected += i % 2 == 0 ? "[REDACTED_PAN], " : "[REDACTED_PAN]; ";
  }
  const std::string redacted = Redact(line);
  EXPECT_TRUE(redacted == expected) << redacted.substr(0, 200);
}

TEST(Redact, MasksTwoNumbersSharingOneCharacter) {
  // "½" is "1⁄2" after NFKC: the end of one Luhn-valid number and the start of the next.
  const std::string text =
      "x 400000000000005\xc2\xbd"
      "000000000000006 y";
  EXPECT_EQ(Redact(text), "x [REDACTED_PAN][REDACTED_PAN] y");
}

TEST(Redact, LeavesLookAlikesUntouched) {
  for (std::string_view text : {
           "+44 20 7946 0958",
           "2026-12-05T08:22:51+00:00",
           "DE89 3704 0044 0532 0130 00",
           "order 4242.4242.4242.4241",
           "\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92 \xef\xbc\x94\xef\xbc\x92",
       }) {
    EXPECT_EQ(Redact(text), text);
  }
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
