// The password rules of PRODUCT.md §4, one row per rule (STANDARDS AUTH-01..05).
#include "lp/people/password_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lp::people {
namespace {

struct Case {
  const char* what;
  std::string password;
  AccountKind kind;
  std::string email;
  std::string want;  // "" = accepted, else the error code
};

// A phrase zxcvbn scores 4, with no context words: the base of the length cases.
const std::string kStrong = "velvet orbit canyon lantern";

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  while (out.size() < n) {
    out += s;
  }
  return out.substr(0, n);
}

TEST(PasswordPolicy, RulesTable) {
  const std::string phrase100 =
      "my grandmother kept seventeen teapots shaped like owls on a shelf above the bakery oven "
      "in lisbon...";
  ASSERT_EQ(phrase100.size(), 100u);
  const std::string strong128 = Repeat("quartz meadow violin harbor ", 128);
  const Case cases[] = {
      // Length: 15 to 128 code points (NIST 800-63B-4; PCI 8.3.6).
      {"14 characters", "zq8 fjord vexm", AccountKind::kUser, "jane@example.com",
       "password_too_short"},
      {"15 characters", "zq8 fjord vexmk", AccountKind::kUser, "jane@example.com", ""},
      {"128 characters", strong128, AccountKind::kUser, "jane@example.com", ""},
      {"129 characters", strong128 + "q", AccountKind::kUser, "jane@example.com",
       "password_too_long"},
      {"a 100-character passphrase", phrase100, AccountKind::kUser, "jane@example.com", ""},
      // The common list (zxcvbn's 30,000 passwords), case-insensitive.
      {"a listed password", "1qaz2wsx3edc4rfv", AccountKind::kUser, "jane@example.com",
       "password_blocklisted"},
      {"a listed password in capitals", "QWERTYUIOP12345", AccountKind::kUser,
       "jane@example.com", "password_blocklisted"},
      {"a listed password (19 chars)", "1234567890987654321", AccountKind::kUser,
       "jane@example.com", "password_blocklisted"},
      // Context words.
      {"the product name", "my LiasonPay vault 7", AccountKind::kUser, "jane@example.com",
       "password_contains_context"},
      {"the e-mail's local part", "jane.doe keeps bees 9", AccountKind::kUser,
       "jane.doe@example.com", "password_contains_context"},
      {"a piece of the local part", "bees buzz around Janet", AccountKind::kUser,
       "janet.doe@example.com", "password_contains_context"},
      {"the e-mail's domain", "galaxy example orchids", AccountKind::kUser, "jane@example.com",
       "password_contains_context"},
      {"the top-level domain is not a context word", "velvet orbit com lantern",
       AccountKind::kUser, "jane@example.com", ""},
      // zxcvbn score < 3.
      {"a repeated character", "aaaaaaaaaaaaaaaaaaaa", AccountKind::kUser, "jane@example.com",
       "password_too_weak"},
      {"an alphabet run", "abcdefghijklmnopqr", AccountKind::kUser, "jane@example.com",
       "password_too_weak"},
      {"a repeated word", "passwordpasswordpassword", AccountKind::kUser, "jane@example.com",
       "password_too_weak"},
      {"a keyboard walk", "qwertyuiopasdfghjkl", AccountKind::kUser, "jane@example.com",
       "password_too_weak"},
      // No composition rules for users; operators need a letter and a digit (PCI 8.3.6).
      {"a user's letters-only phrase", kStrong, AccountKind::kUser, "jane@example.com", ""},
      {"an operator's letters-only phrase", kStrong, AccountKind::kOperator, "ops@example.com",
       "password_too_weak"},
      {"an operator's digits-only password", "9071 3388 2046 5519", AccountKind::kOperator,
       "ops@example.com", "password_too_weak"},
      {"an operator's phrase with a digit", kStrong + " 7", AccountKind::kOperator,
       "ops@example.com", ""},
      {"invalid UTF-8", std::string("velvet orbit canyon \xff\xfe"), AccountKind::kUser,
       "jane@example.com", "parameter_invalid"},
  };
  PasswordPolicy policy;
  for (const auto& c : cases) {
    auto r = policy.Check(c.password, PasswordContext{c.kind, c.email, {}}, "new_password");
    if (c.want.empty()) {
      EXPECT_TRUE(r) << c.what << ": refused with " << (r ? "" : r.error().code);
    } else {
      ASSERT_FALSE(r) << c.what << ": accepted";
      EXPECT_EQ(r.error().code, c.want) << c.what;
      EXPECT_EQ(r.error().type, ErrorType::kInvalidRequest) << c.what;
      EXPECT_EQ(r.error().param, "new_password") << c.what;
    }
  }
}

TEST(PasswordPolicy, CountsCodePointsAfterNfkc) {
  PasswordPolicy policy;
  const PasswordContext ctx{AccountKind::kUser, "jane@example.com", {}};
  // 15 fullwidth letters (3 bytes each): 15 code points, NFKC maps them to ASCII.
  const std::string fullwidth = "ｖｅｌｖｅｔｏｒｂｉｔｃａｎｙｏ";
  auto r = policy.Check(fullwidth, ctx, "password");
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(r->view(), "velvetorbitcanyo");
  // 14 code points whose NFKC form has 15 ("ﬁ" → "fi"): long enough after normalisation.
  const std::string ligature = "ﬁve velvet orbs";  // U+FB01 then 13 more
  auto l = policy.Check(ligature, ctx, "password");
  ASSERT_TRUE(l) << l.error().code;
  EXPECT_EQ(l->view(), "five velvet orbs");
  // 15 two-byte letters are 15 characters, not 30.
  const std::string greek = "αβγδεζηθικλμνξο";
  auto g = policy.Check(greek, ctx, "password");
  EXPECT_TRUE(g) << (g ? "" : g.error().code);
  auto short_greek = policy.Check("αβγδεζηθικλμνξ", ctx, "password");
  ASSERT_FALSE(short_greek);
  EXPECT_EQ(short_greek.error().code, "password_too_short");
}

TEST(PasswordPolicy, TheCommonListIsLoadedOnceAndLookedUpCaseInsensitively) {
  PasswordPolicy policy;
  EXPECT_GE(policy.ListSize(), 29000u);
  EXPECT_TRUE(policy.IsCommon("password"));
  EXPECT_TRUE(policy.IsCommon("PassWord"));
  EXPECT_TRUE(policy.IsCommon("1qaz2wsx3edc4rfv"));
  EXPECT_FALSE(policy.IsCommon("velvet orbit canyon lantern"));
}

TEST(PasswordPolicy, ContextWordsComeFromTheEmailAndTheMerchantName) {
  const auto words = PasswordPolicy::ContextWords(
      PasswordContext{AccountKind::kUser, "Jane.Doe+pay@Mail.Example.co.uk", {"Acme Widgets"}});
  auto has = [&](const std::string& w) {
    return std::find(words.begin(), words.end(), w) != words.end();
  };
  EXPECT_TRUE(has("liasonpay"));
  EXPECT_TRUE(has("jane.doe+pay"));
  EXPECT_TRUE(has("jane"));
  EXPECT_TRUE(has("mail"));
  EXPECT_TRUE(has("example"));
  EXPECT_TRUE(has("acmewidgets"));
  EXPECT_FALSE(has("doe"));  // shorter than 4: would refuse too much
  EXPECT_FALSE(has("uk"));
}

TEST(PasswordPolicy, EmailKeysAreCaseAndWidthInsensitive) {
  EXPECT_EQ(EmailKey("  Jane@Example.COM "), "jane@example.com");
  EXPECT_EQ(EmailKey("ｊａｎｅ@example.com"), "jane@example.com");
  EXPECT_TRUE(LooksLikeEmail("jane@example.com"));
  EXPECT_FALSE(LooksLikeEmail("jane@example"));
  EXPECT_FALSE(LooksLikeEmail("jane example@example.com"));
  EXPECT_FALSE(LooksLikeEmail("@example.com"));
  EXPECT_FALSE(LooksLikeEmail("a@b@example.com"));
}

}  // namespace
}  // namespace lp::people
