// The password rules of PRODUCT.md §4 (NIST 800-63B-4, PCI DSS 8.3.6, ASVS 6.2): every check that
// needs no stored hash. The "not one of the last 4" rule needs the account's hashes and runs in
// AccountService. Passwords are NFKC-normalised first (ICU); lengths count code points.
//
// Order of checks and error codes (400 invalid_request_error, `param` as the caller names it):
//   password_too_short (< 15) · password_too_long (> 128) · password_blocklisted (the common
//   list, case-insensitive) · password_contains_context ("liasonpay", the e-mail's local part and
//   domain labels, the merchant's name) · password_too_weak (zxcvbn score < 3, or an operator's
//   password without a letter and a digit).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"
#include "lp/people/model.hpp"

namespace lp::people {

inline constexpr int kMinPasswordLength = 15;
inline constexpr int kMaxPasswordLength = 128;
inline constexpr int kPasswordHistory = 4;   // a new password is none of the last 4 (PCI 8.3.7)
inline constexpr int kMinStrengthScore = 3;  // zxcvbn's 0–4 scale

struct PasswordContext {
  AccountKind kind = AccountKind::kUser;
  std::string email;
  std::vector<std::string> other_words;  // e.g. the merchant's name
};

class PasswordPolicy {
 public:
  // Loads the embedded common-password list into a hash set once.
  PasswordPolicy();

  // Normalises and checks; returns the NFKC form (what is hashed) or the first rule broken.
  Result<SecureBytes> Check(std::string_view password, const PasswordContext& context,
                            std::string_view param) const;

  // NFKC; invalid UTF-8 or a NUL character is 400 parameter_invalid.
  static Result<SecureBytes> Normalize(std::string_view password, std::string_view param);
  // The words a password may not contain, case-folded: "liasonpay", the e-mail's local part and
  // its pieces, its domain labels except the last, the other words; each of ≥ 4 characters.
  static std::vector<std::string> ContextWords(const PasswordContext& context);
  // zxcvbn's score (0–4) of a normalised password, with `words` as the user dictionary.
  static int StrengthScore(std::string_view normalized, const std::vector<std::string>& words);
  // Whether the (normalised) password is on the common list (compared case-folded).
  bool IsCommon(std::string_view normalized) const;
  std::size_t ListSize() const { return common_.size(); }

 private:
  std::unordered_set<std::string_view> common_;
};

// The e-mail address as accounts are keyed: NFKC, case-folded, surrounding spaces removed.
std::string EmailKey(std::string_view email);
// A plausible e-mail address (one '@', a local part, a domain with a dot, ≤ 254 bytes, no
// spaces or control characters).
bool LooksLikeEmail(std::string_view email);

}  // namespace lp::people
