#include "lp/http/errors.hpp"

#include <boost/json.hpp>

namespace lp::http {

int StatusFor(ErrorType type) {
  switch (type) {
    case ErrorType::kInvalidRequest:
    case ErrorType::kIdempotency:
      return 400;
    case ErrorType::kAuthentication:
      return 401;
    case ErrorType::kPermission:
      return 403;
    case ErrorType::kNotFound:
      return 404;
    case ErrorType::kMethodNotAllowed:
      return 405;
    case ErrorType::kConflict:
      return 409;
    case ErrorType::kPayloadTooLarge:
      return 413;
    case ErrorType::kUnsupportedMedia:
      return 415;
    case ErrorType::kRateLimited:
      return 429;
    case ErrorType::kUnavailable:
      return 503;
    case ErrorType::kInternal:
      return 500;
  }
  return 500;
}

namespace {
std::string_view TypeName(ErrorType type) {
  switch (type) {
    case ErrorType::kAuthentication:
      return "authentication_error";
    case ErrorType::kPermission:
      return "permission_error";
    case ErrorType::kIdempotency:
      return "idempotency_error";
    case ErrorType::kRateLimited:
      return "rate_limit_error";
    case ErrorType::kInternal:
    case ErrorType::kUnavailable:
      return "api_error";
    default:
      return "invalid_request_error";
  }
}
}  // namespace

Response ErrorResponse(const Error& error, std::string_view request_id) {
  boost::json::object e;
  e["type"] = TypeName(error.type);
  e["code"] = error.code;
  e["message"] = error.message;
  if (!error.param.empty()) e["param"] = error.param;
  e["request_id"] = request_id;
  boost::json::object root;
  root["error"] = std::move(e);
  return Response::Json(StatusFor(error.type), boost::json::serialize(root));
}

}  // namespace lp::http
