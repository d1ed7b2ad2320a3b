#include "lp/common/redact.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
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
  // A header's value runs to the end of the line: the scheme and the key's prefix stay.
  EXPECT_EQ(Redact("Authorization: Bearer sk_live_abc123, retry"),
            "Authorization: Bearer sk_live_***");
  EXPECT_EQ(Redact("Bearer sk_live_abc123, retry"), "Bearer sk_live_***, retry");
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

// The corpus of secrets LiasonPay handles besides API keys and card numbers (issue 16). Each
// line is what could reach a log: the secret's bytes must be gone, the text around it kept.
struct Case {
  std::string_view in;
  std::string_view out;
};

void ExpectRedacted(const Case& c) {
  const std::string once = Redact(c.in);
  EXPECT_EQ(once, c.out) << c.in;
  EXPECT_EQ(Redact(once), once) << c.in;
  EXPECT_TRUE(ContainsSecret(c.in)) << c.in;
  EXPECT_FALSE(ContainsSecret(once)) << once;
}

TEST(Redact, MasksTotpSecrets) {
  for (
      const Case& c : std::initializer_list<Case>{
          {"otpauth://totp/LiasonPay:owner%40demo.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
           "&issuer=LiasonPay&algorithm=SHA1&digits=6&period=30",
           "otpauth://totp/LiasonPay:owner%40demo.example?secret=***"
           "&issuer=LiasonPay&algorithm=SHA1&digits=6&period=30"},
          {"otpauth://totp/LiasonPay:ops?issuer=LiasonPay&secret=GEZDGNBVGY3TQOJQ",
           "otpauth://totp/LiasonPay:ops?issuer=LiasonPay&secret=***"},
          {R"({"object":"mfa_enrollment","secret":"JBSWY3DPEHPK3PXP","uri":"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"})",
           R"({"object":"mfa_enrollment","secret":"***","uri":"otpauth://totp/x?secret=***"})"},
          {"totp_secret = JBSWY3DPEHPK3PXP", "totp_secret = ***"},
          {"SECRET=JBSWY3DPEHPK3PXP", "SECRET=***"},
      }) {
    ExpectRedacted(c);
  }
}

TEST(Redact, MasksRecoveryCodes) {
  for (const Case& c : std::initializer_list<Case>{
           {R"({"recovery_codes":["7h2k-x9qm-4vtr","a1b2-c3d4-e5f6"]})",
            R"({"recovery_codes":[***]})"},
           {R"({"recovery_code":"7h2k-x9qm-4vtr"})", R"({"recovery_code":"***"})"},
           {"recovery_code=7H2K-X9QM-4VTR", "recovery_code=***"},
           // Bare, in LiasonPay's own shape (Crockford base32, lower case, 4-4-4).
           {"codes: 7h2k-x9qm-4vtr, a1b2-c3d4-e5f6.", "codes: ***, ***."},
       }) {
    ExpectRedacted(c);
  }
}

TEST(Redact, MasksSessionCookies) {
  for (
      const Case& c : std::initializer_list<Case>{
          {"Set-Cookie: __Host-lp_session=q8Xv2LJkR0b3mW9tZ1yN4cH7aE5gU6sD0fK2pQ3rT8o; Path=/; "
           "Secure; HttpOnly; SameSite=Strict",
           "Set-Cookie: ***"},
          {"Cookie: __Host-lp_ops_session=q8Xv2LJkR0b3mW9tZ1yN4cH7aE5gU6sD0fK2pQ3rT8o\r\nHost: x",
           "Cookie: ***\r\nHost: x"},
          {"cookie __Host-lp_session=q8Xv2LJkR0b3mW9tZ1yN4cH7aE5gU6sD0fK2pQ3rT8o; theme=dark",
           "cookie __Host-lp_session=***; theme=dark"},
          {"__Host-lp_ops_session=q8Xv2LJkR0b3mW9tZ1yN4cH7aE5gU6sD0fK2pQ3rT8o",
           "__Host-lp_ops_session=***"},
          {R"({"cookie":"__Host-lp_session=q8Xv2LJkR0b3mW9tZ1yN4cH7aE5gU6sD0fK2pQ3rT8o","accept":"*/*"})",
           R"({"cookie":"***","accept":"*/*"})"},
          {"x-csrf-token: abc", "x-csrf-token: ***"},
          {R"({"csrf_token":"Zm9vYmFy"})", R"({"csrf_token":"***"})"},
      }) {
    ExpectRedacted(c);
  }
}

TEST(Redact, MasksPasswords) {
  for (const Case& c : std::initializer_list<Case>{
           {R"({"email":"owner@demo.example","password":"correct horse battery staple"})",
            R"({"email":"owner@demo.example","password":"***"})"},
           {R"({"current_password":"hunter2","new_password":"hunter3"})",
            R"({"current_password":"***","new_password":"***"})"},
           {R"({"password" : "with \"quotes\" inside"})", R"({"password" : "***"})"},
           // A JSON body logged inside a JSON string, escaped once.
           {R"(body={\"password\":\"hunter2\"})", R"(body={\"password\":\"***\"})"},
           {"password=hunter2&email=a%40b.example", "password=***&email=a%40b.example"},
           {"Password: hunter2", "Password: ***"},
           {"PASSWD=hunter2 user=x", "PASSWD=*** user=x"},
       }) {
    ExpectRedacted(c);
  }
}

TEST(Redact, MasksAuthorizationHeaderValues) {
  for (const Case& c : std::initializer_list<Case>{
           {"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "Authorization: Bearer ***"},
           {"authorization: Basic dXNlcjpwYXNzd29yZA==\r\naccept: */*",
            "authorization: Basic ***\r\naccept: */*"},
           {"Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Authorization: Basic ***"},
           {R"({"authorization":"Bearer sk_test_51HxYz0AbCdEf"})", R"({"authorization":"***"})"},
           {"Authorization: sk_test_51HxYz0AbCdEf", "Authorization: sk_test_***"},
           {"Authorization: Digest username=\"u\", response=\"6629fae49393a05397450978507c4ef1\"",
            "Authorization: Digest ***"},
           // A bearer token without the header name, when long enough to be one.
           {"sent bearer q8Xv2LJkR0b3mW9tZ1yN4cH7aE5gU6sD to the PSP",
            "sent bearer *** to the PSP"},
       }) {
    ExpectRedacted(c);
  }
}

TEST(Redact, MasksStripeCredentials) {
  for (const Case& c : std::initializer_list<Case>{
           {"sk_test_51MzQ2LKj8Xy9aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "sk_test_***"},
           {"sk_live_51MzQ2LKj8Xy9aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "sk_live_***"},
           {"rk_live_51MzQ2LKj8Xy9aBcDeFgHiJkLm", "rk_live_***"},
           {"rk_test_51MzQ2LKj8Xy9aBcDeFgHiJkLm", "rk_test_***"},
           {"Stripe-Signature secret whsec_7f3a9b2c1d4e5f60718293a4b5c6d7e8",
            "Stripe-Signature secret whsec_***"},
           {R"({"secret_key":"sk_live_abc","webhook_secret":"whsec_abc"})",
            R"({"secret_key":"sk_live_***","webhook_secret":"whsec_***"})"},
       }) {
    ExpectRedacted(c);
  }
}

TEST(Redact, MasksAdyenCredentials) {
  for (const Case& c : std::initializer_list<Case>{
           {"AQEyhmfxLI3MaBFLw0m/n3Q5qf3VaY9UCJ14XWZE03G/k2NFitRvbe4N1XqH1eHaH2AksaEQwV1bDb7kfNy1W"
            "IxIIkxgBw==-y3qzswmlmALhxaVPNjYf5J1+EHHtKF+XKJRP2J7DgCU=-M6~T.6xF",
            "AQE***"},
           {"X-API-Key: AQEyhmfxLI3MaBFLw0m/n3Q5qf3VaY9UCJ14XWZE03G/k2NFitRvbe4N1XqH1eHaH2Aks"
            "==-&Uj3%L@8WTh9{(5e\r\n",
            "X-API-Key: AQE***\r\n"},
           {R"({"apiKey":"AQEyhmfxLI3MaBFLw0m/n3Q5qf3VaY9UCJ14XWZE03G","merchantAccount":"Acme"})",
            R"({"apiKey":"AQE***","merchantAccount":"Acme"})"},
           // HMAC keys: 64 hex digits (32 bytes), bare or named.
           {"hmac 44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056 set",
            "hmac *** set"},
           {R"({"hmacKey":"44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"})",
            R"({"hmacKey":"***"})"},
           {"hmac_key=44782def547aaa06c910c43932b1eb0c", "hmac_key=***"},
       }) {
    ExpectRedacted(c);
  }
}

// The names and shapes above must not eat ordinary log text.
TEST(Redact, LeavesLookAlikesOfTheCorpusUntouched) {
  for (std::string_view text : {
           "password_policy=strong",
           "the password is too short",
           "reset your password",
           "secrets rewrapped: 4",
           "recovery_codes_remaining=8",
           "session_id ses_01HV2XQ8Z5K8F4W6T3N9B7C2D1",
           "route=/dashboard/api/sessions status=401",
           "Bearer short",
           "AQE short",
           "a Bearer token is required",
           "Authorization",
           "read-only-mode",
           "550e8400-e29b-41d4-a716-446655440000",
           "7h2k-x9qm-4vtr-88aa",  // four groups: not a recovery code
           "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8",  // 62 hex
           "req_9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a",
       }) {
    EXPECT_EQ(Redact(text), text);
    EXPECT_FALSE(ContainsSecret(text)) << text;
  }
}

// Every rule looks ahead a bounded distance or jumps past what it masked: a megabyte of
// near-misses stays fast (a quadratic rule would take minutes here).
TEST(Redact, StaysLinearOnNearMisses) {
  std::string line;
  for (int i = 0; i < 20000; ++i) {
    line += "password bearer AQEshort sk_test_ cookie ";
  }
  for (int i = 0; i < 1000; ++i) {
    line += std::string(63, 'a') + "g 7h2k-x9qm-4vtr-x ";  // a hex run one short, a code too long
  }
  line += std::string(100000, 'q') + " password" + std::string(100000, ' ') + "x";
  const auto start = std::chrono::steady_clock::now();
  const std::string out = Redact(line);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(out == line);
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(Redact, IsIdempotent) {
  const std::string once = Redact("sk_live_abc 4242424242424242 whsec_x+y=");
  EXPECT_EQ(Redact(once), once);
  EXPECT_EQ(once.find("abc"), std::string::npos);
  EXPECT_EQ(once.find("4242"), std::string::npos);
}

}  // namespace
}  // namespace lp
