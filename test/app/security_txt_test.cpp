#include "app/security_txt.hpp"

#include <gtest/gtest.h>

#include "app/config.hpp"

namespace lp::app {
namespace {

constexpr int64_t kNow = 1'796'083'200;  // 2026-12-01T00:00:00Z
constexpr int64_t kDay = 86400;

TEST(Rfc3339, ParsesUtcOffsetsAndFractions) {
  EXPECT_EQ(ParseRfc3339("2026-12-01T00:00:00Z"), kNow);
  EXPECT_EQ(ParseRfc3339("2026-12-01t00:00:00z"), kNow);
  EXPECT_EQ(ParseRfc3339("2026-12-01T02:00:00+02:00"), kNow);
  EXPECT_EQ(ParseRfc3339("2026-11-30T19:00:00.250-05:00"), kNow);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2028-02-29T12:00:00Z").has_value(), true);  // leap day
}

TEST(Rfc3339, RefusesWhatIsNotADateTime) {
  for (const char* bad :
       {"", "2026-12-01", "2026-12-01 00:00:00Z", "2026-12-01T00:00:00", "2026-13-01T00:00:00Z",
        "2027-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T00:60:00Z",
        "2026-12-01T00:00:00.Z", "2026-12-01T00:00:00+0200", "2026-12-01T00:00:00Z\n",
        "2026-12-01T00:00:00Zjunk", "26-12-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(Rfc3339, FormatsUtcAndRoundTrips) {
  EXPECT_EQ(FormatRfc3339(kNow), "2026-12-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  for (int64_t t : {kNow + 1, kNow + 364 * kDay + 3661, int64_t{951'782'400}}) {
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(t)), t) << FormatRfc3339(t);
  }
}

TEST(SecurityTxtUri, AcceptsMailtoHttpsTelAndNothingThatCouldBreakALine) {
  EXPECT_TRUE(IsSecurityTxtUri("mailto:security@liasonpay.example", true));
  EXPECT_TRUE(IsSecurityTxtUri("https://liasonpay.example/security", true));
  EXPECT_TRUE(IsSecurityTxtUri("tel:+1-201-555-0123", true));
  EXPECT_TRUE(IsSecurityTxtUri("https://liasonpay.example/policy", false));
  EXPECT_FALSE(IsSecurityTxtUri("mailto:security@liasonpay.example", false));
  EXPECT_FALSE(IsSecurityTxtUri("http://liasonpay.example/security", true));
  EXPECT_FALSE(IsSecurityTxtUri("https://", true));
  EXPECT_FALSE(IsSecurityTxtUri("mailto:", true));
  EXPECT_FALSE(IsSecurityTxtUri("mailto:a@b.example\nContact: mailto:evil@x.example", true));
  EXPECT_FALSE(IsSecurityTxtUri("mailto:a@b.example\r", true));
  EXPECT_FALSE(IsSecurityTxtUri("https://a.example/x y", true));
  EXPECT_FALSE(IsSecurityTxtUri("javascript:alert(1)", true));
}

TEST(BuildSecurityTxt, DefaultsToAPlaceholderContactAndAnExpiryUnderAYearFromStartUp) {
  const auto s = BuildSecurityTxt(Config{}, kNow);
  EXPECT_NE(s.body.find("\nContact: mailto:security@example.com\n"), std::string::npos) << s.body;
  EXPECT_NE(s.body.find("\nExpires: 2027-11-30T00:00:00Z\n"), std::string::npos) << s.body;
  EXPECT_NE(s.body.find("\nPreferred-Languages: en\n"), std::string::npos) << s.body;
  EXPECT_EQ(s.body.find("Policy:"), std::string::npos);
  EXPECT_EQ(s.body.find("Canonical:"), std::string::npos);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("security_contact is not set"), std::string::npos);
}

TEST(BuildSecurityTxt, UsesTheConfiguredFieldsInOrderOfPreference) {
  Config c;
  c.security_contact = {"mailto:security@liasonpay.example", "https://liasonpay.example/report"};
  c.security_txt_expires = "2027-06-30T00:00:00Z";
  c.security_policy = "https://liasonpay.example/security-policy";
  c.security_txt_canonical = {"https://api.liasonpay.example/.well-known/security.txt"};
  const auto s = BuildSecurityTxt(c, kNow);
  EXPECT_EQ(s.body.substr(s.body.find("Contact:")),
            "Contact: mailto:security@liasonpay.example\n"
            "Contact: https://liasonpay.example/report\n"
            "Expires: 2027-06-30T00:00:00Z\n"
            "Policy: https://liasonpay.example/security-policy\n"
            "Canonical: https://api.liasonpay.example/.well-known/security.txt\n"
            "Preferred-Languages: en\n");
  EXPECT_TRUE(s.warnings.empty());
}

TEST(BuildSecurityTxt, WarnsWhenTheExpiryHasPassedOrIsMoreThanAYearAhead) {
  Config c;
  c.security_contact = {"mailto:security@liasonpay.example"};
  c.security_txt_expires = "2026-11-30T23:59:59Z";
  auto s = BuildSecurityTxt(c, kNow);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("has passed"), std::string::npos);
  c.security_txt_expires = "2028-01-01T00:00:00Z";
  s = BuildSecurityTxt(c, kNow);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("more than a year"), std::string::npos);
}

TEST(SecurityTxtConfig, InvalidValuesAreRefusedWithTheKeyNamed) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"security_contact", "security@example.com"},
           {"security_contact", "mailto:a@b.example,http://b.example"},
           {"security_txt_expires", "2027-06-30"},
           {"security_policy", "mailto:a@b.example"},
           {"security_txt_canonical", "http://api.example/.well-known/security.txt"}}) {
    auto c = LoadConfig("", {{key, value}});
    ASSERT_FALSE(c) << key << "=" << value;
    EXPECT_EQ(c.error().param, key);
  }
  auto ok = LoadConfig("", {{"security_contact", "mailto:a@b.example,https://b.example/r"},
                            {"security_txt_expires", "2027-06-30T00:00:00Z"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->security_contact,
            (std::vector<std::string>{"mailto:a@b.example", "https://b.example/r"}));
}

}  // namespace
}  // namespace lp::app
