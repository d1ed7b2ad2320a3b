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

// A run is digit groups joined by single separators. Every window of whole groups is bounded by
// non-digits, so each is a candidate, not only the whole run: otherwise a card number followed by
// its expiry or CVC ("4242 4242 4242 4242 12/34") would be read as one 18-digit non-PAN and leak.
// Each window holds at most 19 digits, so every group is visited a bounded number of times.
std::optional<Span> FindPan(std::string_view s, size_t from) {
  const auto group_end = [&](size_t p) {
    while (p < s.size() && IsDigit(s[p])) {
      ++p;
    }
    return p;
  };
  size_t i = from;
  while (i < s.size()) {
    if (!IsDigit(s[i]) || (i > 0 && IsDigit(s[i - 1]))) {
      ++i;
      continue;
    }
    // Group i starts a window; extend it group by group while it holds at most 19 digits.
    if (s[i] >= '2' && s[i] <= '6') {
      char digits[19];
      size_t n = 0;
      std::optional<Span> longest;  // mask as much as possible when several windows are valid
      size_t g = i;
      while (true) {
        const size_t e = group_end(g);
        if (n + (e - g) > sizeof(digits)) {
          break;
        }
        for (size_t p = g; p < e; ++p) {
          digits[n++] = s[p];
        }
        if (n >= 13 && LuhnValid(std::string_view(digits, n))) {
          longest = Span{i, e};
        }
        if (e + 1 < s.size() && IsSep(s[e]) && IsDigit(s[e + 1])) {
          g = e + 1;
        } else {
          break;
        }
      }
      if (longest) {
        return longest;
      }
    }
    i = group_end(i);
  }
  return std::nullopt;
}

}  // namespace lp
