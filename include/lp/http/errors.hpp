// The one mapping from lp::Error to an HTTP status and the JSON error body
// {"error":{"type","code","message","param","request_id"}}.
#pragma once

#include "lp/common/error.hpp"
#include "lp/http/message.hpp"

namespace lp::http {

int StatusFor(ErrorType type);
Response ErrorResponse(const Error& error, std::string_view request_id);

}  // namespace lp::http
