// The redactor (see redact.hpp). One left-to-right pass finds the secrets, then the card-number
// detector masks PANs. Each rule looks a bounded distance ahead or jumps over what it masked, so
// the pass is linear in the input; no rule can match text another rule's mask produced, so
// redacting twice changes nothing (fuzz/pan_fuzz.cpp checks both).
#include "lp/common/redact.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "lp/common/pan.hpp"

namespace lp {
namespace {

// Credentials recognisable by their own prefix: Stripe secret, restricted and publishable keys,
// Standard Webhooks / Stripe webhook secrets (LiasonPay's API keys share Stripe's prefixes).
// The prefix is kept: it tells which kind of key it was.
constexpr std::array<std::string_view, 7> kSecretPrefixes = {
    "sk_test_", "sk_live_", "rk_test_", "rk_live_", "whsec_", "pk_live_", "pk_test_"};
// Adyen API keys: "AQE" and a long base64-ish body ("AQEyhmfx…=-…=").
constexpr std::string_view kAdyenPrefix = "AQE";
constexpr size_t kAdyenMinBody = 20;

constexpr std::string_view kMask = "***";

enum class ValueKind {
  kToken,   // the value is one token (or a quoted string, or a list)
  kHeader,  // an HTTP header: unquoted, the value runs to the end of the line
  kScheme,  // "Bearer <token>": a long token after spaces
};

struct Keyword {
  std::string_view lower;  // matched case-insensitively, anywhere (so "client_secret" matches)
  ValueKind kind;
};

// A keyword counts only when a separator follows it at once: optionally a quote, then ':' or '='
// (kScheme: spaces). So "password_policy" or "the password is" stay as they are.
constexpr std::array<Keyword, 18> kKeywords = {{
    {"password", ValueKind::kToken},
    {"passwd", ValueKind::kToken},
    {"passphrase", ValueKind::kToken},
    {"secret", ValueKind::kToken},  // TOTP "secret=" in otpauth URIs, client/webhook secrets
    {"recovery_code", ValueKind::kToken},
    {"recovery_codes", ValueKind::kToken},
    {"lp_session", ValueKind::kToken},      // __Host-lp_session=<token>
    {"lp_ops_session", ValueKind::kToken},  // __Host-lp_ops_session=<token>
    {"_token", ValueKind::kToken},          // csrf_token, access_token, session_token …
    {"-token", ValueKind::kToken},          // X-CSRF-Token
    {"api_key", ValueKind::kToken},
    {"apikey", ValueKind::kToken},
    {"hmac_key", ValueKind::kToken},
    {"hmackey", ValueKind::kToken},  // Adyen's webhook HMAC key
    {"authorization", ValueKind::kHeader},
    {"cookie", ValueKind::kHeader},   // Cookie and Set-Cookie
    {"api-key", ValueKind::kHeader},  // X-API-Key (Adyen)
    {"bearer", ValueKind::kScheme},
}};
constexpr size_t kBearerMinToken = 16;

// Recovery codes as LiasonPay prints them: three groups of four of Crockford's base32 in lower
// case ("7h2k-x9qm-4vtr"). Hex keys: 64 or more hex digits in a row (Adyen HMAC keys).
constexpr size_t kMinHexKey = 64;

constexpr char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool IsTokenChar(char c) {
  return IsAlnum(c) || c == '+' || c == '/' || c == '=' || c == '_';
}
constexpr bool IsAdyenChar(char c) { return IsTokenChar(c) || c == '-' || c == '~' || c == '.'; }
// RFC 6750 b64token.
constexpr bool IsBearerChar(char c) {
  return IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' ||
         c == '=';
}
constexpr bool IsCrockford(char c) {
  return (c >= '0' && c <= '9') ||
         (c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u');
}
// What may not touch a recovery code or a hex key for it to count as one. The masks' own
// characters ('*', and the brackets of "[REDACTED_PAN]") are in it, so a shape next to a mask
// never matches on a second pass when it did not on the first.
constexpr bool IsWordish(char c) {
  return IsAlnum(c) || c == '_' || c == '-' || c == '*' || c == '[' || c == ']';
}
// Where an unquoted token value ends.
constexpr bool EndsToken(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' || c == '&' ||
         c == ';' || c == ',' || c == '}' || c == ']' || c == ')' || c == '<' || c == '>' ||
         c == '\\';
}
constexpr bool EndsHeader(char c) { return c == '\r' || c == '\n'; }

bool MatchesLower(std::string_view in, size_t at, std::string_view lower) {
  if (in.size() - at < lower.size()) {
    return false;
  }
  for (size_t k = 0; k < lower.size(); ++k) {
    if (Lower(in[at + k]) != lower[k]) {
      return false;
    }
  }
  return true;
}

// One masked stretch: [begin, end) of the input becomes `keep` (a key prefix worth keeping),
// then "***"; the scan goes on at `end`.
struct Match {
  size_t begin = 0;       // first byte replaced (after what is kept verbatim)
  size_t end = 0;         // one past the last byte replaced
  std::string_view keep;  // written before the mask
};

// `value` masked: a known key prefix stays (so the kind of key is still visible).
std::string_view KeptPrefix(std::string_view value) {
  for (auto p : kSecretPrefixes) {
    if (value.size() > p.size() && value.substr(0, p.size()) == p) {
      return p;
    }
  }
  if (value.size() > kAdyenPrefix.size() && value.substr(0, kAdyenPrefix.size()) == kAdyenPrefix) {
    return kAdyenPrefix;
  }
  return {};
}

std::optional<Match> PrefixedKey(std::string_view in, size_t i) {
  const char c = in[i];
  const char next = i + 1 < in.size() ? in[i + 1] : '\0';
  if (((c == 's' || c == 'r' || c == 'p') && next == 'k') || (c == 'w' && next == 'h')) {
    for (auto p : kSecretPrefixes) {
      if (in.substr(i, p.size()) == p) {
        size_t j = i + p.size();
        while (j < in.size() && IsTokenChar(in[j])) {
          ++j;
        }
        if (j == i + p.size()) {
          return std::nullopt;  // a bare prefix, e.g. in documentation
        }
        return Match{i, j, p};
      }
    }
  } else if (c == 'A' && in.substr(i, kAdyenPrefix.size()) == kAdyenPrefix) {
    size_t j = i + kAdyenPrefix.size();
    while (j < in.size() && IsAdyenChar(in[j])) {
      ++j;
    }
    if (j - i - kAdyenPrefix.size() >= kAdyenMinBody) {
      return Match{i, j, kAdyenPrefix};
    }
  }
  return std::nullopt;
}

// The value after a keyword that ends at `k`: quoted (to the closing quote), a list (to ']'), or
// unquoted (to EndsToken / EndsHeader). Empty values and objects are left alone.
std::optional<Match> KeywordValue(std::string_view in, size_t k, ValueKind kind) {
  const size_t n = in.size();
  size_t j = k;
  if (kind == ValueKind::kScheme) {
    if (j >= n || in[j] != ' ') {
      return std::nullopt;
    }
    while (j < n && in[j] == ' ') {
      ++j;
    }
    size_t e = j;
    while (e < n && IsBearerChar(in[e])) {
      ++e;
    }
    if (e - j < kBearerMinToken) {
      return std::nullopt;
    }
    return Match{j, e, KeptPrefix(in.substr(j, e - j))};
  }
  if (j < n && in[j] == '\\') {
    ++j;  // the keyword inside an escaped JSON text: \"password\":\"…\"
  }
  if (j < n && (in[j] == '"' || in[j] == '\'')) {
    ++j;
  }
  while (j < n && in[j] == ' ') {
    ++j;
  }
  if (j >= n || (in[j] != ':' && in[j] != '=')) {
    return std::nullopt;
  }
  ++j;
  while (j < n && (in[j] == ' ' || in[j] == '\t')) {
    ++j;
  }
  if (j >= n) {
    return std::nullopt;
  }
  size_t b = j;
  size_t e = j;
  if (in[j] == '\\' && j + 1 < n && in[j + 1] == '"') {
    b = j + 2;  // \"value\": to the next backslash or quote
    e = b;
    while (e < n && in[e] != '\\' && in[e] != '"') {
      ++e;
    }
  } else if (in[j] == '"' || in[j] == '\'') {
    const char quote = in[j];
    b = j + 1;
    e = b;
    while (e < n && in[e] != quote) {
      e += (in[e] == '\\' && e + 1 < n) ? 2 : 1;
    }
    e = std::min(e, n);
  } else if (in[j] == '[') {
    b = j + 1;
    e = b;
    while (e < n && in[e] != ']') {
      ++e;
    }
  } else if (in[j] == '{') {
    return std::nullopt;  // an object: its own keys are looked at one by one
  } else if (kind == ValueKind::kHeader) {
    // "Bearer …", "Basic …": the scheme stays, its credentials go.
    size_t s = j;
    while (s < n && ((in[s] >= 'a' && in[s] <= 'z') || (in[s] >= 'A' && in[s] <= 'Z'))) {
      ++s;
    }
    if (s > j && s + 1 < n && in[s] == ' ') {
      b = s + 1;
    }
    e = b;
    while (e < n && !EndsHeader(in[e])) {
      ++e;
    }
  } else {
    while (e < n && !EndsToken(in[e])) {
      ++e;
    }
  }
  if (e == b) {
    return std::nullopt;
  }
  return Match{b, e, KeptPrefix(in.substr(b, e - b))};
}

// Bit k of kKeywordsByFirst[c]: keyword k starts with c (either case).
constexpr std::array<uint32_t, 256> MakeKeywordsByFirst() {
  std::array<uint32_t, 256> t{};
  for (size_t k = 0; k < kKeywords.size(); ++k) {
    const char c = kKeywords[k].lower[0];
    t[static_cast<unsigned char>(c)] |= uint32_t{1} << k;
    if (c >= 'a' && c <= 'z') {
      t[static_cast<unsigned char>(c - 'a' + 'A')] |= uint32_t{1} << k;
    }
  }
  return t;
}
constexpr std::array<uint32_t, 256> kKeywordsByFirst = MakeKeywordsByFirst();
static_assert(kKeywords.size() <= 32);

std::optional<Match> NamedSecret(std::string_view in, size_t i) {
  for (uint32_t bits = kKeywordsByFirst[static_cast<unsigned char>(in[i])]; bits != 0;
       bits &= bits - 1) {
    const Keyword& kw = kKeywords[static_cast<size_t>(__builtin_ctz(bits))];
    if (MatchesLower(in, i, kw.lower)) {
      if (auto m = KeywordValue(in, i + kw.lower.size(), kw.kind)) {
        return m;
      }
    }
  }
  return std::nullopt;
}

// Shapes (recovery codes, hex keys) start only where the previous byte is not word-ish.
std::optional<Match> Shape(std::string_view in, size_t i) {
  const size_t n = in.size();
  if ((i > 0 && IsWordish(in[i - 1])) || !(IsHex(in[i]) || IsCrockford(in[i]))) {
    return std::nullopt;
  }
  if (IsHex(in[i])) {
    size_t e = i;
    while (e < n && IsHex(in[e])) {
      ++e;
    }
    if (e - i >= kMinHexKey && (e == n || !IsWordish(in[e]))) {
      return Match{i, e, {}};
    }
  }
  if (n - i >= 14) {
    bool code = true;
    for (size_t k = 0; k < 14 && code; ++k) {
      code = (k == 4 || k == 9) ? in[i + k] == '-' : IsCrockford(in[i + k]);
    }
    if (code && (i + 14 == n || !IsWordish(in[i + 14]))) {
      return Match{i, i + 14, {}};
    }
  }
  return std::nullopt;
}

// Where a rule can start, by the first two bytes (case-folded for names): most bytes of most
// text start none, and the scan passes them with two table lookups.
constexpr uint8_t kPrefixStart = 1;
constexpr uint8_t kNameStart = 2;
constexpr uint8_t kShapeStart = 4;  // a hex or Crockford digit
struct StartTables {
  std::array<uint8_t, 256> first{};
  std::array<uint64_t, 65536 / 64> pairs{};  // bit (a << 8 | b): a rule starts with "ab"
};
constexpr void AddPair(StartTables& t, char a, char b) {
  const unsigned pair = static_cast<unsigned char>(a) << 8 | static_cast<unsigned char>(b);
  t.pairs[pair / 64] |= uint64_t{1} << (pair % 64);
}
constexpr StartTables MakeStartTables() {
  StartTables t;
  for (auto p : kSecretPrefixes) {
    t.first[static_cast<unsigned char>(p[0])] |= kPrefixStart;
    AddPair(t, p[0], p[1]);
  }
  t.first[static_cast<unsigned char>(kAdyenPrefix[0])] |= kPrefixStart;
  AddPair(t, kAdyenPrefix[0], kAdyenPrefix[1]);
  for (const auto& kw : kKeywords) {
    const char a = kw.lower[0];
    const char b = kw.lower[1];
    const auto upper = [](char c) { return (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c; };
    for (char x : {a, upper(a)}) {
      t.first[static_cast<unsigned char>(x)] |= kNameStart;
      AddPair(t, x, b);
      AddPair(t, x, upper(b));
    }
  }
  for (int c = 0; c < 256; ++c) {
    if (IsHex(static_cast<char>(c)) || IsCrockford(static_cast<char>(c))) {
      t.first[static_cast<size_t>(c)] |= kShapeStart;
    }
  }
  return t;
}
constexpr StartTables kStarts = MakeStartTables();

bool PairStarts(std::string_view in, size_t i) {
  if (i + 1 >= in.size()) {
    return false;
  }
  const unsigned pair =
      static_cast<unsigned char>(in[i]) << 8 | static_cast<unsigned char>(in[i + 1]);
  return (kStarts.pairs[pair / 64] >> (pair % 64)) & 1;
}

// Calls `found` for each secret in order; stops early when it returns false.
template <class Found>
void ScanSecrets(std::string_view in, Found&& found) {
  size_t i = 0;
  while (i < in.size()) {
    const uint8_t starts = kStarts.first[static_cast<unsigned char>(in[i])];
    std::optional<Match> m;
    if ((starts & (kPrefixStart | kNameStart)) != 0 && PairStarts(in, i)) {
      if ((starts & kPrefixStart) != 0) {
        m = PrefixedKey(in, i);
      }
      if (!m && (starts & kNameStart) != 0) {
        m = NamedSecret(in, i);
      }
    }
    if (!m && (starts & kShapeStart) != 0 && (i == 0 || !IsWordish(in[i - 1]))) {
      m = Shape(in, i);
    }
    if (!m) {
      ++i;
      continue;
    }
    // Already masked ("sk_live_***", "password=***"): nothing to do, and nothing to report.
    const std::string_view value = in.substr(m->begin, m->end - m->begin);
    const bool masked = value.size() == m->keep.size() + kMask.size() &&
                        value.substr(0, m->keep.size()) == m->keep &&
                        value.substr(m->keep.size()) == kMask;
    if (!masked && !found(*m)) {
      return;
    }
    i = m->end;
  }
}

std::string RedactSecrets(std::string_view in) {
  std::string out;
  size_t copied = 0;
  bool any = false;
  ScanSecrets(in, [&](const Match& m) {
    if (!any) {
      out.reserve(in.size());
      any = true;
    }
    // Everything up to the value (the keyword, its separator, a quote) stays as it was.
    out.append(in.substr(copied, m.begin - copied));
    out.append(m.keep);
    out.append(kMask);
    copied = m.end;
    return true;
  });
  if (!any) {
    return std::string(in);
  }
  out.append(in.substr(copied));
  return out;
}

}  // namespace

bool ContainsSecret(std::string_view text) {
  bool any = false;
  ScanSecrets(text, [&](const Match&) {
    any = true;
    return false;
  });
  return any;
}

std::string Redact(std::string_view text) {
  std::string s = RedactSecrets(text);
  // Card numbers by the detector's own rule (PRODUCT.md §6), in one pass: every span is masked,
  // and the mask ("[REDACTED_PAN]", letters inside) cannot join digits on either side into a new
  // number, so redacting again changes nothing.
  const std::vector<Span> spans = FindPans(s);
  if (spans.empty()) {
    return s;
  }
  constexpr std::string_view kPanMask = "[REDACTED_PAN]";
  std::string out;
  out.reserve(s.size());
  size_t at = 0;
  for (const Span& span : spans) {
    out.append(s, at, span.begin - at);
    out.append(kPanMask);
    at = span.end;
  }
  out.append(s, at, std::string::npos);
  return out;
}

}  // namespace lp
