#include "lp/common/log.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <regex>
#include <string>

namespace lp::log {
namespace {

constexpr std::string_view kTime = "2024-01-31T12:34:56.789012Z";

boost::json::object ParseLine(const std::string& line) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  EXPECT_FALSE(ec) << ec.message() << " in: " << line;
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << line;
    return {};
  }
  return v.as_object();
}

TEST(FormatLine, IsOneJsonObjectWithTimeLevelMessageAndFields) {
  const std::string line = FormatLine(Level::kWarn, "payment failed",
                                      {{"payment", "pay_123"},
                                       {"attempt", 2},
                                       {"latency_ms", int64_t{1500}},
                                       {"ratio", 0.25},
                                       {"retry", true}},
                                      kTime);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto obj = ParseLine(line);
  EXPECT_EQ(obj.at("time").as_string(), kTime);
  EXPECT_EQ(obj.at("level").as_string(), "warn");
  EXPECT_EQ(obj.at("msg").as_string(), "payment failed");
  EXPECT_EQ(obj.at("payment").as_string(), "pay_123");
  EXPECT_EQ(obj.at("attempt").as_int64(), 2);
  EXPECT_EQ(obj.at("latency_ms").as_int64(), 1500);
  EXPECT_DOUBLE_EQ(obj.at("ratio").as_double(), 0.25);
  EXPECT_EQ(obj.at("retry").as_bool(), true);
}

// Without a given time, the line carries now in UTC, to the microsecond (the part up to the
// second is cached per second; consecutive lines must still move forward).
TEST(FormatLine, StampsTheCurrentUtcTimeToTheMicrosecond) {
  const std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)");
  std::string previous;
  for (int i = 0; i < 3; ++i) {
    // system_clock, not time(): glibc's time() reads a coarse clock that may lag a tick behind.
    const auto seconds = [] {
      return std::chrono::system_clock::to_time_t(
          std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
    };
    const std::time_t before = seconds();
    const std::string time(ParseLine(FormatLine(Level::kInfo, "m", {}, {})).at("time").as_string());
    const std::time_t after = seconds();
    ASSERT_TRUE(std::regex_match(time, shape)) << time;
    std::tm tm{};
    ASSERT_NE(strptime(time.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr);
    const std::time_t stamped = timegm(&tm);
    EXPECT_GE(stamped, before);
    EXPECT_LE(stamped, after);
    EXPECT_GE(time, previous);  // fixed-width: string order is time order
    previous = time;
    if (i == 1) {  // cross into the next second, where the cached prefix must change
      const auto next = std::chrono::system_clock::from_time_t(seconds() + 1);
      while (std::chrono::system_clock::now() < next) {
      }
    }
  }
}

TEST(FormatLine, LevelNames) {
  EXPECT_EQ(ParseLine(FormatLine(Level::kDebug, "m", {}, kTime)).at("level").as_string(), "debug");
  EXPECT_EQ(ParseLine(FormatLine(Level::kInfo, "m", {}, kTime)).at("level").as_string(), "info");
  EXPECT_EQ(ParseLine(FormatLine(Level::kError, "m", {}, kTime)).at("level").as_string(), "error");
}

TEST(FormatLine, EscapesQuotesControlCharactersAndNewlines) {
  const std::string nasty = "a \"quoted\" \\ back\nslash\r\t\x01 end";
  const std::string line = FormatLine(Level::kInfo, nasty, {{"k\"ey", nasty}}, kTime);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "a log line must stay one line";
  const auto obj = ParseLine(line);
  EXPECT_EQ(obj.at("msg").as_string(), nasty);
  EXPECT_EQ(obj.at("k\"ey").as_string(), nasty);
}

TEST(FormatLine, RedactsApiKeyAndCardNumberInFields) {
  const std::string line = FormatLine(Level::kInfo, "request",
                                      {{"authorization", "Bearer sk_live_51HxYz0AbCdEfGh"},
                                       {"description", "card 4242 4242 4242 4242 exp 12/34"},
                                       {"secret", "whsec_MfKQ9r8GKYqrTwjU+/="}},
                                      kTime);
  EXPECT_EQ(line.find("51HxYz0AbCdEfGh"), std::string::npos) << line;
  EXPECT_EQ(line.find("4242"), std::string::npos) << line;
  EXPECT_EQ(line.find("MfKQ9r8"), std::string::npos) << line;
  const auto obj = ParseLine(line);
  EXPECT_EQ(obj.at("authorization").as_string(), "Bearer sk_live_***");
  EXPECT_EQ(obj.at("description").as_string(), "card [REDACTED_PAN] exp 12/34");
  EXPECT_EQ(obj.at("secret").as_string(), "whsec_***");
}

TEST(FormatLine, RedactsTheMessageToo) {
  const std::string line =
      FormatLine(Level::kError, "bad key sk_test_abc for 5555-5555-5555-4444", {}, kTime);
  const auto obj = ParseLine(line);
  EXPECT_EQ(obj.at("msg").as_string(), "bad key sk_test_*** for [REDACTED_PAN]");
}

TEST(FormatLine, KeepsOrdinaryValuesIntact) {
  const auto obj = ParseLine(FormatLine(
      Level::kInfo, "ok", {{"request_id", "req_abc"}, {"amount", int64_t{1099}}}, kTime));
  EXPECT_EQ(obj.at("request_id").as_string(), "req_abc");
  EXPECT_EQ(obj.at("amount").as_int64(), 1099);
}

// Regressions: a PAN logged as a number, non-finite doubles and invalid UTF-8 each used to
// break the JSON line.
TEST(FormatLine, StaysValidJsonWhenANumericFieldIsACardNumber) {
  const auto obj =
      ParseLine(FormatLine(Level::kInfo, "m", {{"n", int64_t{4242424242424242}}}, kTime));
  EXPECT_EQ(obj.at("n").as_string(), "[REDACTED_PAN]");
}

TEST(FormatLine, StaysValidJsonForNonFiniteDoubles) {
  ParseLine(FormatLine(Level::kInfo, "m",
                       {{"nan", std::numeric_limits<double>::quiet_NaN()},
                        {"inf", std::numeric_limits<double>::infinity()}},
                       kTime));
}

TEST(FormatLine, StaysValidJsonForInvalidUtf8) {
  ParseLine(FormatLine(Level::kInfo, "bad \xff byte", {{"k", "\xc3"}}, kTime));
}

// Values that need no escaping or redaction are copied as they are; the boundary cases of that
// shortcut (12 vs 13+ digits, a secret's stem, characters JSON escapes) still come out masked or
// escaped.
TEST(FormatLine, ShortcutForPlainValuesNeverSkipsRedactionOrEscaping) {
  const auto obj = ParseLine(FormatLine(Level::kInfo, "m",
                                        {{"twelve", "424242424242"},
                                         {"pan", "4242424242424242"},
                                         {"spaced", "4242 4242 4242 4242"},
                                         {"key", "sk_test_abcDEF123"},
                                         {"whsec", "whsec_c2VjcmV0"},
                                         {"stem_only", "my_sk_"},
                                         {"quote", "a\"b"},
                                         {"tab", "a\tb"},
                                         {"ip", "127.0.0.1"}},
                                        kTime));
  EXPECT_EQ(obj.at("twelve").as_string(), "424242424242");
  EXPECT_EQ(obj.at("pan").as_string(), "[REDACTED_PAN]");
  EXPECT_EQ(obj.at("spaced").as_string(), "[REDACTED_PAN]");
  EXPECT_EQ(obj.at("key").as_string(), "sk_test_***");
  EXPECT_EQ(obj.at("whsec").as_string(), "whsec_***");
  EXPECT_EQ(obj.at("stem_only").as_string(), "my_sk_");
  EXPECT_EQ(obj.at("quote").as_string(), "a\"b");
  EXPECT_EQ(obj.at("tab").as_string(), "a\tb");
  EXPECT_EQ(obj.at("ip").as_string(), "127.0.0.1");
}

// The rest of the redactor's corpus (issue 16) in values the shortcut would otherwise copy as
// they are: printable ASCII, no quote, few digits.
TEST(FormatLine, ShortcutNeverSkipsTheRedactorsNamedSecretsAndShapes) {
  const auto obj = ParseLine(FormatLine(
      Level::kInfo, "m",
      {{"uri", "otpauth://totp/LiasonPay:owner?secret=JBSWY3DPEHPK3PXP&issuer=LiasonPay"},
       {"cookie", "__Host-lp_session=q8Xv2LJkR0b3mW9tZ1yN4cH7aE5gU6sD0fK2pQ3rT8o"},
       {"header", "Authorization: Basic dXNlcjpwYXNzd29yZA=="},
       {"form", "email=a&password=hunter2"},
       {"code", "7h2k-x9qm-4vtr"},
       {"adyen", "AQEyhmfxLI3MaBFLw0m/n3Q5qf3VaY9UCJ14XWZE03G/k2NFitRvbe4N1X"},
       {"hmac", "ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD"}},
      kTime));
  EXPECT_EQ(obj.at("uri").as_string(),
            "otpauth://totp/LiasonPay:owner?secret=***&issuer=LiasonPay");
  EXPECT_EQ(obj.at("cookie").as_string(), "__Host-lp_session=***");
  EXPECT_EQ(obj.at("header").as_string(), "Authorization: Basic ***");
  EXPECT_EQ(obj.at("form").as_string(), "email=a&password=***");
  EXPECT_EQ(obj.at("code").as_string(), "***");
  EXPECT_EQ(obj.at("adyen").as_string(), "AQE***");
  EXPECT_EQ(obj.at("hmac").as_string(), "***");
}

}  // namespace
}  // namespace lp::log
