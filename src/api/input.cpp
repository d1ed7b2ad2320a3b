#include "api/input.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>

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

// Finds a card number in any string value (PRODUCT.md §6; keys were checked by ShapeHandler);
// returns its path.
std::optional<std::string> FindPanIn(const json::value& v, const std::string& path) {
  switch (v.kind()) {
    case json::kind::string:
      if (ContainsPan(std::string_view(v.as_string()))) return path;
      return std::nullopt;
    case json::kind::object:
      for (const auto& kv : v.as_object()) {
        std::string child =
            path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
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

// The body's shape, checked in one linear pass of Boost.JSON's SAX parser before any DOM is
// built (Boost.JSON's DOM keeps the last of duplicate keys silently, so duplicates can only be
// seen here). Keys are compared as the parser delivers them, after unescaping, so the check and
// the parser never disagree ("\u0061mount" is "amount"). Top-level keys are checked against the
// route's parameters as they arrive, so a body of unknown keys is refused at the first one;
// objects are capped at kMaxObjectMembers members; each object's keys are sorted once when it
// closes (n log n over the body, never quadratic).
class ShapeHandler {
 public:
  // Unbounded for the parser: on_key enforces kMaxObjectMembers with an error of its own.
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  explicit ShapeHandler(std::initializer_list<std::string_view> allowed) : allowed_(allowed) {}

  // The first problem found, if any.
  std::optional<Error> error;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    levels_.push_back({true, {}});
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code& ec) {
    auto& keys = levels_.back().keys;
    std::sort(keys.begin(), keys.end());
    auto dup = std::adjacent_find(keys.begin(), keys.end());
    if (dup != keys.end()) {
      const std::string shown = dup->substr(0, 100);
      return Fail(ec, Error::Invalid("duplicate_parameter",
                                     "The JSON body has the key '" + shown + "' twice.", shown));
    }
    levels_.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) {
    levels_.push_back({false, {}});
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) {
    levels_.pop_back();
    return true;
  }
  bool on_key_part(json::string_view part, std::size_t, boost::system::error_code&) {
    key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(json::string_view part, std::size_t, boost::system::error_code& ec) {
    key_.append(part.data(), part.size());
    // Checked before any error could echo the key. The parameter named is the top-level one the
    // key sits under, never the key itself.
    if (ContainsPan(key_)) return Fail(ec, PanDetected(levels_.size() == 1 ? "body" : top_key_));
    auto& level = levels_.back();
    if (level.keys.size() >= kMaxObjectMembers) {
      return Fail(ec, Error::Invalid("too_many_members",
                                     "A JSON object in the body has more than " +
                                         std::to_string(kMaxObjectMembers) + " members.",
                                     key_.substr(0, 100)));
    }
    if (levels_.size() == 1 &&
        std::find(allowed_.begin(), allowed_.end(), std::string_view(key_)) == allowed_.end()) {
      const std::string shown = key_.substr(0, 100);
      return Fail(
          ec, Error::Invalid("parameter_unknown", "Received unknown parameter: " + shown, shown));
    }
    if (levels_.size() == 1) top_key_ = key_;
    level.keys.push_back(std::move(key_));
    key_.clear();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_number_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(int64_t, json::string_view, boost::system::error_code&) { return true; }
  bool on_uint64(uint64_t, json::string_view, boost::system::error_code&) { return true; }
  bool on_double(double, json::string_view, boost::system::error_code&) { return true; }
  bool on_bool(bool, boost::system::error_code&) { return true; }
  bool on_null(boost::system::error_code&) { return true; }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

 private:
  struct Level {
    bool object;
    std::vector<std::string> keys;
  };
  bool Fail(boost::system::error_code& ec, Error e) {
    error = std::move(e);
    ec = json::error::extra_data;  // any error code: it only stops the parser
    return false;
  }
  std::initializer_list<std::string_view> allowed_;
  std::vector<Level> levels_;
  std::string key_;
  std::string top_key_;
};

Error JsonError(const boost::system::error_code& ec) {
  return Error::Invalid("invalid_json",
                        ec == json::error::too_deep
                            ? "The JSON body is nested deeper than 32 levels."
                            : "The request body is not valid JSON: " + ec.message() + ".");
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
  {
    json::basic_parser<ShapeHandler> shape(opt, allowed);
    boost::system::error_code ec;
    shape.write_some(false, req.body.data(), req.body.size(), ec);
    if (shape.handler().error) return std::move(*shape.handler().error);
    if (ec) {
      if (ContainsPan(req.body)) return PanDetected("body");
      return JsonError(ec);
    }
  }
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec, {}, opt);
  if (ec) return JsonError(ec);
  if (auto where = FindPanIn(v, "")) return PanDetected(*where);
  if (!v.is_object()) return Error::Invalid("invalid_json", "The JSON body must be an object.");
  auto& o = v.as_object();
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
    if (ContainsPan(*key)) return PanDetected("query");  // never echo the number as a name
    if (ContainsPan(*value)) return PanDetected(*key);
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

Result<ListParams> ParseListParams(const std::vector<std::pair<std::string, std::string>>& query) {
  ListParams p;
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

size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }
  return n;
}

bool HasForbiddenControl(std::string_view s, bool key) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20) {
      if (key || (c != '\t' && c != '\n')) return true;
    } else if (c == 0x7f) {
      return true;
    } else if (c == 0xC2 && i + 1 < s.size()) {
      // C1 controls U+0080..U+009F.
      const auto d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x80 && d <= 0x9f) return true;
    } else if (c == 0xE2 && i + 2 < s.size()) {
      // Bidirectional embeddings/overrides U+202A..U+202E and isolates U+2066..U+2069.
      const auto d = static_cast<unsigned char>(s[i + 1]);
      const auto e = static_cast<unsigned char>(s[i + 2]);
      if ((d == 0x80 && e >= 0xAA && e <= 0xAE) || (d == 0x81 && e >= 0xA6 && e <= 0xA9)) {
        return true;
      }
    }
  }
  return false;
}

Result<std::optional<std::string>> OptString(const json::object& o, std::string_view name,
                                             size_t max_len) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) {
    return Error::Invalid("parameter_invalid", std::string(name) + " must be a string.",
                          std::string(name));
  }
  auto r = CheckText(std::string_view(v->as_string()), name, max_len);
  if (!r) return r.error();
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<void> CheckText(std::string_view text, std::string_view param, size_t max_len) {
  // Bytes bound the character count from above: most strings skip the count.
  if (text.size() > max_len && CharCount(text) > max_len) {
    return Error::Invalid(
        "parameter_invalid",
        std::string(param) + " must be at most " + std::to_string(max_len) + " characters.",
        std::string(param));
  }
  if (HasForbiddenControl(text, false)) {
    return Error::Invalid("parameter_invalid",
                          std::string(param) +
                              " must not contain control characters (other than tab and newline) "
                              "or bidirectional overrides.",
                          std::string(param));
  }
  return {};
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
Result<Idempotency> IdempotencyKeyOf(const http::Request& req) {
  Idempotency idem;
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
  if (ContainsPan(*key)) return PanDetected("Idempotency-Key");
  idem.key = std::string(*key);
  // What the route needs; handlers and services add their own rules' grants (Answer::grants).
  idem.grants.push_back(req.permission);
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

Result<Idempotency> IdempotencyOf(const http::Request& req) {
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
