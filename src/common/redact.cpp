#include "lp/common/redact.hpp"

#include <array>
#include <vector>

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
  // Card numbers by the detector's own rule (PRODUCT.md §6), in one pass: every span is masked,
  // and the mask ("[REDACTED_PAN]", letters inside) cannot join digits on either side into a new
  // number, so redacting again changes nothing.
  const std::vector<Span> spans = FindPans(s);
  if (spans.empty()) {
    return s;
  }
  constexpr std::string_view kMask = "[REDACTED_PAN]";
  std::string out;
  out.reserve(s.size());
  size_t at = 0;
  for (const Span& span : spans) {
    out.append(s, at, span.begin - at);
    out.append(kMask);
    at = span.end;
  }
  out.append(s, at, std::string::npos);
  return out;
}

}  // namespace lp
