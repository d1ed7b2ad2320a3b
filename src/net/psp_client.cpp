// PspClient: keep-alive pool per origin, one deadline per call, retries only of provably unsent
// calls. Each call runs on its own strand; its deadline timer runs on the same strand and closes
// the connection in use when it fires, which ends whatever operation is pending. A connection
// belongs to exactly one call while it is out of the pool, so sockets are never shared.
#include "lp/net/psp_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

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
#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "lp/common/clock.hpp"
#include "lp/crypto/hash.hpp"
#include "net/client_common.hpp"
#include "psp_url.hpp"

namespace lp::net {

using psp_internal::CheckHeaders;
using psp_internal::ParseUrl;
using psp_internal::Url;
using psp_internal::UrlInvalid;

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using client_internal::Fail;
using client_internal::kMaxInterimResponses;
using client_internal::kMaxResponseHeader;
using client_internal::kTuple;

std::string_view PspHttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return {};
}

namespace {

Error NotSent(std::string detail) {
  return Fail("connect_failed", "Could not reach the payment provider; nothing was sent.",
              std::move(detail));
}

Error TimedOut(std::chrono::milliseconds timeout) {
  return Fail("timeout", "The payment provider did not answer within " +
                             std::to_string(timeout.count()) + " ms.");
}

// One TCP (+TLS) connection to one origin.
struct Conn {
  Conn(const asio::any_io_executor& ex, ssl::context& ctx, bool tls)
      : stream(tcp::socket(ex), ctx), tls(tls) {}
  tcp::socket& socket() { return stream.next_layer(); }
  void Close() {
    boost::system::error_code ignored;
    socket().close(ignored);
  }
  // The peer closed (or sent something unsolicited) while the connection sat idle: a read would
  // not block. Checked without consuming anything.
  bool PeerClosedOrDirty() {
    if (!socket().is_open()) return true;
    char c;
    const ssize_t n = ::recv(socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    return true;  // 0 = FIN, >0 = unexpected bytes (e.g. a TLS alert), <0 = reset
  }

  ssl::stream<tcp::socket> stream;
  bool tls;
  int64_t idle_since_us = 0;
};
using ConnPtr = std::unique_ptr<Conn>;

}  // namespace

struct PspClient::Impl {
  asio::any_io_executor ex;
  PspClientOptions options;
  ssl::context tls{ssl::context::tls_client};
  std::string init_error;
  std::optional<Url> proxy;
  std::string proxy_authorization;  // "Basic …" when the proxy URL has credentials

  mutable std::mutex mu;
  std::unordered_map<std::string, std::deque<ConnPtr>> idle;  // origin -> idle, oldest first
  PspClientStats stats;

  // Closes idle connections past the idle timeout (under mu).
  void PurgeExpiredLocked(int64_t now) {
    const int64_t max_idle =
        std::chrono::duration_cast<std::chrono::microseconds>(options.idle_timeout).count();
    for (auto it = idle.begin(); it != idle.end();) {
      auto& q = it->second;
      while (!q.empty() && now - q.front()->idle_since_us >= max_idle) {
        q.front()->Close();
        q.pop_front();
      }
      it = q.empty() ? idle.erase(it) : std::next(it);
    }
  }

  // The most recently used live connection to `origin`, or null.
  ConnPtr Take(const std::string& origin) {
    std::lock_guard lk(mu);
    PurgeExpiredLocked(MonotonicMicros());
    auto it = idle.find(origin);
    while (it != idle.end() && !it->second.empty()) {
      ConnPtr c = std::move(it->second.back());
      it->second.pop_back();
      if (!c->PeerClosedOrDirty()) {
        ++stats.connections_reused;
        return c;
      }
      ++stats.stale_connections_dropped;
      c->Close();
    }
    return nullptr;
  }

  void Put(const std::string& origin, ConnPtr c) {
    std::lock_guard lk(mu);
    const int64_t now = MonotonicMicros();
    PurgeExpiredLocked(now);
    auto& q = idle[origin];
    if (q.size() >= options.max_idle_per_host) {
      c->Close();
      return;
    }
    c->idle_since_us = now;
    q.push_back(std::move(c));
  }
};

namespace {

// The state of one call that the deadline handler shares (through a weak_ptr).
struct CallState {
  explicit CallState(const asio::any_io_executor& ex) : resolver(ex), timer(ex) {}
  void Abort() {
    timed_out = true;
    resolver.cancel();
    if (current) current->Close();
  }
  tcp::resolver resolver;
  asio::steady_timer timer;
  Conn* current = nullptr;  // the connection in use, closed by Abort
  bool timed_out = false;
};

Task<Result<std::vector<asio::ip::address>>> Resolve(PspClient::Impl& impl, CallState& x,
                                                     const Url& u) {
  std::vector<asio::ip::address> addrs;
  if (u.host_is_ip) {
    addrs.push_back(asio::ip::make_address(u.host));
    co_return addrs;
  }
  if (impl.options.resolve) {
    auto r = impl.options.resolve(u.host);
    if (!r) co_return NotSent("cannot resolve " + u.host + ": " + r.error().message);
    co_return std::move(*r);
  }
  auto [ec, results] = co_await x.resolver.async_resolve(u.host, std::to_string(u.port),
                                                         tcp::resolver::numeric_service, kTuple);
  if (ec) co_return NotSent("cannot resolve " + u.host + ": " + ec.message());
  for (const auto& e : results) {
    if (std::find(addrs.begin(), addrs.end(), e.endpoint().address()) == addrs.end()) {
      addrs.push_back(e.endpoint().address());
    }
  }
  if (addrs.empty()) co_return NotSent(u.host + " has no addresses");
  co_return addrs;
}

// Opens the CONNECT tunnel through the proxy on a connected socket.
Task<Result<void>> OpenTunnel(PspClient::Impl& impl, Conn& c, const Url& target) {
  http::request<http::empty_body> req{http::verb::connect, target.HostPort(), 11};
  req.set(http::field::host, target.HostPort());
  req.set(http::field::user_agent, impl.options.user_agent);
  if (!impl.proxy_authorization.empty()) {
    req.set(http::field::proxy_authorization, impl.proxy_authorization);
  }
  auto [wec, wn] = co_await http::async_write(c.socket(), req, kTuple);
  (void)wn;
  if (wec) co_return NotSent("proxy: cannot send CONNECT: " + wec.message());
  // Read exactly the head: the TLS server hello cannot arrive before our client hello, so no
  // tunnel bytes are in the buffer afterwards.
  beast::flat_buffer buf;
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // a 2xx answer to CONNECT has no body
  parser.header_limit(kMaxResponseHeader);
  auto [rec, rn] = co_await http::async_read_header(c.socket(), buf, parser, kTuple);
  (void)rn;
  if (rec) co_return NotSent("proxy: no valid answer to CONNECT: " + rec.message());
  const int status = parser.get().result_int();
  if (status < 200 || status > 299) {
    co_return NotSent("proxy refused the tunnel to " + target.HostPort() + ": " +
                      std::to_string(status));
  }
  if (buf.size() != 0) co_return NotSent("proxy sent data before the TLS handshake");
  co_return Result<void>{};
}

// A new connection to the origin of `u` (through the proxy if configured): TCP, the tunnel, TLS.
// Every failure here is before the request: connect_failed.
Task<Result<ConnPtr>> Connect(PspClient::Impl& impl, CallState& x, const Url& u) {
  const Url& dial = impl.proxy ? *impl.proxy : u;
  auto addrs = co_await Resolve(impl, x, dial);
  if (!addrs) co_return addrs.error();
  auto c = std::make_unique<Conn>(impl.ex, impl.tls, u.tls);
  x.current = c.get();
  boost::system::error_code last;
  bool connected = false;
  for (const auto& a : *addrs) {
    if (x.timed_out) break;
    c->Close();
    auto [ec] = co_await c->socket().async_connect(tcp::endpoint(a, dial.port), kTuple);
    if (!ec) {
      connected = true;
      break;
    }
    last = ec;
  }
  if (!connected) {
    co_return NotSent("cannot connect to " + dial.HostPort() + ": " + last.message());
  }
  {
    boost::system::error_code ignored;
    c->socket().set_option(tcp::no_delay(true), ignored);
  }
  {
    std::lock_guard lk(impl.mu);
    ++impl.stats.connections_opened;
  }
  if (impl.proxy) {
    auto t = co_await OpenTunnel(impl, *c, u);
    if (!t) co_return t.error();
  }
  if (u.tls) {
    SSL* ssl = c->stream.native_handle();
    if (auto r = client_internal::ExpectPeer(ssl, u.host, u.host_is_ip); !r) co_return r.error();
    c->stream.set_verify_mode(ssl::verify_peer);
    auto [ec] = co_await c->stream.async_handshake(ssl::stream_base::client, kTuple);
    if (ec) {
      std::string detail = "TLS handshake with " + u.HostPort() + " failed: " + ec.message();
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) detail += ": " + std::string(X509_verify_cert_error_string(verify));
      co_return NotSent(std::move(detail));
    }
  }
  co_return std::move(c);
}

struct Exchanged {
  PspHttpResponse response;
  bool reusable = false;
};

Error ReadError(const CallState& x, const PspHttpRequest& req, bool got_bytes,
                const boost::system::error_code& ec) {
  if (x.timed_out) return TimedOut(req.timeout);
  if (ec == http::error::body_limit) {
    return Fail("response_too_large", "The payment provider's response is too large.",
                ec.message());
  }
  if (!got_bytes && (ec == http::error::end_of_stream || ec == asio::error::eof ||
                     ec == asio::error::connection_reset || ec == ssl::error::stream_truncated)) {
    return Fail("request_failed", "The connection closed before the payment provider answered.",
                ec.message());
  }
  return Fail("response_invalid", "The payment provider sent an invalid or incomplete response.",
              ec.message());
}

template <class Stream>
Task<Result<Exchanged>> Exchange(PspClient::Impl& impl, CallState& x, Stream& s, const Url& u,
                                 const PspHttpRequest& in) {
  http::request<http::string_body> req{
      in.method == PspMethod::kGet ? http::verb::get : http::verb::post, u.target, 11};
  req.set(http::field::host, u.HostHeader());
  req.set(http::field::user_agent, impl.options.user_agent);
  for (const auto& [name, value] : in.headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = in.body;
  if (in.method == PspMethod::kPost) req.prepare_payload();

  // From here on the PSP may have (part of) the request: no error after this point is retried.
  auto [wec, wn] = co_await http::async_write(s, req, kTuple);
  (void)wn;
  if (x.timed_out) co_return TimedOut(in.timeout);
  if (wec) {
    co_return Fail("request_failed", "The connection broke while sending the request.",
                   wec.message());
  }

  beast::flat_buffer buf;
  std::optional<http::response_parser<http::string_body>> parser;
  int status = 0;
  for (int i = 0; i < kMaxInterimResponses; ++i) {
    parser.emplace();
    parser->header_limit(kMaxResponseHeader);
    parser->body_limit(impl.options.max_response_bytes);
    auto [ec, n] = co_await http::async_read_header(s, buf, *parser, kTuple);
    if (ec) co_return ReadError(x, in, n > 0 || buf.size() > 0 || i > 0, ec);
    status = parser->get().result_int();
    if (status >= 200) break;  // interim 1xx responses are skipped
  }
  if (status < 200) {
    co_return Fail("response_invalid", "The payment provider sent only interim responses.");
  }
  if (!parser->is_done()) {
    auto [ec, n] = co_await http::async_read(s, buf, *parser, kTuple);
    (void)n;
    if (ec) co_return ReadError(x, in, true, ec);
  }
  Exchanged out;
  auto& res = parser->get();
  out.response.status = status;
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out.response.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  out.response.body = std::move(res.body());
  // Reused only after a complete response, with keep-alive on both sides and nothing extra read.
  out.reusable = parser->is_done() && res.keep_alive() && buf.size() == 0 && !x.timed_out;
  co_return out;
}

Task<void> Backoff(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(kTuple);
}

Task<Result<PspHttpResponse>> DoCall(std::shared_ptr<PspClient::Impl> impl, PspHttpRequest req) {
  const int64_t start = MonotonicMicros();
  if (!impl->init_error.empty()) co_return Error::Internal(impl->init_error);
  auto parsed = ParseUrl(req.url, false);
  if (!parsed) co_return parsed.error();
  const Url& u = *parsed;
  if (!u.tls && !impl->options.allow_http) {
    co_return UrlInvalid("Payment provider URLs must be https://.");
  }
  auto idempotent = CheckHeaders(req.headers);
  if (!idempotent) co_return idempotent.error();

  auto ex = co_await asio::this_coro::executor;  // this call's strand
  auto x = std::make_shared<CallState>(ex);
  x->timer.expires_after(req.timeout);
  x->timer.async_wait([weak = std::weak_ptr<CallState>(x)](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto strong = weak.lock()) strong->Abort();
  });
  struct CancelTimer {
    CallState& x;
    ~CancelTimer() { x.timer.cancel(); }
  } cancel_timer{*x};

  const std::string origin = u.Origin();
  const int max_attempts = std::max(1, impl->options.max_attempts);
  for (int attempt = 1;; ++attempt) {
    ConnPtr c = impl->Take(origin);
    const bool reused = c != nullptr;
    if (!c) {
      auto fresh = co_await Connect(*impl, *x, u);
      x->current = nullptr;
      if (!fresh) {
        Error e = fresh.error();
        if (x->timed_out) {
          e.detail = "deadline of " + std::to_string(req.timeout.count()) +
                     " ms passed before the request was sent (" + e.detail + ")";
        }
        const bool retry =
            *idempotent && attempt < max_attempts && !x->timed_out && e.code == "connect_failed";
        if (!retry) co_return e;
        {
          std::lock_guard lk(impl->mu);
          ++impl->stats.retries;
        }
        co_await Backoff(impl->options.retry_backoff);
        if (x->timed_out) co_return e;
        continue;
      }
      c = std::move(*fresh);
    }
    x->current = c.get();
    Result<Exchanged> r = Error::Internal("unreachable");
    if (c->tls) {
      r = co_await Exchange(*impl, *x, c->stream, u, req);
    } else {
      r = co_await Exchange(*impl, *x, c->socket(), u, req);
    }
    x->current = nullptr;
    if (!r) {
      c->Close();
      co_return r.error();
    }
    if (r->reusable) {
      impl->Put(origin, std::move(c));
    } else {
      c->Close();
    }
    r->response.latency_us = MonotonicMicros() - start;
    r->response.attempts = attempt;
    r->response.reused_connection = reused;
    co_return std::move(r->response);
  }
}

Task<Result<PspHttpResponse>> CallGuarded(std::shared_ptr<PspClient::Impl> impl,
                                          PspHttpRequest req) {
  try {
    co_return co_await DoCall(std::move(impl), std::move(req));
  } catch (const std::exception& e) {
    co_return Error::Internal(std::string("psp client: ") + e.what());
  }
}

Task<Result<PspHttpResponse>> CallOnStrand(std::shared_ptr<PspClient::Impl> impl,
                                           PspHttpRequest req) {
  auto strand = asio::make_strand(impl->ex);
  co_return co_await asio::co_spawn(strand, CallGuarded(impl, std::move(req)), asio::use_awaitable);
}

}  // namespace

PspClient::PspClient(asio::any_io_executor ex, PspClientOptions options)
    : impl_(std::make_shared<Impl>()) {
  impl_->ex = std::move(ex);
  impl_->options = std::move(options);
  impl_->init_error =
      client_internal::ConfigureClientTls(impl_->tls, impl_->options.trusted_ca_pem);
  if (!impl_->options.proxy_url.empty()) {
    auto p = ParseUrl(impl_->options.proxy_url, true);
    if (!p || p->tls || p->target != "/") {
      impl_->init_error = "the proxy URL must be http://[user:password@]host:port";
    } else {
      if (!p->userinfo.empty()) {
        impl_->proxy_authorization = "Basic " + crypto::Base64(p->userinfo);
      }
      impl_->proxy = std::move(*p);
    }
  }
}

PspClient::~PspClient() {
  std::lock_guard lk(impl_->mu);
  for (auto& [origin, q] : impl_->idle) {
    for (auto& c : q) c->Close();
  }
  impl_->idle.clear();
}

const std::string& PspClient::init_error() const { return impl_->init_error; }

PspClientStats PspClient::stats() const {
  std::lock_guard lk(impl_->mu);
  PspClientStats s = impl_->stats;
  s.idle_connections = 0;
  for (const auto& [origin, q] : impl_->idle) s.idle_connections += q.size();
  return s;
}

// Not a coroutine itself: it takes its share of impl_ now, so the client may be destroyed while
// the returned task is pending or not yet started.
Task<Result<PspHttpResponse>> PspClient::Call(PspHttpRequest request) {
  return CallOnStrand(impl_, std::move(request));
}

}  // namespace lp::net
