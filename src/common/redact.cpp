#include "lp/common/redact.hpp"

#include <array>

#include "lp/common/pan.hpp"

namespace lp {
namespace {

constexpr std::array<std::string_view, 7> kSecretPrefixes = {
    "sk_test_", "sk_live_", "rk_test_", "rk_live_", "whsec_", "pk_live_", "pk_test_"};

bool IsTokenChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' ||
         c == '/' || c == '=' || c == '_';
}

std::string RedactSecrets(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    bool matched = false;
    if (in[i] == 's' || in[i] == 'r' || in[i] == 'w' || in[i] == 'p') {
      for (auto p : kSecretPrefixes) {
        if (in.substr(i, p.size()) == p) {
          size_t j = i + p.size();
          while (j < in.size() && IsTokenChar(in[j])) ++j;
          if (j > i + p.size()) {
            out.append(p);
            out.append("***");
            i = j;
            matched = true;
          }
          break;
        }
      }
    }
    if (!matched) out.push_back(in[i++]);
  }
  return out;
}

}  // namespace

std::string Redact(std::string_view text) {
  std::string s = RedactSecrets(text);
  size_t from = 0;
  while (auto span = FindPan(s, from)) {
    constexpr std::string_view kMask = "[REDACTED_PAN]";
    s.replace(span->begin, span->end - span->begin, kMask);
    from = span->begin + kMask.size();
  }
  return s;
}

}  // namespace lp
