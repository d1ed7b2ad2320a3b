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
#include "lp/core/payments.hpp"
#include "lp/http/message.hpp"

namespace lp::api {

inline constexpr size_t kMaxStringLength = 5000;

// Parses the body as a JSON object. An empty body is an empty object. Rejects a non-JSON
// content type (415), malformed JSON, nesting deeper than 32, a card number in any string, and
// any key not in `allowed`.
Result<boost::json::object> ParseBody(const http::Request& req,
                                      std::initializer_list<std::string_view> allowed);

// Query parameters as decoded pairs; rejects card numbers and unknown names.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    const http::Request& req, std::initializer_list<std::string_view> allowed);

// Pagination and created[] filters shared by list endpoints.
Result<core::ListParams> ParseListParams(
    const std::vector<std::pair<std::string, std::string>>& query);

std::optional<std::string> QueryValue(const std::vector<std::pair<std::string, std::string>>& q,
                                      std::string_view name);

// Field readers: absent → nullopt; wrong type → parameter_invalid naming `name`.
Result<std::optional<std::string>> OptString(const boost::json::object& o, std::string_view name,
                                             size_t max_len = kMaxStringLength);
Result<std::optional<bool>> OptBool(const boost::json::object& o, std::string_view name);

// The Idempotency-Key header (≤ 255 printable ASCII characters) and the request's hash.
Result<core::Idempotency> IdempotencyOf(const http::Request& req);

// IdempotencyOf and ParseBody in one, parsing the body once (the payment and refund POSTs).
// Errors come in the same order: the key first, then the body.
struct IdempotentBody {
  core::Idempotency idem;
  boost::json::value json;  // always an object
  const boost::json::object& body() const { return json.get_object(); }
};
Result<IdempotentBody> ParseIdempotentBody(const http::Request& req,
                                           std::initializer_list<std::string_view> allowed);

}  // namespace lp::api
