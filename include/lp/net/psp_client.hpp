// Outbound HTTPS client for payment service providers (fixed, operator-configured hosts such as
// api.stripe.com), as opposed to HttpClient (http_client.hpp), which reaches merchant-supplied
// URLs through the SSRF guard.
//
// Owns: a pool of keep-alive connections per `scheme://host:port` (bounded idle connections, an
// idle timeout, a connection goes back to the pool only after a complete response that allows
// keep-alive), one deadline per call, TLS with certificate and host name verification (always;
// there is no switch to turn it off: tests give their own CA), an optional forward proxy reached
// with CONNECT, a bounded response body, and the retry rule below.
//
// Retry rule: a call is retried only if it carries an `Idempotency-Key` header, and only after an
// error that provably happened before any byte of the request was written (connection refused,
// name resolution, the proxy refusing the tunnel, a TLS handshake failure on a fresh connection).
// A pooled connection that the peer closed while idle is noticed before writing and replaced
// without counting as an attempt. Once the first byte of a request has been handed to the socket,
// the call is never repeated here: the PSP may have received it (callers sync instead).
//
// Must not touch: the store, logging of bodies, headers or secrets (callers decide what to log).
// No Beast or OpenSSL types appear in this header.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/common/task.hpp"

namespace lp::net {

enum class PspMethod { kGet, kPost };

struct PspHttpRequest {
  PspMethod method = PspMethod::kPost;
  std::string url;  // absolute: https://host[:port]/path?query (http:// only with allow_http)
  std::vector<std::pair<std::string, std::string>> headers;  // the caller's (auth, content type…)
  std::string body;
  // Bound on the whole call, retries included: resolution, connect, proxy tunnel, TLS, write and
  // read of the complete response.
  std::chrono::milliseconds timeout{10000};
};

struct PspHttpResponse {
  int status = 0;
  std::string body;  // complete (a body over the limit is an error, never cut)
  // Response headers, names in lower case, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t latency_us = 0;          // from the call until the response was read
  int attempts = 1;                // 2+ when a provably unsent attempt was retried
  bool reused_connection = false;  // the answer came over a pooled keep-alive connection

  // The first header with this (case-insensitive) name, or empty.
  std::string_view Header(std::string_view name) const;
};

struct PspClientOptions {
  // PEM certificates to trust INSTEAD of the system store (tests and simulators only; production
  // leaves it empty). Verification of the chain and of the host name is always on.
  std::string trusted_ca_pem;
  // Forward proxy for every call: "http://[user:password@]host:port". Each connection to a PSP
  // is a CONNECT tunnel through it (TLS runs end to end inside the tunnel).
  std::string proxy_url;
  // Also allows http:// PSP URLs (dev mode and plain-HTTP simulators such as Prism). HTTPS URLs
  // are verified the same with or without it.
  bool allow_http = false;
  size_t max_idle_per_host = 8;                   // idle keep-alive connections kept per origin
  std::chrono::milliseconds idle_timeout{30000};  // an idle connection older than this is closed
  size_t max_response_bytes = 1024 * 1024;        // larger bodies are response_too_large
  int max_attempts = 2;                           // first try + retries of provably unsent calls
  std::chrono::milliseconds retry_backoff{50};    // wait before a retry (within the deadline)
  std::string user_agent = "LiasonPay/1.0";
  // Test seam: replaces DNS (host name -> addresses), e.g. "psp.test" -> 127.0.0.1.
  std::function<Result<std::vector<boost::asio::ip::address>>(const std::string& host)> resolve;
};

// Counters for tests and metrics (monotonic since construction).
struct PspClientStats {
  uint64_t connections_opened = 0;
  uint64_t connections_reused = 0;
  uint64_t stale_connections_dropped = 0;  // found closed by the peer while idle
  uint64_t retries = 0;
  size_t idle_connections = 0;  // now
};

class PspClient {
 public:
  // `ex` runs the sockets and timers (typically the server's io_context executor). Each call runs
  // on its own strand of `ex`, so Call may be awaited from any coroutine, concurrently. The TLS
  // context is prepared once, here; a bad CA or proxy URL makes every call fail (init_error()).
  PspClient(boost::asio::any_io_executor ex, PspClientOptions options = {});
  ~PspClient();
  PspClient(const PspClient&) = delete;
  PspClient& operator=(const PspClient&) = delete;

  // Empty when the client is usable; otherwise why every call fails.
  const std::string& init_error() const;

  // The request is taken by value (the coroutine may start after the caller's temporaries are
  // gone); the task holds its own reference to the pool, so the client may be destroyed while a
  // call is pending. Any HTTP status is a successful result. Errors (Error::code):
  //   url_invalid        the URL is not absolute http(s), or http:// without allow_http
  //   header_invalid     a caller header with a bad name/value or one the client sets itself
  //   connect_failed     PROVABLY NOT SENT: resolution, TCP connect, proxy tunnel or TLS
  //                      handshake failed, or the deadline passed before a byte was written
  //   timeout            the deadline passed after the request started to be written
  //   request_failed     the connection broke while writing, or closed before any response
  //                      (the PSP may have received the request)
  //   response_invalid   the response head or body was malformed, or the body was cut short
  //   response_too_large the body is longer than max_response_bytes (never read further)
  // Every error has ErrorType::kUnavailable; `detail` says what happened (for logs).
  Task<Result<PspHttpResponse>> Call(PspHttpRequest request);

  PspClientStats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// True for the error codes that prove the request never reached the PSP.
inline bool ProvablyNotSent(std::string_view code) { return code == "connect_failed"; }

}  // namespace lp::net
