#include "api/input.hpp"

#include <algorithm>

#include "lp/common/json_canonical.hpp"
#include "lp/common/pan.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::api {

namespace json = boost::json;

namespace {

Error PanDetected(std::string param) {
  return Error::Invalid("pan_detected",
                        "A card number was found in the request. LiasonPay takes PSP tokens "
                        "(tok_…, pm_…), never raw card numbers.",
                        std::move(param));
}

// Finds a card number in any string value or key (PRODUCT.md §6); returns its path.
std::optional<std::string> FindPanIn(const json::value& v, const std::string& path) {
  switch (v.kind()) {
    case json::kind::string:
      if (ContainsPan(std::string_view(v.as_string()))) return path;
      return std::nullopt;
    case json::kind::object:
      for (const auto& kv : v.as_object()) {
        std::string child =
            path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
        if (ContainsPan(std::string_view(kv.key()))) return child;
        if (auto p = FindPanIn(kv.value(), child)) return p;
      }
      return std::nullopt;
    case json::kind::array: {
      size_t i = 0;
      for (const auto& e : v.as_array()) {
        if (auto p = FindPanIn(e, path + "[" + std::to_string(i++) + "]")) return p;
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

// The media type (before any ';' parameters), case-insensitively, is application/json.
bool IsJsonContentType(std::optional<std::string_view> header) {
  if (!header) return false;
  std::string_view v = header->substr(0, header->find(';'));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  constexpr std::string_view kJson = "application/json";
  return v.size() == kJson.size() &&
         std::equal(v.begin(), v.end(), kJson.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// Boost.JSON keeps the last of duplicate keys silently; a request with duplicates is ambiguous,
// so it is refused. Scans text that already parsed as JSON; returns the first duplicate key.
std::optional<std::string> FindDuplicateKey(std::string_view text) {
  struct Level {
    bool object;
    bool expect_key;
    std::vector<std::string_view> keys;
  };
  std::vector<Level> stack;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      const size_t start = ++i;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      std::string_view str = text.substr(start, i - start);
      if (!stack.empty() && stack.back().object && stack.back().expect_key) {
        auto& keys = stack.back().keys;
        if (std::find(keys.begin(), keys.end(), str) != keys.end()) return std::string(str);
        keys.push_back(str);
        stack.back().expect_key = false;
      }
    } else if (c == '{') {
      stack.push_back({true, true, {}});
    } else if (c == '[') {
      stack.push_back({false, false, {}});
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
    } else if (c == ',' && !stack.empty() && stack.back().object) {
      stack.back().expect_key = true;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<json::object> ParseBody(const http::Request& req,
                               std::initializer_list<std::string_view> allowed) {
  if (req.body.empty()) return json::object();
  if (!IsJsonContentType(req.Header("content-type"))) {
    return Error{ErrorType::kUnsupportedMedia,
                 "unsupported_media_type",
                 "Send the request body as JSON with Content-Type: application/json.",
                 "Content-Type",
                 {}};
  }
  json::parse_options opt;
  opt.max_depth = 32;
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec, {}, opt);
  if (ec) {
    if (ContainsPan(req.body)) return PanDetected("body");
    return Error::Invalid("invalid_json",
                          ec == json::error::too_deep
                              ? "The JSON body is nested deeper than 32 levels."
                              : "The request body is not valid JSON: " + ec.message() + ".");
  }
  if (auto where = FindPanIn(v, "")) return PanDetected(*where);
  if (auto dup = FindDuplicateKey(req.body)) {
    return Error::Invalid("duplicate_parameter",
                          "The JSON body has the key '" + dup->substr(0, 100) + "' twice.",
                          dup->substr(0, 100));
  }
  if (!v.is_object()) return Error::Invalid("invalid_json", "The JSON body must be an object.");
  auto& o = v.as_object();
  for (const auto& kv : o) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == kv.key();
    if (!ok) {
      return Error::Invalid("parameter_unknown",
                            "Received unknown parameter: " + std::string(kv.key()),
                            std::string(kv.key()));
    }
  }
  return std::move(o);
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
// Form-style decoding ('+' is a space). Lenient on purpose: clients send `created[gte]` with raw
// brackets, which strict RFC 3986 parsers (Boost.URL) refuse.
std::optional<std::string> DecodeComponent(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%') {
      int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}
}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    const http::Request& req, std::initializer_list<std::string_view> allowed) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view q = req.query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    auto key = DecodeComponent(part.substr(0, eq));
    auto value =
        DecodeComponent(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    if (!key || !value) {
      return Error::Invalid("invalid_query", "The query string has a malformed %-escape.");
    }
    if (ContainsPan(*key) || ContainsPan(*value)) return PanDetected(*key);
    bool ok = false;
    for (auto a : allowed) ok = ok || a == *key;
    if (!ok)
      return Error::Invalid("parameter_unknown", "Received unknown parameter: " + *key, *key);
    if (out.size() >= 50) return Error::Invalid("invalid_query", "Too many query parameters.");
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

std::optional<std::string> QueryValue(const std::vector<std::pair<std::string, std::string>>& q,
                                      std::string_view name) {
  for (const auto& [k, v] : q) {
    if (k == name) return v;
  }
  return std::nullopt;
}

namespace {
Result<int64_t> ParseIntParam(const std::string& v, std::string_view name, int64_t lo, int64_t hi) {
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used == v.size() && n >= lo && n <= hi) return n;
  } catch (...) {
  }
  return Error::Invalid("parameter_invalid",
                        std::string(name) + " must be an integer between " + std::to_string(lo) +
                            " and " + std::to_string(hi) + ".",
                        std::string(name));
}
}  // namespace

Result<core::ListParams> ParseListParams(
    const std::vector<std::pair<std::string, std::string>>& query) {
  core::ListParams p;
  if (auto v = QueryValue(query, "limit")) {
    auto n = ParseIntParam(*v, "limit", 1, 100);
    if (!n) return n.error();
    p.limit = static_cast<int>(*n);
  }
  p.starting_after = QueryValue(query, "starting_after");
  p.ending_before = QueryValue(query, "ending_before");
  if (p.starting_after && p.ending_before) {
    return Error::Invalid("parameter_invalid", "Pass starting_after or ending_before, not both.",
                          "ending_before");
  }
  if (auto v = QueryValue(query, "created[gte]")) {
    auto n = ParseIntParam(*v, "created[gte]", 0, 1LL << 40);
    if (!n) return n.error();
    p.created_gte = *n;
  }
  if (auto v = QueryValue(query, "created[lte]")) {
    auto n = ParseIntParam(*v, "created[lte]", 0, 1LL << 40);
    if (!n) return n.error();
    p.created_lte = *n;
  }
  return p;
}

Result<std::optional<std::string>> OptString(const json::object& o, std::string_view name,
                                             size_t max_len) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) {
    return Error::Invalid("parameter_invalid", std::string(name) + " must be a string.",
                          std::string(name));
  }
  if (v->as_string().size() > max_len) {
    return Error::Invalid(
        "parameter_invalid",
        std::string(name) + " must be at most " + std::to_string(max_len) + " characters.",
        std::string(name));
  }
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::optional<bool>> OptBool(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<bool>();
  if (!v->is_bool()) {
    return Error::Invalid("parameter_invalid", std::string(name) + " must be true or false.",
                          std::string(name));
  }
  return std::optional<bool>(v->as_bool());
}

namespace {

// The Idempotency-Key header alone, validated; the request hash is left empty.
Result<core::Idempotency> IdempotencyKeyOf(const http::Request& req) {
  core::Idempotency idem;
  auto key = req.Header("idempotency-key");
  if (!key) return idem;
  if (key->empty() || key->size() > 255) {
    return Error::Invalid("idempotency_key_invalid",
                          "The Idempotency-Key must be 1 to 255 characters.", "Idempotency-Key");
  }
  for (char c : *key) {
    if (c < 0x21 || c > 0x7e) {
      return Error::Invalid("idempotency_key_invalid",
                            "The Idempotency-Key may hold printable ASCII characters only.",
                            "Idempotency-Key");
    }
  }
  idem.key = std::string(*key);
  return idem;
}

// The request's parameters, not its bytes: the same JSON in another key order or spacing is the
// same request. `parsed` is the body as JSON, or null when it is not JSON (then its bytes count).
std::string RequestHash(const http::Request& req, const json::value* parsed) {
  std::string material = req.method + " " + req.path + "\n";
  if (parsed) {
    material += CanonicalJson(*parsed);
  } else {
    material += req.body;
  }
  return crypto::Hex(crypto::Sha256(material));
}

}  // namespace

Result<core::Idempotency> IdempotencyOf(const http::Request& req) {
  auto idem = IdempotencyKeyOf(req);
  if (!idem || idem->key.empty()) return idem;
  boost::system::error_code ec;
  json::parse_options opt;
  opt.max_depth = 32;
  auto v = req.body.empty() ? json::value(json::object()) : json::parse(req.body, ec, {}, opt);
  idem->request_hash = RequestHash(req, ec ? nullptr : &v);
  return idem;
}

Result<IdempotentBody> ParseIdempotentBody(const http::Request& req,
                                           std::initializer_list<std::string_view> allowed) {
  auto idem = IdempotencyKeyOf(req);
  if (!idem) return idem.error();
  auto body = ParseBody(req, allowed);
  if (!body) return body.error();
  IdempotentBody out{std::move(*idem), json::value(std::move(*body))};
  // The body parsed once: the hash is taken from the same JSON the handler reads.
  if (!out.idem.key.empty()) out.idem.request_hash = RequestHash(req, &out.json);
  return out;
}

}  // namespace lp::api
