#include "lp/common/pan.hpp"

namespace lp {
namespace {
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSep(char c) { return c == ' ' || c == '-'; }
}  // namespace

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return !digits.empty() && sum % 10 == 0;
}

std::optional<Span> FindPan(std::string_view s, size_t from) {
  size_t i = from;
  while (i < s.size()) {
    if (!IsDigit(s[i]) || (i > 0 && IsDigit(s[i - 1]))) {
      ++i;
      continue;
    }
    // A run starts at i: digits, with single separators between digits.
    char digits[20];
    size_t n = 0;
    size_t j = i;
    bool too_long = false;
    while (j < s.size()) {
      if (IsDigit(s[j])) {
        if (n < sizeof(digits)) digits[n] = s[j];
        ++n;
        ++j;
      } else if (IsSep(s[j]) && j + 1 < s.size() && IsDigit(s[j + 1]) && j > i) {
        ++j;
      } else {
        break;
      }
    }
    too_long = n > 19;
    if (!too_long && n >= 13 && digits[0] >= '2' && digits[0] <= '6' &&
        LuhnValid(std::string_view(digits, n))) {
      return Span{i, j};
    }
    i = j;
  }
  return std::nullopt;
}

}  // namespace lp
