// What the two outbound clients (HttpClient for webhooks, PspClient for PSP calls) share: the
// check of a caller's request headers and the TLS client context they verify peers with.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/common/result.hpp"

struct ssl_st;  // OpenSSL's SSL

namespace lp::net::client_internal {

// co_await op(..., kTuple): the error code comes back in the result instead of as an exception.
inline constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);
// A response's status line and headers, at most.
inline constexpr size_t kMaxResponseHeader = 16 * 1024;
// 1xx responses skipped before the final one, at most.
inline constexpr int kMaxInterimResponses = 8;

// An unavailable-type error (transport failures, timeouts: the caller may retry or sync).
Error Fail(std::string code, std::string message, std::string detail = {});

// Checks header names (RFC 9110 tokens, <= 256 bytes) and values (no control characters but
// tab, <= 8 KiB), and refuses the names in `reserved` (compared case-insensitively: headers the
// client sets itself). Linear in the headers' size. Returns whether a non-empty Idempotency-Key
// is among them. Errors are Error::Invalid "header_invalid" on the `headers` parameter.
Result<bool> CheckRequestHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::span<const std::string_view> reserved);

// Sets the name (SNI and certificate host name, no partial wildcards) or IP address the peer's
// certificate must carry, on a client connection before its handshake.
Result<void> ExpectPeer(ssl_st* ssl, const std::string& host, bool host_is_ip);

// TLS 1.2+ without compression or renegotiation, peer verification against `trusted_ca_pem`
// (PEM, e.g. a test CA) or the system trust store when empty. Returns an error message when the
// trust store cannot be loaded, else an empty string.
std::string ConfigureClientTls(boost::asio::ssl::context& ctx, const std::string& trusted_ca_pem);

}  // namespace lp::net::client_internal
