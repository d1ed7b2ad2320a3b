// Card-number (PAN) detection, PRODUCT.md §6. The one rule: after Unicode NFKC normalisation (so
// fullwidth, mathematical, superscript … digits become digits, and every other decimal digit,
// \p{Nd}, counts with its numeric value), a run of 13–19 digits, optionally separated by any
// single non-alphanumeric character (space, NBSP, dash, en-dash, dot, slash, underscore, tab,
// zero-width space, combining mark, ill-formed UTF-8 byte …) or by a pair of white-space
// characters, bounded by non-digits, first digit 2–6, Luhn-valid. Inside a longer separated run,
// each stretch of whole digit groups is checked too, so a card number followed by an expiry or
// preceded by a phone number is still found.
//
// Linear in the input. Plain ASCII with fewer than 13 digits (most strings) is one counting pass
// and no ICU call. Spans are byte offsets into the input as given (not the normalised text), so
// callers can mask them.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace lp {

struct Span {
  size_t begin = 0;
  size_t end = 0;  // one past the last byte
};

// `digits` are ASCII digits.
bool LuhnValid(std::string_view digits);
// The first PAN-looking span, if any (it stops there).
std::optional<Span> FindPan(std::string_view text);
// Every PAN-looking span, in order, not overlapping (after a match, the search goes on after it;
// when one character's NFKC form holds digits of two numbers, e.g. "½" = "1⁄2", the second span
// starts where the first ends).
std::vector<Span> FindPans(std::string_view text);
inline bool ContainsPan(std::string_view text) { return FindPan(text).has_value(); }

}  // namespace lp
