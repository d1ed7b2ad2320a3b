// The HTTP shape shared by the PSP transformers (pure: what to send, what came back) and the glue
// that sends it through net::PspClient and turns transport failures into connector error codes.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/common/task.hpp"
#include "lp/connectors/connector.hpp"

namespace lp::net {
class PspClient;
}

namespace lp::connectors {

// A request a transformer builds: relative to the account's base URL.
struct PspRequest {
  bool post = true;
  std::string path;  // starts with '/', query included
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // incl. auth: never log them
  const std::string* Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

// What came back, as a transformer needs it.
struct PspReply {
  int status = 0;
  std::string body;
  bool idempotent_replayed = false;  // Stripe: the answer is the stored one of an earlier call
};

// application/x-www-form-urlencoded / URL component encoding (RFC 3986 unreserved kept).
std::string PercentEncode(std::string_view s);

// Sends `request` to base_url + request.path. Transport failures become connector errors:
//   connect_failed                    -> psp_unavailable (provably not sent: clear, may cascade)
//   timeout                           -> psp_timeout (unclear)
//   request_failed, response_invalid,
//   response_too_large                -> psp_error (unclear)
//   url_invalid, header_invalid       -> internal_error (a bug or a bad base_url)
// `display_name` names the PSP in messages.
Task<Result<PspReply>> SendToPsp(net::PspClient& client, std::string base_url, PspRequest request,
                                 int64_t timeout_ms, std::string_view display_name);

Error Unclear(std::string_view display_name, std::string detail);
Error Rejected(std::string_view display_name, std::string message, std::string detail);
Error AuthenticationFailed(std::string_view display_name, int status);

}  // namespace lp::connectors
