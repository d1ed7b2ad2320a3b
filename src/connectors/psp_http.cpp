#include "connectors/psp_http.hpp"

#include "lp/net/psp_client.hpp"

namespace lp::connectors {

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Error Unclear(std::string_view display_name, std::string detail) {
  return Error{
      ErrorType::kUnavailable,
      std::string(kPspError),
      std::string(display_name) + " returned an unclear answer; the outcome is settled later.",
      {},
      std::move(detail)};
}

Error Rejected(std::string_view display_name, std::string message, std::string detail) {
  return Error{ErrorType::kInvalidRequest,
               std::string(kPspRejected),
               message.empty() ? std::string(display_name) + " refused the request." : message,
               {},
               std::move(detail)};
}

Error AuthenticationFailed(std::string_view display_name, int status) {
  return Error{ErrorType::kInvalidRequest, std::string(kConnectorAuthenticationFailed),
               std::string(display_name) +
                   " refused the connector account's credentials; update them on the connector "
                   "account.",
               "connector_account",
               std::string(display_name) + " answered " + std::to_string(status)};
}

Task<Result<PspReply>> SendToPsp(net::PspClient& client, std::string base_url, PspRequest request,
                                 int64_t timeout_ms, std::string_view display_name) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  net::PspHttpRequest http;
  http.method = request.post ? net::PspMethod::kPost : net::PspMethod::kGet;
  http.url = base_url + request.path;
  http.headers = std::move(request.headers);
  http.body = std::move(request.body);
  http.timeout = std::chrono::milliseconds(timeout_ms);
  auto r = co_await client.Call(std::move(http));
  if (!r) {
    const Error& e = r.error();
    std::string detail = std::string(display_name) + ": " + e.code + ": " + e.detail;
    if (e.code == "connect_failed") {
      co_return Error{ErrorType::kUnavailable,
                      std::string(kPspUnavailable),
                      std::string(display_name) + " could not be reached; nothing was sent.",
                      {},
                      std::move(detail)};
    }
    if (e.code == "timeout") {
      co_return Error{ErrorType::kUnavailable,
                      std::string(kPspTimeout),
                      std::string(display_name) + " did not answer in time.",
                      {},
                      std::move(detail)};
    }
    if (e.code == "request_failed" || e.code == "response_invalid" ||
        e.code == "response_too_large") {
      co_return Unclear(display_name, std::move(detail));
    }
    co_return Error::Internal(std::move(detail));
  }
  PspReply reply;
  reply.status = r->status;
  reply.body = std::move(r->body);
  reply.idempotent_replayed = r->Header("idempotent-replayed") == "true";
  co_return reply;
}

}  // namespace lp::connectors
