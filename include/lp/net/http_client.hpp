// Outbound HTTP(S) client for merchant-supplied URLs (webhook deliveries), with the SSRF guard.
//
// Owns: one POST per call over a fresh connection: strict URL parsing, name resolution, a check of
// EVERY resolved address against the OutboundPolicy (outbound_policy.hpp), a connection only to
// the addresses that were checked (never a second resolution), TLS with certificate and host name
// verification, no redirects (a 3xx is just a status), one deadline over the whole exchange, and a
// bounded read of the response body.
//
// Must not touch: the store, logging of bodies or secrets (callers decide what to log), retries
// (the dispatcher owns retry and backoff). No Beast or OpenSSL types appear in this header.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/common/task.hpp"
#include "lp/net/outbound_policy.hpp"

namespace lp::net {

struct HttpResult {
  int status = 0;               // any status, 3xx included (redirects are never followed)
  int64_t latency_us = 0;       // from the call until the response was read (DNS included)
  std::string body_prefix;      // at most policy.max_response_bytes of the body
  bool body_truncated = false;  // the body was longer (or its read failed after the head)
  std::string retry_after;      // the Retry-After header, if any (for the dispatcher's backoff)
  std::string peer_address;     // the IP address that was connected to
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Test seams. Production code passes nothing.
struct HttpClientOptions {
  // Replaces DNS: host name -> addresses. Lets a test make "evil.test" resolve to 127.0.0.1
  // without a DNS server. The addresses still go through the SSRF check.
  std::function<Result<std::vector<boost::asio::ip::address>>(const std::string& host)> resolve;
  // PEM certificates to trust INSTEAD of the system store (tests with a local TLS server).
  std::string trusted_ca_pem;
};

class HttpClient {
 public:
  // `ex` is the executor the sockets, resolver and timer run on (typically the server's
  // io_context executor). Each Post runs on its own strand of `ex`, so Post may be awaited from
  // any coroutine and concurrently. The TLS context (system CA store) is loaded once, here.
  HttpClient(boost::asio::any_io_executor ex, OutboundPolicy policy,
             HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const OutboundPolicy& policy() const;

  // Every parameter is taken by value: the coroutine may start after the caller's temporaries are
  // gone (e.g. co_spawn(ex, client.Post(base + "/hook", ...), ...)). The returned task holds its
  // own reference to the client's state, so the HttpClient may be destroyed while it is pending
  // (the executor's execution context must outlive it).
  // POSTs `body` with `headers` (caller's; Host, Content-Length, Transfer-Encoding and Connection
  // are set here and refused from the caller). Returns the status for any HTTP response.
  // Errors (Error::code):
  //   url_invalid, url_forbidden  the URL (ParseWebhookUrl), including forbidden IP literals
  //   header_invalid              a caller header with a bad name/value or a reserved name
  //   ssrf_blocked                the host resolved to at least one forbidden address
  //   dns_failed                  the host did not resolve
  //   connect_failed              no checked address accepted a TCP connection
  //   tls_failed                  handshake failed, including certificate or host name mismatch
  //   request_failed              the connection broke while sending
  //   response_invalid            no valid HTTP response head came back
  //   timeout                     policy.timeout passed before the response head was read
  // A deadline or error while reading the body (after the head) still returns the status, with
  // body_truncated set.
  Task<Result<HttpResult>> Post(std::string url, std::string body, HttpHeaders headers);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace lp::net
