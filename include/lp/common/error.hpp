// Error values for expected failures (bad input, not found, conflict, ...). The one mapping from
// an Error to an HTTP status and JSON body lives in http/errors.cpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace lp {

enum class ErrorType {
  kInvalidRequest,    // 400 invalid_request_error
  kAuthentication,    // 401 authentication_error
  kPermission,        // 403 permission_error
  kNotFound,          // 404 invalid_request_error
  kMethodNotAllowed,  // 405
  kConflict,          // 409 (invalid_state, idempotency_in_progress)
  kPayloadTooLarge,   // 413
  kUnsupportedMedia,  // 415
  kRateLimited,       // 429
  kIdempotency,       // 400 idempotency_error
  kUnavailable,       // 503
  kInternal,          // 500 api_error
};

struct Error {
  ErrorType type = ErrorType::kInternal;
  std::string code;     // machine-readable, e.g. "parameter_invalid"
  std::string message;  // safe to show to clients
  std::string param;    // offending parameter, if any
  std::string detail;   // for logs only; never sent to clients

  static Error Invalid(std::string code, std::string message, std::string param = {}) {
    return {ErrorType::kInvalidRequest, std::move(code), std::move(message), std::move(param), {}};
  }
  static Error NotFound(std::string message, std::string param = {}) {
    return {ErrorType::kNotFound, "resource_missing", std::move(message), std::move(param), {}};
  }
  static Error Conflict(std::string code, std::string message) {
    return {ErrorType::kConflict, std::move(code), std::move(message), {}, {}};
  }
  static Error Internal(std::string detail) {
    return {ErrorType::kInternal,
            "internal_error",
            "An internal error occurred.",
            {},
            std::move(detail)};
  }
  static Error Unavailable(std::string message, std::string detail = {}) {
    return {
        ErrorType::kUnavailable, "service_unavailable", std::move(message), {}, std::move(detail)};
  }
};

}  // namespace lp
