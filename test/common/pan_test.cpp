#include "lp/common/pan.hpp"

#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <ctime>
#include <string>
#include <vector>

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
std::string Match(std::string_view text) {
  const auto span = FindPan(text);
  if (!span) {
    return "";
  }
  EXPECT_LE(span->begin, span->end);
  EXPECT_LE(span->end, text.size());
  return std::string(text.substr(span->begin, span->end - span->begin));
}

// UTF-8 of one code point.
std::string U8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

// How the digits of a number are written: the code point of zero in each script (0 = mixed:
// the scripts below in turn).
struct Script {
  const char* name;
  char32_t zero;
};
constexpr Script kScripts[] = {
    {"ascii", U'0'},
    {"fullwidth", 0xFF10},           // NFKC maps them to ASCII
    {"mathematical-bold", 0x1D7CE},  // NFKC maps them to ASCII
    {"arabic-indic", 0x0660},        // \p{Nd}, unchanged by NFKC
    {"extended-arabic-indic", 0x06F0},
    {"devanagari", 0x0966},
    {"bengali", 0x09E6},
    {"thai", 0x0E50},
    {"mixed", 0},
};

std::string InScript(std::string_view ascii, const Script& script) {
  std::string out;
  size_t k = 0;
  for (const char c : ascii) {
    if (c < '0' || c > '9') {
      out += c;
      continue;
    }
    char32_t zero = script.zero;
    if (zero == 0) {
      zero = kScripts[k++ % (std::size(kScripts) - 1)].zero;
    }
    out += U8(zero + static_cast<char32_t>(c - '0'));
  }
  return out;
}

// Groups of the usual layout for the number's length, joined by `sep`.
std::string Formatted(std::string_view digits, std::string_view sep) {
  std::vector<size_t> groups;
  switch (digits.size()) {
    case 15:
    case 14:
      groups = {4, 6, digits.size() - 10};  // American Express, Diners
      break;
    case 13:
      groups = {4, 4, 5};
      break;
    case 19:
      groups = {4, 4, 4, 4, 3};
      break;
    default:
      for (size_t i = 0; i < digits.size(); i += 4) {
        groups.push_back(std::min<size_t>(4, digits.size() - i));
      }
  }
  std::string out;
  size_t at = 0;
  for (size_t g : groups) {
    if (at > 0) {
      out += sep;
    }
    out += digits.substr(at, g);
    at += g;
  }
  return out;
}

// Published test card numbers (PSP documentation).
constexpr std::string_view kTestCards[] = {
    "4242424242424242",     // Visa
    "4111111111111111",     // Visa
    "4000056655665556",     // Visa debit
    "4012888888881881",     // Visa
    "4222222222222",        // Visa, 13 digits
    "5555555555554444",     // Mastercard
    "5105105105105100",     // Mastercard prepaid
    "2223003122003222",     // Mastercard 2-series
    "5200828282828210",     // Mastercard debit
    "378282246310005",      // American Express
    "371449635398431",      // American Express
    "378734493671000",      // American Express Corporate
    "6011111111111117",     // Discover
    "6011000990139424",     // Discover
    "6011981111111113",     // Discover debit
    "3566002020360505",     // JCB
    "3530111333300000",     // JCB
    "6200000000000005",     // UnionPay
    "6205500000000000004",  // UnionPay, 19 digits
    "6250941006528599",     // UnionPay
    "3056930009020004",     // Diners Club
    "36227206271667",       // Diners Club, 14 digits
};

// Single separators (any non-alphanumeric character) and pairs of white space.
constexpr std::string_view kSeparators[] = {
    " ",
    "\xc2\xa0",  // NO-BREAK SPACE (NFKC: space)
    "-",
    "\xe2\x80\x93",  // EN DASH
    "\xe2\x80\x94",  // EM DASH
    ".",
    "/",
    "_",
    "\t",
    ":",
    "\xe2\x80\x8b",  // ZERO WIDTH SPACE
    "\xe2\x80\xaf",  // NARROW NO-BREAK SPACE (NFKC: space)
    "\xe3\x80\x80",  // IDEOGRAPHIC SPACE (NFKC: space)
    "\xef\xbc\x8d",  // FULLWIDTH HYPHEN-MINUS (NFKC: '-')
    "\xc2\xad",      // SOFT HYPHEN
    "  ",            // a pair of spaces
    "\xc2\xa0\xc2\xa0",
    " \t",
};

TEST(LuhnValid, KnownValues) {
  EXPECT_TRUE(LuhnValid("79927398713"));
  EXPECT_FALSE(LuhnValid("79927398710"));
  EXPECT_TRUE(LuhnValid("4242424242424242"));
  EXPECT_FALSE(LuhnValid("4242424242424241"));
  EXPECT_TRUE(LuhnValid("378282246310005"));
  EXPECT_FALSE(LuhnValid(""));
  for (std::string_view pan : kTestCards) {
    EXPECT_TRUE(LuhnValid(pan)) << pan;
  }
}

TEST(FindPan, DetectsStandardTestCardNumbers) {
  for (std::string_view pan : kTestCards) {
    EXPECT_EQ(Match(pan), pan);
    EXPECT_TRUE(ContainsPan(pan)) << pan;
  }
}

// The corpus: every test card, with every separator, in every digit script, inside text. The
// span is the number's own bytes, whatever their encoding.
TEST(FindPan, DetectsFormattedTestCardsWithAnySeparatorInAnyDigitScript) {
  size_t checked = 0;
  for (std::string_view pan : kTestCards) {
    for (std::string_view sep : kSeparators) {
      for (const Script& script : kScripts) {
        const std::string number = InScript(Formatted(pan, sep), script);
        const std::string text = "card: " + number + ", thanks";
        EXPECT_EQ(Match(text), number) << script.name << " [" << sep << "] " << number;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 40u);
}

TEST(FindPan, DetectsHandWrittenVariants) {
  for (std::string_view text : {
           "4111 1111 1111 1111",
           "4111\xc2\xa0"
           "1111\xc2\xa0"
           "1111\xc2\xa0"
           "1111",
           "5555.5555.5555.4444",
           "5555/5555/5555/4444",
           "4242_4242_4242_4242",
           "4242\t4242\t4242\t4242",
           "4242  4242  4242  4242",
           "4242\xe2\x80\x93"
           "4242\xe2\x80\x93"
           "4242\xe2\x80\x93"
           "4242",
           "4242\xe2\x80\x8b"
           "4242\xe2\x80\x8b"
           "4242\xe2\x80\x8b"
           "4242",
           "3782 822463 10005",
           "4242 4242-4242.4242",
           "4-2-4-2-4-2-4-2-4-2-4-2-4-2-4-2",
           "4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2",
           // Fullwidth digits with a fullwidth space (NFKC: ASCII).
           "\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92\xe3\x80\x80"
           "\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92\xe3\x80\x80"
           "\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92\xe3\x80\x80"
           "\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92",
           // Circled and superscript digits (NFKC: ASCII).
           "\xe2\x91\xa3\xe2\x91\xa1\xe2\x91\xa3\xe2\x91\xa1\xe2\x91\xa3\xe2\x91\xa1\xe2\x91\xa3"
           "\xe2\x91\xa1\xe2\x91\xa3\xe2\x91\xa1\xe2\x91\xa3\xe2\x91\xa1\xe2\x91\xa3\xe2\x91\xa1"
           "\xe2\x91\xa3\xe2\x91\xa1",
           "\xe2\x81\xb4\xc2\xb2\xe2\x81\xb4\xc2\xb2\xe2\x81\xb4\xc2\xb2\xe2\x81\xb4\xc2\xb2"
           "\xe2\x81\xb4\xc2\xb2\xe2\x81\xb4\xc2\xb2\xe2\x81\xb4\xc2\xb2\xe2\x81\xb4\xc2\xb2",
           // A combining mark after each digit: one non-alphanumeric character each.
           "4\xcc\x81"
           "2\xcc\x81"
           "4\xcc\x81"
           "2\xcc\x81"
           "4\xcc\x81"
           "2\xcc\x81"
           "4\xcc\x81"
           "2\xcc\x81"
           "4\xcc\x81"
           "2\xcc\x81"
           "4\xcc\x81"
           "2\xcc\x81"
           "4\xcc\x81"
           "2\xcc\x81"
           "4\xcc\x81"
           "2",
           // '=' + COMBINING LONG SOLIDUS OVERLAY composes (NFC) to one character, U+2260.
           "4242=\xcc\xb8"
           "4242=\xcc\xb8"
           "4242=\xcc\xb8"
           "4242",
           // An ill-formed UTF-8 byte is one character too (U+FFFD in the log).
           "4242\xff"
           "4242\xff"
           "4242\xff"
           "4242",
       }) {
    EXPECT_EQ(Match(text), text) << text;
  }
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
  // Byte offsets of the input, not of its normalised form.
  const std::string fullwidth = "\xe3\x82\xab\xe3\x83\xbc\xe3\x83\x89 " +
                                InScript("4242 4242 4242 4242", kScripts[1]) + " \xe3\x81\xa7";
  const auto wide = FindPan(fullwidth);
  ASSERT_TRUE(wide.has_value());
  EXPECT_EQ(wide->begin, 10u);
  EXPECT_EQ(wide->end, 10u + 16 * 3 + 3);
}

TEST(FindPan, SeparatorsThatAreNotOneCharacterOrTwoSpacesSplitTheNumber) {
  for (std::string_view text : {
           "4242   4242   4242   4242",  // three spaces
           "4242--4242--4242--4242", "4242 -4242 -4242 -4242", "4242 - 4242 - 4242 - 4242",
           "4242.-4242.-4242.-4242", "4242\t\t-4242\t\t-4242\t\t-4242",
           "4242\xe2\x80\x8b\xe2\x80\x8b"
           "4242\xe2\x80\x8b\xe2\x80\x8b"
           "4242\xe2\x80\x8b"
           "\xe2\x80\x8b"
           "4242",  // two zero-width spaces (not white space)
       }) {
    EXPECT_EQ(Match(text), "") << text;
  }
}

TEST(FindPan, RejectsNonLuhnNumbers) {
  EXPECT_EQ(Match("4242424242424241"), "");
  EXPECT_EQ(Match("4111 1111 1111 1112"), "");
  EXPECT_EQ(Match("5555-5555-5555-4445"), "");
  EXPECT_EQ(Match("378282246310006"), "");
}

// Numbers that look like card numbers but are not: every one must pass in every digit script and
// with every separator.
TEST(FindPan, LookAlikesPassInEveryDigitScript) {
  std::vector<std::string> corpus = {
      // Order numbers that fail Luhn.
      "4242424242424241",
      "ORD-4111-1111-1111-1112",
      "order 5555 5555 5555 4445",
      "invoice 3782-822463-10006",
      "ref 6011.1111.1111.1118",
      // 12-digit runs and shorter groups.
      "424242424242",
      "4242 4242 4242",
      "4242-4242-4242 x 4242",
      "2024 1042 7781",
      // UUIDs.
      "550e8400-e29b-41d4-a716-446655440000",
      "123e4567-e89b-12d3-a456-426614174000",
      "f47ac10b-58cc-4372-a567-0e02b2c3d479",
      "00000000-0000-0000-0000-000000000000",
      // ISO 8601 timestamps.
      "2024-01-31T12:34:56.789Z",
      "2026-12-05T08:22:51+00:00",
      "2024-01-31T12:34:56.789012Z",
      "20240131T123456Z",
      "2024-W05-3T23:59:60Z",
      // Phone numbers in international format.
      "+1 415 555 0100",
      "+44 20 7946 0958",
      "+33 1 23 45 67 89",
      "+49 30 901820",
      "+81 3-1234-5678",
      "+1 (415) 555-0100",
      "+86 10 6552 9988",
      "+61 2 9876 5432",
      // IBANs and IBAN-like account numbers.
      "DE89 3704 0044 0532 0130 00",
      "GB82 WEST 1234 5698 7654 32",
      "FR14 2004 1010 0505 0001 3M02 606",
      "NL91 ABNA 0417 1643 00",
      "ES91 2100 0418 4502 0005 1332",
      "CH93 0076 2011 6238 5295 7",
      // 20 or more digits in one group.
      "42424242424242424242",
      "12345678901234567890",
      std::string(64, '4'),
      "9" + std::string("4242424242424242") + "999",
      // Letters between digit groups.
      "4242a4242b4242c4242",
      "4111x1111y1111z1111",
      "4242 4242 abc 4242 4242",
      "5555 5555 5555 44x44",
      // First digit 0, 1, 7, 8, 9.
      "0000 0000 0000 0000",
      "1234 5678 9012 3452",
      "7992 7398 7130 0006",
      // Ordinary text.
      "",
      "hello",
      "order 12345",
      "amount 1099 usd",
      "pay_01HV2XQ8Z5K8F4W6T3N9B7C2D1",
      "tok_visa",
      "card ending 4242",
  };
  for (char first : {'0', '1', '7', '8', '9'}) {
    corpus.push_back(WithCheckDigit(std::string(1, first) + "000000000000000"));
  }
  for (const std::string& ascii : corpus) {
    for (const Script& script : kScripts) {
      const std::string text = InScript(ascii, script);
      EXPECT_EQ(Match(text), "") << script.name << ": " << text;
    }
  }
  // Luhn-failing numbers of every test card's length, with every separator.
  for (std::string_view pan : kTestCards) {
    if (pan.size() > 16) {
      continue;  // a 19-digit number holds 16-digit windows that may pass Luhn on their own
    }
    std::string wrong(pan);
    wrong.back() = static_cast<char>('0' + (wrong.back() - '0' + 1) % 10);
    for (std::string_view sep : kSeparators) {
      EXPECT_EQ(Match(Formatted(wrong, sep)), "") << Formatted(wrong, sep);
    }
  }
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
    EXPECT_EQ(ContainsPan(InScript(pan, kScripts[1])), len >= 13 && len <= 19) << pan;
  }
}

TEST(FindPan, FirstDigitMustBeTwoToSix) {
  for (char first = '0'; first <= '9'; ++first) {
    const std::string pan = WithCheckDigit(std::string(1, first) + "00000000000000");
    EXPECT_EQ(ContainsPan(pan), first >= '2' && first <= '6') << pan;
    EXPECT_EQ(ContainsPan("n " + pan + " n"), first >= '2' && first <= '6') << pan;
    EXPECT_EQ(ContainsPan(InScript(pan, kScripts[3])), first >= '2' && first <= '6') << pan;
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
  // A digit of another script is a digit too.
  EXPECT_EQ(Match("\xef\xbc\x90" + pan + "\xd9\xa0"), "");
}

TEST(FindPan, TooLongContiguousRunsNeverMatch) {
  // 20+ digits holding a valid PAN at every offset still is not a card number.
  for (const std::string& run :
       {std::string("42424242424242424242"), std::string("04242424242424242"),
        std::string("424242424242424242420"), "9" + std::string("4242424242424242") + "99999",
        std::string(200, '4') + "4242424242424242"}) {
    EXPECT_EQ(Match(run), "") << run;
    EXPECT_EQ(Match(InScript(run, kScripts[1])), "") << run;
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
  EXPECT_EQ(Match("4242.4242.4242.4242.12.34"), "4242.4242.4242.4242");
  EXPECT_EQ(Match("+1 415 555 0100  4242\xc2\xa0"
                  "4242\xc2\xa0"
                  "4242\xc2\xa0"
                  "4242 12/34"),
            "4242\xc2\xa0"
            "4242\xc2\xa0"
            "4242\xc2\xa0"
            "4242");
}

TEST(FindPans, FindsEverySpanInOrderWithoutOverlap) {
  const std::string wide = InScript("5555 5555 5555 4444", kScripts[1]);
  const std::string text = "a 4242424242424242 b " + wide + " c 4111.1111.1111.1111 12/34";
  const auto spans = FindPans(text);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(text.substr(spans[0].begin, spans[0].end - spans[0].begin), "4242424242424242");
  EXPECT_EQ(text.substr(spans[1].begin, spans[1].end - spans[1].begin), wide);
  EXPECT_EQ(text.substr(spans[2].begin, spans[2].end - spans[2].begin), "4111.1111.1111.1111");
  // Two numbers in one separated run: both are found, one after the other.
  const auto two = FindPans("4242 4242 4242 4242 4111 1111 1111 1111");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].end, 19u);
  EXPECT_EQ(two[1].begin, 20u);
  EXPECT_TRUE(FindPans("no numbers here").empty());
}

// "½" is "1⁄2" after NFKC: its "1" can end one number and its "2" start the next. The spans
// still do not overlap, and the redactor masks both.
TEST(FindPans, SpansNeverOverlapWhenOneCharacterEndsOneNumberAndStartsTheNext) {
  const std::string half = "\xc2\xbd";
  std::string first;   // "400000000000000" + d, ending with the "1" of "½"
  std::string second;  // the "2" of "½" + "00000000000000" + d
  for (char d = '0'; d <= '9' && first.empty(); ++d) {
    if (LuhnValid(std::string("40000000000000") + d + "1")) {
      first = std::string("40000000000000") + d;
    }
  }
  for (char d = '0'; d <= '9' && second.empty(); ++d) {
    if (LuhnValid(std::string("2") + "00000000000000" + d)) {
      second = std::string("00000000000000") + d;
    }
  }
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  const std::string text = "x " + first + half + second + " y";
  const auto spans = FindPans(text);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].begin, 2u);
  EXPECT_EQ(spans[0].end, 2 + first.size() + half.size());
  EXPECT_EQ(spans[1].begin, spans[0].end);
  EXPECT_EQ(spans[1].end, spans[0].end + second.size());
}

// The detector's shortcuts, checked against ICU's NFKC for every code point (an ICU whose data
// breaks a premise fails this test): a character is classified on its own, without normalising
// it, when it has no decomposition or is a letter with a canonical one; and no character gives
// more digits than it has UTF-8 bytes.
TEST(FindPan, ShortcutsAgreeWithIcuNfkcForEveryCodePoint) {
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(ec);
  ASSERT_TRUE(U_SUCCESS(ec)) << u_errorName(ec);
  size_t letters = 0;
  for (UChar32 c = 0x80; c <= 0x10FFFF; ++c) {
    if (U_IS_SURROGATE(c)) {
      continue;
    }
    ec = U_ZERO_ERROR;
    const icu::UnicodeString normalized = nfkc->normalize(icu::UnicodeString(c), ec);
    ASSERT_TRUE(U_SUCCESS(ec));
    // The fast path's length bound: no character gives more digits than it has UTF-8 bytes, so
    // fewer than 13 bytes never hold a card number.
    int digits = 0;
    for (int32_t i = 0; i < normalized.length(); i = normalized.moveIndex32(i, 1)) {
      digits += u_charDigitValue(normalized.char32At(i)) >= 0 ? 1 : 0;
    }
    EXPECT_LE(digits, U8_LENGTH(c)) << std::hex << c;
    const int type = u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE);
    const bool letter = (U_GET_GC_MASK(c) & U_GC_L_MASK) != 0;
    if (type != U_DT_NONE && !(type == U_DT_CANONICAL && letter)) {
      continue;
    }
    if (type == U_DT_NONE) {
      EXPECT_TRUE(normalized == icu::UnicodeString(c)) << std::hex << c;
      continue;
    }
    ++letters;
    bool has_alnum = false;
    for (int32_t i = 0; i < normalized.length(); i = normalized.moveIndex32(i, 1)) {
      const UChar32 d = normalized.char32At(i);
      EXPECT_LT(u_charDigitValue(d), 0) << std::hex << c;
      has_alnum = has_alnum || u_isalnum(d);
    }
    EXPECT_TRUE(has_alnum) << std::hex << c;
  }
  EXPECT_GT(letters, 10000u);  // precomposed Latin, Greek, Cyrillic, Hangul …
}

// CPU seconds of the fastest of three trials of `reps` calls of FindPans on `text`.
double CpuSeconds(const std::string& text, int reps) {
  double best = 1e9;
  for (int trial = 0; trial < 3; ++trial) {
    const std::clock_t start = std::clock();
    for (int i = 0; i < reps; ++i) {
      const auto spans = FindPans(text);
      EXPECT_LE(spans.size(), text.size());
    }
    best = std::min(best, static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC);
  }
  return best;
}

std::string Repeat(std::string_view unit, size_t bytes) {
  std::string out;
  out.reserve(bytes + unit.size());
  while (out.size() < bytes) {
    out += unit;
  }
  return out;
}

// Hostile shapes for a windowed scanner and for normalisation: many one-digit groups, almost-runs
// broken by double separators, fullwidth digits, digits with combining marks, one base character
// with a megabyte of combining marks, ill-formed bytes. One 1 MiB input must cost about what ten
// 100 KiB inputs cost (a quadratic scan would cost ten times as much).
TEST(FindPans, TimeIsLinearInTheInput) {
  const std::vector<std::string> units = {
      "4 ",
      "4242  ",
      "4242--",
      "4242424242424242 ",
      std::string(20, '4') + " ",
      "\xef\xbc\x94 ",                     // fullwidth 4 and a space
      "4\xcc\x81\xcc\xa3",                 // 4, acute, dot below
      "\xcc\x81\xcc\xa3\xcc\x88\xcd\x85",  // combining marks only
      "\xff"
      "4",
  };
  for (const std::string& unit : units) {
    const double small = CpuSeconds(Repeat(unit, 100 << 10), 10);
    const double large = CpuSeconds(Repeat(unit, 1 << 20), 1);
    // Loose (clock granularity, caches, a shared machine): linear is ~1, quadratic ~10.
    EXPECT_LT(large, 4 * std::max(small, 0.002))
        << "unit " << unit << ": 10 x 100 KiB " << small << " s, 1 MiB " << large << " s";
  }
}

}  // namespace
}  // namespace lp
