#include "lp/common/pan.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace lp {
namespace {

// `body` plus the digit that makes it Luhn-valid, so tests can build valid numbers of any length
// and first digit without hard-coding magic values.
std::string WithCheckDigit(const std::string& body) {
  for (char d = '0'; d <= '9'; ++d) {
    if (LuhnValid(body + d)) {
      return body + d;
    }
  }
  ADD_FAILURE() << "no check digit for " << body;
  return body;
}

// The matched text, or "" when nothing matched.
std::string Match(std::string_view text, size_t from = 0) {
  const auto span = FindPan(text, from);
  if (!span) {
    return "";
  }
  EXPECT_LE(span->begin, span->end);
  EXPECT_LE(span->end, text.size());
  return std::string(text.substr(span->begin, span->end - span->begin));
}

TEST(LuhnValid, KnownValues) {
  EXPECT_TRUE(LuhnValid("79927398713"));
  EXPECT_FALSE(LuhnValid("79927398710"));
  EXPECT_TRUE(LuhnValid("4242424242424242"));
  EXPECT_FALSE(LuhnValid("4242424242424241"));
  EXPECT_TRUE(LuhnValid("378282246310005"));
  EXPECT_FALSE(LuhnValid(""));
}

TEST(FindPan, DetectsStandardTestCardNumbers) {
  for (std::string_view pan : {
           "4242424242424242",     // Visa
           "4111111111111111",     // Visa
           "4000056655665556",     // Visa debit
           "4222222222222",        // Visa, 13 digits
           "5555555555554444",     // Mastercard
           "2223003122003222",     // Mastercard 2-series
           "378282246310005",      // American Express, 15 digits
           "6011111111111117",     // Discover
           "3056930009020004",     // Diners Club
           "36227206271667",       // Diners Club, 14 digits
           "3566002020360505",     // JCB
           "6200000000000005",     // UnionPay
           "6205500000000000004",  // UnionPay, 19 digits
       }) {
    EXPECT_EQ(Match(pan), pan);
    EXPECT_TRUE(ContainsPan(pan)) << pan;
  }
}

TEST(FindPan, AcceptsSingleSpacesOrDashesBetweenDigits) {
  EXPECT_EQ(Match("4111 1111 1111 1111"), "4111 1111 1111 1111");
  EXPECT_EQ(Match("5555-5555-5555-4444"), "5555-5555-5555-4444");
  EXPECT_EQ(Match("3782 822463 10005"), "3782 822463 10005");
  EXPECT_EQ(Match("4242 4242-4242 4242"), "4242 4242-4242 4242");
  EXPECT_EQ(Match("4-2-4-2-4-2-4-2-4-2-4-2-4-2-4-2"), "4-2-4-2-4-2-4-2-4-2-4-2-4-2-4-2");
}

TEST(FindPan, ReportsTheSpanInsideText) {
  const std::string text = "card: 4111 1111 1111 1111, thanks";
  const auto span = FindPan(text);
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->begin, 6u);
  EXPECT_EQ(span->end, 25u);
  // Separators and letters just outside the number are not part of it.
  EXPECT_EQ(Match("-4242-4242-4242-4242-"), "4242-4242-4242-4242");
  EXPECT_EQ(Match(" 4242424242424242 "), "4242424242424242");
  EXPECT_EQ(Match("x4242424242424242y"), "4242424242424242");
  EXPECT_EQ(Match(R"({"n":"4242424242424242"})"), "4242424242424242");
}

TEST(FindPan, DoubleOrOtherSeparatorsSplitTheNumber) {
  EXPECT_EQ(Match("4242  4242 4242 4242"), "");
  EXPECT_EQ(Match("4242--4242-4242-4242"), "");
  EXPECT_EQ(Match("4242 -4242 4242 4242"), "");
  EXPECT_EQ(Match("4242.4242.4242.4242"), "");
  EXPECT_EQ(Match("4242/4242/4242/4242"), "");
  EXPECT_EQ(Match("4242\t4242\t4242\t4242"), "");
  EXPECT_EQ(Match("4242_4242_4242_4242"), "");
}

TEST(FindPan, RejectsNonLuhnNumbers) {
  EXPECT_EQ(Match("4242424242424241"), "");
  EXPECT_EQ(Match("4111 1111 1111 1112"), "");
  EXPECT_EQ(Match("5555-5555-5555-4445"), "");
  EXPECT_EQ(Match("378282246310006"), "");
}

TEST(FindPan, LengthMustBeThirteenToNineteenDigits) {
  for (size_t len = 10; len <= 22; ++len) {
    const std::string pan = WithCheckDigit("4" + std::string(len - 2, '0'));
    ASSERT_EQ(pan.size(), len);
    EXPECT_EQ(ContainsPan(pan), len >= 13 && len <= 19) << pan;
    // The same with separators: the count is of digits, not characters.
    std::string spaced;
    for (size_t i = 0; i < pan.size(); ++i) {
      spaced += pan[i];
      if (i % 4 == 3 && i + 1 < pan.size()) {
        spaced += ' ';
      }
    }
    EXPECT_EQ(ContainsPan(spaced), len >= 13 && len <= 19) << spaced;
  }
}

TEST(FindPan, FirstDigitMustBeTwoToSix) {
  for (char first = '0'; first <= '9'; ++first) {
    const std::string pan = WithCheckDigit(std::string(1, first) + "00000000000000");
    EXPECT_EQ(ContainsPan(pan), first >= '2' && first <= '6') << pan;
    EXPECT_EQ(ContainsPan("n " + pan + " n"), first >= '2' && first <= '6') << pan;
  }
}

TEST(FindPan, AdjacentDigitsOnEitherSideMeanNoMatch) {
  const std::string pan = "4242424242424242";
  for (char d = '0'; d <= '9'; ++d) {
    // 17 digits; choose only extensions that are not themselves a valid 17-digit PAN.
    const std::string before = std::string(1, d) + pan;
    const std::string after = pan + d;
    if (!LuhnValid(before) || d < '2' || d > '6') {
      EXPECT_EQ(Match(before), "") << before;
    }
    if (!LuhnValid(after)) {
      EXPECT_EQ(Match(after), "") << after;
    }
  }
  EXPECT_EQ(Match("0" + pan + "0"), "");
}

TEST(FindPan, TooLongContiguousRunsNeverMatch) {
  // 20+ digits holding a valid PAN at every offset still is not a card number.
  for (const std::string& run :
       {std::string("42424242424242424242"), std::string("04242424242424242"),
        std::string("424242424242424242420"), "9" + std::string("4242424242424242") + "99999",
        std::string(200, '4') + "4242424242424242"}) {
    EXPECT_EQ(Match(run), "") << run;
  }
}

// A separated digit group belongs to a run only through a separator, so a card number followed
// or preceded by other numbers (expiry, CVC, a phone prefix) is still bounded by non-digits.
TEST(FindPan, FindsCardNumberNextToOtherSeparatedNumbers) {
  EXPECT_EQ(Match("4242 4242 4242 4242 12/34 123"), "4242 4242 4242 4242");
  EXPECT_EQ(Match("4111 1111 1111 1111 123"), "4111 1111 1111 1111");
  EXPECT_EQ(Match("card 4111-1111-1111-1111-0"), "4111-1111-1111-1111");
  EXPECT_EQ(Match("1 4242424242424242"), "4242424242424242");
  EXPECT_EQ(Match("call 1-800 4111 1111 1111 1111"), "4111 1111 1111 1111");
  EXPECT_EQ(Match("4242424242424242 4242424242424242"), "4242424242424242");
}

TEST(FindPan, FromSkipsEarlierText) {
  const std::string text = "a 4242424242424242 b 5555-5555-5555-4444 c";
  EXPECT_EQ(Match(text, 0), "4242424242424242");
  EXPECT_EQ(Match(text, 19), "5555-5555-5555-4444");
  EXPECT_EQ(Match(text, 41), "");
  EXPECT_EQ(Match(text, text.size()), "");
  EXPECT_EQ(Match(text, text.size() + 5), "");
}

TEST(FindPan, OrdinaryTextHasNoPan) {
  for (std::string_view text : {
           "", "hello", "order 12345", "2024-01-31T12:34:56.789Z", "pay_01HV2XQ8Z5K8F4W6T3N9B7C2D1",
           "+1 415 555 0100", "amount 1099 usd", "550e8400-e29b-41d4-a716-446655440000", "4242",
           "1234567890123",  // first digit 1
       }) {
    EXPECT_EQ(Match(text), "") << text;
  }
}

TEST(FindPan, LargeInputsStayLinear) {
  // Pathological inputs for a windowed scanner: one huge run, many tiny groups, and
  // almost-runs broken by double separators. Each must finish quickly.
  const std::string digits(1 << 20, '4');
  std::string groups;
  std::string broken;
  for (int i = 0; i < (1 << 18); ++i) {
    groups += "1 ";
    broken += "4242  ";
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Match(digits), "");
  EXPECT_EQ(Match(groups), "");
  EXPECT_EQ(Match(broken), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace lp
