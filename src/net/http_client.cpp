// HttpClient: one POST per call on a fresh connection, on a private strand. The deadline is one
// timer per exchange; when it fires it cancels the resolver and closes the socket, which ends
// whatever operation is pending. Everything (timer handler included) runs on the exchange's strand,
// so there is no concurrent access to the sockets.
#include "lp/net/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "lp/common/clock.hpp"
#include "net/client_common.hpp"

namespace lp::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using client_internal::Fail;
using client_internal::kMaxInterimResponses;
using client_internal::kMaxResponseHeader;
using client_internal::kTuple;

constexpr size_t kReadChunk = 16 * 1024;
constexpr std::string_view kUserAgent = "LiasonPay-Webhooks/1.0";

struct HttpClient::Impl {
  asio::any_io_executor ex;
  OutboundPolicy policy;
  HttpClientOptions options;
  ssl::context tls{ssl::context::tls_client};
  std::string init_error;  // set if the TLS context could not be prepared; every Post fails
};

namespace {

Error Timeout(const OutboundPolicy& policy) {
  return Fail("timeout", "The endpoint did not answer within " +
                             std::to_string(policy.timeout.count()) + " ms.");
}

// Headers the client sets itself.
constexpr std::string_view kReservedHeaders[] = {
    "host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "expect"};

// The sockets of one exchange; shared with the deadline handler (which holds a weak_ptr).
struct Exchange {
  Exchange(const asio::any_io_executor& ex, ssl::context& ctx)
      : resolver(ex), stream(tcp::socket(ex), ctx), timer(ex) {}

  void Abort() {
    timed_out = true;
    resolver.cancel();
    boost::system::error_code ignored;
    stream.next_layer().close(ignored);
  }

  tcp::resolver resolver;
  ssl::stream<tcp::socket> stream;
  asio::steady_timer timer;
  bool timed_out = false;
};

// Sends the request and reads the response head and at most `max_body` bytes of the body.
template <class Stream>
Task<Result<HttpResult>> SendAndReceive(Stream& s, Exchange& x, const OutboundPolicy& policy,
                                        http::request<http::string_body>& req) {
  auto [wec, written] = co_await http::async_write(s, req, kTuple);
  (void)written;
  if (x.timed_out) co_return Timeout(policy);
  if (wec) {
    co_return Fail("request_failed", "The connection broke while sending the request.",
                   wec.message());
  }

  beast::flat_buffer buf;
  std::optional<http::response_parser<http::buffer_body>> parser;
  int status = 0;
  for (int i = 0; i < kMaxInterimResponses; ++i) {
    parser.emplace();
    parser->header_limit(kMaxResponseHeader);
    parser->body_limit(boost::none);  // the loop below stops reading at max_response_bytes
    auto [ec, n] = co_await http::async_read_header(s, buf, *parser, kTuple);
    (void)n;
    if (x.timed_out) co_return Timeout(policy);
    if (ec) {
      co_return Fail("response_invalid",
                     "The endpoint closed the connection or sent an invalid HTTP response.",
                     ec.message());
    }
    status = parser->get().result_int();
    if (status >= 200 || status == 101) break;  // skip interim 1xx responses
  }
  if (status < 200 && status != 101) {
    co_return Fail("response_invalid", "The endpoint sent only interim (1xx) responses.");
  }

  HttpResult out;
  out.status = status;
  if (auto it = parser->get().find(http::field::retry_after); it != parser->get().end()) {
    out.retry_after = std::string(it->value().substr(0, 64));
  }
  const size_t max = policy.max_response_bytes;
  std::string chunk(kReadChunk, '\0');
  while (!parser->is_done()) {
    if (out.body_prefix.size() >= max) {
      out.body_truncated = true;  // more is coming, and it is never read
      break;
    }
    parser->get().body().data = chunk.data();
    parser->get().body().size = chunk.size();
    auto [ec, n] = co_await http::async_read(s, buf, *parser, kTuple);
    (void)n;
    const size_t got = chunk.size() - parser->get().body().size;
    const size_t keep = std::min(got, max - out.body_prefix.size());
    out.body_prefix.append(chunk.data(), keep);
    if (keep < got) out.body_truncated = true;
    if (ec == http::error::need_buffer) continue;
    if (ec) {
      out.body_truncated = true;  // deadline or broken connection after the head: keep the status
      break;
    }
  }
  co_return out;
}

// 1. Resolve. An IP literal was already checked by ParseWebhookUrl. Returns each address once, in
// the order the resolver gave them.
Task<Result<std::vector<asio::ip::address>>> Resolve(const HttpClient::Impl& impl, Exchange& x,
                                                     const ParsedUrl& u) {
  std::vector<asio::ip::address> addrs;
  if (u.host_is_ip) {
    addrs.push_back(asio::ip::make_address(u.host));
  } else if (impl.options.resolve) {
    auto r = impl.options.resolve(u.host);
    if (!r) {
      co_return Fail("dns_failed", "The host name could not be resolved.",
                     u.host + ": " + r.error().message + " " + r.error().detail);
    }
    addrs = std::move(*r);
  } else {
    auto [ec, results] = co_await x.resolver.async_resolve(u.host, std::to_string(u.port),
                                                           tcp::resolver::numeric_service, kTuple);
    if (x.timed_out) co_return Timeout(impl.policy);
    if (ec) {
      co_return Fail("dns_failed", "The host name could not be resolved.",
                     u.host + ": " + ec.message());
    }
    for (const auto& entry : results) addrs.push_back(entry.endpoint().address());
  }
  if (addrs.empty()) {
    co_return Fail("dns_failed", "The host name has no addresses.", u.host);
  }
  std::vector<asio::ip::address> unique;
  for (const auto& a : addrs) {
    if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
  }
  co_return unique;
}

// 2. Every address must pass; one bad record refuses the host (no "try the next one").
Result<void> CheckAddresses(const std::vector<asio::ip::address>& addrs, const ParsedUrl& u,
                            const OutboundPolicy& policy) {
  for (const auto& a : addrs) {
    if (IsForbiddenAddress(a, policy)) {
      Error e = Fail("ssrf_blocked",
                     "The host resolves to a " + std::string(ToString(ClassifyAddress(a))) +
                         " address, which webhooks may not reach.",
                     u.host + " -> " + a.to_string());
      e.type = ErrorType::kInvalidRequest;
      e.param = "url";
      return e;
    }
  }
  return {};
}

// 3. Connect to the checked addresses themselves (no second resolution: no DNS rebinding), the
// first that answers. Returns the address connected to.
Task<Result<std::string>> Connect(Exchange& x, const OutboundPolicy& policy, const ParsedUrl& u,
                                  const std::vector<asio::ip::address>& addrs) {
  auto& sock = x.stream.next_layer();
  boost::system::error_code last_error;
  std::string peer;
  for (const auto& a : addrs) {
    if (x.timed_out) break;
    boost::system::error_code ignored;
    sock.close(ignored);
    auto [ec] = co_await sock.async_connect(tcp::endpoint(a, u.port), kTuple);
    if (!ec) {
      peer = a.to_string();
      break;
    }
    last_error = ec;
  }
  if (x.timed_out) co_return Timeout(policy);
  if (peer.empty()) {
    co_return Fail("connect_failed", "Could not connect to the endpoint.",
                   u.host + ":" + std::to_string(u.port) + ": " + last_error.message());
  }
  {
    boost::system::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
  }
  co_return peer;
}

http::request<http::string_body> BuildRequest(const ParsedUrl& u, const HttpHeaders& headers,
                                              std::string body) {
  http::request<http::string_body> req{http::verb::post, u.target, 11};
  req.set(http::field::host, u.HostHeader());
  req.set(http::field::user_agent, kUserAgent);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.set(http::field::connection, "close");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

// 4. TLS: verify the chain against the trust store and the name (or IP) in the URL.
Task<Result<void>> Handshake(Exchange& x, const OutboundPolicy& policy, const ParsedUrl& u) {
  SSL* ssl = x.stream.native_handle();
  if (auto r = client_internal::ExpectPeer(ssl, u.host, u.host_is_ip); !r) co_return r.error();
  x.stream.set_verify_mode(ssl::verify_peer);
  auto [ec] = co_await x.stream.async_handshake(ssl::stream_base::client, kTuple);
  if (x.timed_out) co_return Timeout(policy);
  if (ec) {
    std::string detail = ec.message();
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) detail += std::string(": ") + X509_verify_cert_error_string(verify);
    co_return Fail("tls_failed", "The TLS handshake with the endpoint failed.", detail);
  }
  co_return Result<void>{};
}

Task<Result<HttpResult>> DoPostUnsafe(std::shared_ptr<HttpClient::Impl> impl, std::string url,
                                      std::string body, HttpHeaders headers) {
  const int64_t start = MonotonicMicros();
  const OutboundPolicy& policy = impl->policy;
  auto parsed = ParseWebhookUrl(url, policy);
  if (!parsed) co_return parsed.error();
  const ParsedUrl& u = *parsed;
  if (auto ok = client_internal::CheckRequestHeaders(headers, kReservedHeaders); !ok) {
    co_return ok.error();
  }
  if (!impl->init_error.empty()) co_return Error::Internal(impl->init_error);

  auto ex = co_await asio::this_coro::executor;  // this exchange's strand
  auto x = std::make_shared<Exchange>(ex, impl->tls);
  x->timer.expires_after(policy.timeout);
  x->timer.async_wait([weak = std::weak_ptr<Exchange>(x)](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto strong = weak.lock()) strong->Abort();
  });

  auto addrs = co_await Resolve(*impl, *x, u);
  if (!addrs) co_return addrs.error();
  if (auto ok = CheckAddresses(*addrs, u, policy); !ok) co_return ok.error();
  auto peer = co_await Connect(*x, policy, u, *addrs);
  if (!peer) co_return peer.error();

  http::request<http::string_body> req = BuildRequest(u, headers, std::move(body));
  auto& sock = x->stream.next_layer();
  Result<HttpResult> result = Error::Internal("unreachable");
  if (u.tls()) {
    auto handshake = co_await Handshake(*x, policy, u);
    if (!handshake) co_return handshake.error();
    result = co_await SendAndReceive(x->stream, *x, policy, req);
  } else {
    result = co_await SendAndReceive(sock, *x, policy, req);
  }
  // No TLS close_notify exchange: the response is complete or deliberately cut, and waiting for
  // the peer's close would only spend the deadline.
  x->timer.cancel();
  {
    boost::system::error_code ignored;
    sock.close(ignored);
  }
  if (!result) co_return result;
  result->latency_us = MonotonicMicros() - start;
  result->peer_address = *peer;
  co_return result;
}

// Exceptions never cross the coroutine boundary: they become Error::Internal.
Task<Result<HttpResult>> DoPost(std::shared_ptr<HttpClient::Impl> impl, std::string url,
                                std::string body, HttpHeaders headers) {
  try {
    co_return co_await DoPostUnsafe(std::move(impl), std::move(url), std::move(body),
                                    std::move(headers));
  } catch (const std::exception& e) {
    co_return Error::Internal(std::string("http client: ") + e.what());
  }
}

// Each exchange runs on its own strand, so its timer handler never races its socket operations.
Task<Result<HttpResult>> PostOnStrand(std::shared_ptr<HttpClient::Impl> impl, std::string url,
                                      std::string body, HttpHeaders headers) {
  auto strand = asio::make_strand(impl->ex);
  Result<HttpResult> r = co_await asio::co_spawn(
      strand, DoPost(impl, std::move(url), std::move(body), std::move(headers)),
      asio::use_awaitable);
  co_return r;
}

}  // namespace

HttpClient::HttpClient(asio::any_io_executor ex, OutboundPolicy policy, HttpClientOptions options)
    : impl_(std::make_shared<Impl>()) {
  impl_->ex = std::move(ex);
  impl_->policy = std::move(policy);
  impl_->options = std::move(options);
  impl_->init_error =
      client_internal::ConfigureClientTls(impl_->tls, impl_->options.trusted_ca_pem);
}

HttpClient::~HttpClient() = default;

const OutboundPolicy& HttpClient::policy() const { return impl_->policy; }

// Not a coroutine itself: it takes its share of impl_ now, so the client may be destroyed while
// the returned task is pending or not yet started.
Task<Result<HttpResult>> HttpClient::Post(std::string url, std::string body, HttpHeaders headers) {
  return PostOnStrand(impl_, std::move(url), std::move(body), std::move(headers));
}

}  // namespace lp::net
