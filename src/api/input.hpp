// Request input: strict JSON bodies (content type, depth, unknown parameters, lengths, card
// numbers), query parameters, idempotency keys. Every error names its parameter.
#pragma once

#include <boost/json.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/http/message.hpp"
#include "lp/payments/payment_service.hpp"

namespace lp::api {

inline constexpr size_t kMaxStringLength = 5000;
// Members of one JSON object in a request body (metadata has its own, smaller limit).
inline constexpr size_t kMaxObjectMembers = 1000;

// Parses the body as a JSON object. An empty body is an empty object. Rejects a non-JSON
// content type (415), malformed JSON, nesting deeper than 32, any top-level key not in `allowed`
// (at the first one), duplicate keys (compared after unescaping), objects of more than
// kMaxObjectMembers members, and a card number in any string or key. Linear in the body size
// (n log n for the duplicate check).
Result<boost::json::object> ParseBody(const http::Request& req,
                                      std::initializer_list<std::string_view> allowed);

// Query parameters as decoded pairs; rejects card numbers and unknown names.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    const http::Request& req, std::initializer_list<std::string_view> allowed);

// Pagination and created[] filters shared by list endpoints.
Result<ListParams> ParseListParams(const std::vector<std::pair<std::string, std::string>>& query);

std::optional<std::string> QueryValue(const std::vector<std::pair<std::string, std::string>>& q,
                                      std::string_view name);

// Unicode scalar values in UTF-8 text (request strings are valid UTF-8: the JSON parser checks).
size_t CharCount(std::string_view utf8);
// Whether text holds a character that request text may not: C0 controls other than tab and
// newline (all C0 controls when `key`: object keys), DEL, C1 controls, and the bidirectional
// embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) that make text display
// as something other than what it is.
bool HasForbiddenControl(std::string_view utf8, bool key);
// Length in characters (Unicode scalar values) and the control-character rule for free text;
// errors name `param`.
Result<void> CheckText(std::string_view utf8, std::string_view param, size_t max_len);

// Field readers: absent → nullopt; wrong type → parameter_invalid naming `name`. Strings obey
// CheckText.
Result<std::optional<std::string>> OptString(const boost::json::object& o, std::string_view name,
                                             size_t max_len = kMaxStringLength);
Result<std::optional<bool>> OptBool(const boost::json::object& o, std::string_view name);

// The Idempotency-Key header (≤ 255 printable ASCII characters) and the request's hash.
Result<Idempotency> IdempotencyOf(const http::Request& req);

// IdempotencyOf and ParseBody in one, parsing the body once (the payment and refund POSTs).
// Errors come in the same order: the key first, then the body.
struct IdempotentBody {
  Idempotency idem;
  boost::json::value json;  // always an object
  const boost::json::object& body() const { return json.get_object(); }
};
Result<IdempotentBody> ParseIdempotentBody(const http::Request& req,
                                           std::initializer_list<std::string_view> allowed);

}  // namespace lp::api
