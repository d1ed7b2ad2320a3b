// Money, PRODUCT.md §2: an integer amount in the currency's minor units plus an ISO 4217
// currency. Owns the currency table (src/common/iso4217_table.inc, generated from ISO 4217 by
// scripts/gen_iso4217.py) and the validation of amount/currency request parameters. Never uses
// floating point, and knows nothing about HTTP: errors are lp::Error values naming the parameter.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "lp/common/result.hpp"

namespace lp {

struct Currency {
  char code[4] = {};  // uppercase ISO 4217 alphabetic code, NUL-terminated
  int exponent = 0;   // ISO 4217 minor units: JPY 0, USD 2, KWD 3, CLF 4

  // Empty for a default-constructed currency.
  constexpr std::string_view Code() const { return std::string_view(code); }
  friend bool operator==(const Currency&, const Currency&) = default;
};

struct Money {
  int64_t minor_units = 0;
  Currency currency;

  friend bool operator==(const Money&, const Money&) = default;
};

// The largest accepted amount: 2^53 - 1 (JavaScript's Number.MAX_SAFE_INTEGER), so every amount
// survives a round trip through a JSON client that stores numbers as IEEE doubles: 2^53 itself
// cannot be told from 2^53 + 1 there.
inline constexpr int64_t kMaxAmount = (int64_t{1} << 53) - 1;

// `code` is matched case-insensitively; the result carries the uppercase code. Only active
// ISO 4217 codes with integer minor units are known (no XAU, XTS, XXX, XDR, ...).
std::optional<Currency> LookupCurrency(std::string_view code);
// A currency read back from storage: the table's entry; or, should a later table no longer list
// the stored code, that code as stored with exponent 0, so that no stored row becomes unreadable.
Currency StoredCurrency(std::string_view code);
// Every known currency, sorted by code.
std::span<const Currency> AllCurrencies();

// An amount parameter: a JSON integer in 1..2^53-1 (0 too when `allow_zero`). Floats (even 10.0),
// strings, booleans, null, negatives and larger numbers are parameter_invalid errors naming
// `param`.
Result<int64_t> ParseAmount(const boost::json::value& v, std::string_view param, bool allow_zero);
// A currency parameter: a three-letter string naming a known currency, in any case.
Result<Currency> ParseCurrency(const boost::json::value& v, std::string_view param);

}  // namespace lp
