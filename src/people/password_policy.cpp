#include "lp/people/password_policy.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>
#include <zxcvbn.h>

#include <algorithm>
#include <cmath>

namespace lp::people {
namespace {

// The common-password list (src/people/data/common_passwords.txt), one per line, embedded at
// build time; the set's string_views point into this literal.
constexpr std::string_view kCommonPasswords =
#include "common_passwords.inc"
    ;

// More bytes than 128 code points can come from after NFKC composition (Hangul jamo compose 3
// code points of 3 bytes into one): longer inputs are too long without normalising them.
constexpr size_t kMaxInputBytes = 4096;

Error PasswordError(std::string code, std::string message, std::string_view param) {
  return Error::Invalid(std::move(code), std::move(message), std::string(param));
}

bool ValidUtf8NoNul(std::string_view s) {
  int32_t i = 0;
  const int32_t n = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < n) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0 || c == 0) return false;
  }
  return true;
}

std::string Fold(std::string_view s) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), s.size()));
  u.foldCase();
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string Nfkc(std::string_view s) {
  UErrorCode st = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(st);
  if (U_FAILURE(st)) return std::string(s);
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), s.size()));
  icu::UnicodeString norm = n->normalize(u, st);
  if (U_FAILURE(st)) return std::string(s);
  std::string out;
  norm.toUTF8String(out);
  return out;
}

int32_t CodePoints(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), s.size())).countChar32();
}

bool HasLetterAndDigit(std::string_view s) {
  bool letter = false;
  bool digit = false;
  int32_t i = 0;
  const int32_t n = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < n) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0) continue;
    if (u_isalpha(c)) letter = true;
    if (u_isdigit(c)) digit = true;
  }
  return letter && digit;
}

void AddWord(std::vector<std::string>& words, std::string_view w) {
  std::string f = Fold(w);
  if (CodePoints(f) < 4) return;
  if (std::find(words.begin(), words.end(), f) == words.end()) words.push_back(std::move(f));
}

// Splits on characters that are neither letters nor digits.
std::vector<std::string> Pieces(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  int32_t i = 0;
  const int32_t n = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < n) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c >= 0 && (u_isalpha(c) || u_isdigit(c))) {
      cur.append(s.substr(static_cast<size_t>(start), static_cast<size_t>(i - start)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

PasswordPolicy::PasswordPolicy() {
  std::string_view rest = kCommonPasswords;
  common_.reserve(32768);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    if (!line.empty()) common_.insert(line);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
}

Result<SecureBytes> PasswordPolicy::Normalize(std::string_view password, std::string_view param) {
  if (!ValidUtf8NoNul(password)) {
    return PasswordError("parameter_invalid", "The password must be valid UTF-8 text.", param);
  }
  std::string norm = Nfkc(password);
  return SecureBytes::TakeFrom(norm);
}

std::vector<std::string> PasswordPolicy::ContextWords(const PasswordContext& context) {
  std::vector<std::string> words;
  AddWord(words, "liasonpay");
  const std::string email = Nfkc(context.email);
  const size_t at = email.rfind('@');
  if (at != std::string::npos) {
    const std::string_view local = std::string_view(email).substr(0, at);
    AddWord(words, local);
    for (const auto& piece : Pieces(local)) AddWord(words, piece);
    // Domain labels, except the top-level one ("com", "info", …).
    std::vector<std::string> labels = Pieces(std::string_view(email).substr(at + 1));
    if (!labels.empty()) labels.pop_back();
    for (const auto& l : labels) AddWord(words, l);
  } else if (!email.empty()) {
    AddWord(words, email);
  }
  for (const auto& w : context.other_words) {
    const std::string n = Nfkc(w);
    std::string joined;
    for (const auto& piece : Pieces(n)) joined += piece;
    AddWord(words, joined);
  }
  return words;
}

int PasswordPolicy::StrengthScore(std::string_view normalized,
                                  const std::vector<std::string>& words) {
  std::vector<const char*> dict;
  dict.reserve(words.size() + 1);
  for (const auto& w : words) dict.push_back(w.c_str());
  dict.push_back(nullptr);
  const std::string z(normalized);
  // zxcvbn-c returns log2 of the estimated guesses; the score uses zxcvbn's thresholds on
  // guesses: < 10^3, < 10^6, < 10^8, < 10^10, else 4.
  const double bits = ZxcvbnMatch(z.c_str(), dict.data(), nullptr);
  const double log10_guesses = bits * std::log10(2.0);
  if (log10_guesses < 3) return 0;
  if (log10_guesses < 6) return 1;
  if (log10_guesses < 8) return 2;
  if (log10_guesses < 10) return 3;
  return 4;
}

bool PasswordPolicy::IsCommon(std::string_view normalized) const {
  const std::string folded = Fold(normalized);
  return common_.contains(std::string_view(folded));
}

Result<SecureBytes> PasswordPolicy::Check(std::string_view password, const PasswordContext& context,
                                          std::string_view param) const {
  if (password.size() > kMaxInputBytes) {
    return PasswordError("password_too_long", "The password must be at most 128 characters.",
                         param);
  }
  auto norm = Normalize(password, param);
  if (!norm) return norm.error();
  const std::string_view pw = norm->view();
  const int32_t length = CodePoints(pw);
  if (length < kMinPasswordLength) {
    return PasswordError("password_too_short", "The password must be at least 15 characters.",
                         param);
  }
  if (length > kMaxPasswordLength) {
    return PasswordError("password_too_long", "The password must be at most 128 characters.",
                         param);
  }
  if (IsCommon(pw)) {
    return PasswordError("password_blocklisted",
                         "This password is on a list of common passwords. Choose another.", param);
  }
  const std::vector<std::string> words = ContextWords(context);
  std::string folded = Fold(pw);
  for (const auto& w : words) {
    if (folded.find(w) != std::string::npos) {
      crypto::SecureWipe(folded);
      return PasswordError("password_contains_context",
                           "The password must not contain the product name or parts of your "
                           "e-mail address or company name.",
                           param);
    }
  }
  crypto::SecureWipe(folded);
  if (context.kind == AccountKind::kOperator && !HasLetterAndDigit(pw)) {
    return PasswordError("password_too_weak",
                         "An operator password must contain at least one letter and one digit.",
                         param);
  }
  if (StrengthScore(pw, words) < kMinStrengthScore) {
    return PasswordError("password_too_weak",
                         "This password is too easy to guess. Try a longer phrase of unrelated "
                         "words.",
                         param);
  }
  return std::move(*norm);
}

std::string EmailKey(std::string_view email) {
  std::string n = Fold(Nfkc(email));
  const auto first = n.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = n.find_last_not_of(" \t\r\n");
  return n.substr(first, last - first + 1);
}

bool LooksLikeEmail(std::string_view email) {
  if (email.empty() || email.size() > 254 || !ValidUtf8NoNul(email)) return false;
  for (unsigned char c : email) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  const size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 ||
      email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = email.substr(at + 1);
  const size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.';
}

}  // namespace lp::people
