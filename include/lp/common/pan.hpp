// Card-number (PAN) detection, PRODUCT.md §6: a run of 13–19 digits, optionally separated by
// single spaces or dashes, bounded by non-digits, first digit 2–6, Luhn-valid. Inside a longer
// separated run, each stretch of whole digit groups is checked too, so a card number followed
// by an expiry or preceded by a phone number is still found.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace lp {

struct Span {
  size_t begin = 0;
  size_t end = 0;  // one past the last character
};

bool LuhnValid(std::string_view digits);
// The first PAN-looking span at or after `from`, if any.
std::optional<Span> FindPan(std::string_view text, size_t from = 0);
inline bool ContainsPan(std::string_view text) { return FindPan(text).has_value(); }

}  // namespace lp
