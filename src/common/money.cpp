#include "lp/common/money.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <string>

namespace lp {
namespace {

constexpr Currency kCurrencies[] = {
#define LP_ISO4217(code, numeric, minor_units) Currency{code, minor_units},
#include "iso4217_table.inc"
#undef LP_ISO4217
};

constexpr bool CodeLess(const Currency& a, const Currency& b) { return a.Code() < b.Code(); }
// LookupCurrency binary-searches, so a hand edit that breaks the strict order (or duplicates a
// code) must not compile.
static_assert(std::adjacent_find(std::begin(kCurrencies), std::end(kCurrencies),
                                 [](const Currency& a, const Currency& b) {
                                   return !CodeLess(a, b);
                                 }) == std::end(kCurrencies));

char AsciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string_view KindName(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "an integer";
    case boost::json::kind::double_:
      return "a decimal number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "an unknown value";
}

Error InvalidParam(std::string_view param, std::string message) {
  return Error::Invalid("parameter_invalid", std::move(message), std::string(param));
}

}  // namespace

std::optional<Currency> LookupCurrency(std::string_view code) {
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), IsAsciiLetter)) {
    return std::nullopt;
  }
  Currency key;
  std::transform(code.begin(), code.end(), key.code, AsciiUpper);
  const auto* it = std::lower_bound(std::begin(kCurrencies), std::end(kCurrencies), key, CodeLess);
  if (it == std::end(kCurrencies) || it->Code() != key.Code()) {
    return std::nullopt;
  }
  return *it;
}

Currency StoredCurrency(std::string_view code) {
  if (auto c = LookupCurrency(code)) return *c;
  Currency verbatim;
  code.copy(verbatim.code, 3);
  return verbatim;
}

std::span<const Currency> AllCurrencies() { return kCurrencies; }

Result<int64_t> ParseAmount(const boost::json::value& v, std::string_view param, bool allow_zero) {
  const std::string p(param);
  const std::string want =
      p + " must be a whole number of the currency's minor units (e.g. 1099 for 10.99 USD)";
  // A decimal is refused even when integral (10.0): the client is probably sending major units,
  // and guessing would charge 100x the intended amount.
  if (!v.is_int64() && !v.is_uint64()) {
    return InvalidParam(param, want + ", not " + std::string(KindName(v)) + ".");
  }
  if (v.is_int64() && v.get_int64() < 0) {
    return InvalidParam(param, p + " must not be negative.");
  }
  // The parser makes uint64 only above INT64_MAX, but a value built in code may hold any.
  const uint64_t magnitude = v.is_uint64() ? v.get_uint64() : static_cast<uint64_t>(v.get_int64());
  if (magnitude > static_cast<uint64_t>(kMaxAmount)) {
    return InvalidParam(param, p + " must be at most " + std::to_string(kMaxAmount) + ".");
  }
  const auto amount = static_cast<int64_t>(magnitude);
  if (amount == 0 && !allow_zero) {
    return InvalidParam(param, p + " must be greater than zero.");
  }
  return amount;
}

Result<Currency> ParseCurrency(const boost::json::value& v, std::string_view param) {
  const std::string p(param);
  if (!v.is_string()) {
    return InvalidParam(param,
                        p + " must be a three-letter ISO 4217 currency code (e.g. \"usd\"), not " +
                            std::string(KindName(v)) + ".");
  }
  const boost::json::string& s = v.get_string();
  const std::string_view code(s.data(), s.size());
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), IsAsciiLetter)) {
    // The value is not echoed: it is arbitrary client input and may be long or sensitive.
    return InvalidParam(param,
                        p + " must be a three-letter ISO 4217 currency code (e.g. \"usd\").");
  }
  auto currency = LookupCurrency(code);
  if (!currency) {
    std::string upper(3, ' ');
    std::transform(code.begin(), code.end(), upper.begin(), AsciiUpper);
    return InvalidParam(param, p + ": unsupported currency \"" + upper + "\".");
  }
  return *currency;
}

}  // namespace lp
