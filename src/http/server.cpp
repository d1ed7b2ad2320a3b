// Beast/Asio HTTPS server. Patterned on Beast's advanced_server_flex_awaitable example
// (boost-1.81.0): one coroutine per connection on its own strand, stream timeouts, body limits,
// two-step shutdown (stop accepting and close idle connections, then close the rest after grace).
#include "lp/http/server.hpp"

#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <ctime>
#include <mutex>
#include <unordered_set>

#include "http/framing.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/http/errors.hpp"

namespace lp::http {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using net::use_awaitable;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

const char* const kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

namespace {

Result<std::shared_ptr<ssl::context>> MakeTlsContext(const TlsFiles& files) {
  struct stat st {};
  if (::stat(files.key_file.c_str(), &st) != 0) {
    return Error::Internal("TLS key file " + files.key_file + " not found");
  }
  if ((st.st_mode & 077) != 0) {
    return Error::Internal("TLS key file " + files.key_file +
                           " is readable by group or others; chmod 600 it");
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx->native_handle(), kIntermediateCiphers);
  SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx->native_handle(), 4096);  // bounded memory
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(files.cert_file, ec);
  if (ec)
    return Error::Internal("cannot load TLS certificate " + files.cert_file + ": " + ec.message());
  ctx->use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (ec) return Error::Internal("cannot load TLS key " + files.key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return Error::Internal("TLS key does not match the certificate");
  }
  return ctx;
}

Result<tcp::endpoint> ParseAddress(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return Error::Internal("address '" + addr + "' is not host:port");
  std::string host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(addr.substr(colon + 1), &used);
    if (used != addr.size() - colon - 1) port = -1;
  } catch (...) {
  }
  if (port < 0 || port > 65535) return Error::Internal("bad port in address '" + addr + "'");
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto ip = net::ip::make_address(host, ec);
  if (ec) return Error::Internal("bad host in address '" + addr + "' (an IP address is needed)");
  return tcp::endpoint(ip, static_cast<uint16_t>(port));
}

void RaiseFileLimit(size_t want) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t target = std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(want));
  if (rl.rlim_cur < target) {
    rl.rlim_cur = target;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

struct ConnHandle {
  net::any_io_executor ex;
  beast::tcp_stream* stream = nullptr;  // touched only on ex
  bool idle = false;                    // waiting for the next request (touched only on ex)
};

namespace {

// The request's headers (names lower-cased) and body, moved out of Beast's message.
void TakeHeadersAndBody(bhttp::request<bhttp::string_body>& h, Request& req) {
  req.headers.reserve(static_cast<size_t>(std::distance(h.begin(), h.end())));
  for (const auto& f : h) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.body = std::move(h.body());
}

// The response as sent: the handler's status, type, headers and body, plus what every answer
// carries (Request-Id, HSTS, no-store, the listener's own headers).
bhttp::response<bhttp::string_body> ToWire(
    Response resp, const Request& req,
    const std::vector<std::pair<std::string, std::string>>& listener_headers, bool keep_alive) {
  bhttp::response<bhttp::string_body> out;
  out.version(11);
  out.result(static_cast<unsigned>(resp.status));
  out.set(bhttp::field::content_type, resp.content_type);
  out.set("Request-Id", req.request_id);
  out.set(bhttp::field::strict_transport_security, "max-age=63072000; includeSubDomains");
  out.set(bhttp::field::cache_control, "no-store");
  for (const auto& [k, v] : listener_headers) out.set(k, v);
  for (const auto& [k, v] : resp.headers) out.set(k, v);
  out.body() = std::move(resp.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  // HEAD: the headers of the GET, Content-Length included, without the body (RFC 9110 §9.3.2).
  if (req.method == "HEAD") out.body().clear();
  return out;
}

// A new request on `listener` from `peer`, received at `start_us`.
Request NewRequest(const std::string& listener, const std::string& peer, int64_t start_us) {
  Request req;
  req.listener = listener;
  req.client_ip = peer;
  req.request_id = NewId("req", 20);
  req.start_us = start_us;
  return req;
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  net::io_context& ioc;
  Limits limits;
  TlsFiles tls_files;
  RequestObserver observer;

  std::mutex ctx_mu;
  std::shared_ptr<ssl::context> ctx;

  struct Listener {
    ListenerSpec spec;
    std::unique_ptr<tcp::acceptor> acceptor;
    uint16_t port = 0;
  };
  std::vector<std::unique_ptr<Listener>> listeners;

  std::atomic<size_t> active{0};
  std::atomic<bool> stopping{false};
  std::mutex conns_mu;
  std::unordered_set<std::shared_ptr<ConnHandle>> conns;

  Impl(net::io_context& io, Limits l, TlsFiles t, RequestObserver o)
      : ioc(io), limits(l), tls_files(std::move(t)), observer(std::move(o)) {}

  std::shared_ptr<ssl::context> Context() {
    std::lock_guard lk(ctx_mu);
    return ctx;
  }

  net::awaitable<void> Accept(Listener* l);
  net::awaitable<void> Session(Listener* l, tcp::socket socket);
  template <class Stream>
  net::awaitable<bool> Serve(Listener* l, Stream& stream, beast::flat_buffer& buf,
                             ConnHandle& handle, const std::string& peer, bool over_limit);

  // How reading one request ended.
  struct ReadOutcome {
    boost::system::error_code pec;        // what the parser said
    std::optional<FramingError> framing;  // what CheckRequestHead said
    bool failed = false;                  // timeout, reset or EOF: nothing to answer
  };
  template <class Stream>
  net::awaitable<ReadOutcome> ReadRequest(Stream& s, beast::flat_buffer& buf,
                                          bhttp::request_parser<bhttp::string_body>& parser);
  // The answer to a request refused while it was read (limits, framing, syntax).
  static Response Refusal(const ReadOutcome& read, const std::string& request_id);
  net::awaitable<Response> Dispatch(Listener* l, Request& req);
};

net::awaitable<void> Server::Impl::Accept(Listener* l) {
  auto self = shared_from_this();
  for (;;) {
    auto [ec, socket] = co_await l->acceptor->async_accept(net::make_strand(ioc), kTuple);
    if (stopping) co_return;
    if (ec) {
      if (ec == net::error::operation_aborted) co_return;
      // EMFILE and friends: back off briefly instead of spinning.
      net::steady_timer t(ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(kTuple);
      continue;
    }
    if (active.load() >= limits.max_connections + 1024) {
      continue;  // far past the limit: drop without a response (the socket closes here)
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto ex = socket.get_executor();
    net::co_spawn(ex, Session(l, std::move(socket)), net::detached);
  }
}

net::awaitable<void> Server::Impl::Session(Listener* l, tcp::socket socket) {
  auto self = shared_from_this();
  const bool over_limit = active.fetch_add(1) >= limits.max_connections;
  auto handle = std::make_shared<ConnHandle>();
  handle->ex = socket.get_executor();
  std::string peer;
  {
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) {
      auto a = ep.address();
      peer = (a.is_v6() && a.to_v6().is_v4_mapped())
                 ? net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).to_string()
                 : a.to_string();
    }
  }
  beast::tcp_stream stream(std::move(socket));
  handle->stream = &stream;
  {
    std::lock_guard lk(conns_mu);
    conns.insert(handle);
  }
  struct Cleanup {
    Impl* impl;
    std::shared_ptr<ConnHandle> h;
    ~Cleanup() {
      h->stream = nullptr;
      {
        std::lock_guard lk(impl->conns_mu);
        impl->conns.erase(h);
      }
      impl->active.fetch_sub(1);
    }
  } cleanup{this, handle};

  beast::flat_buffer buf;
  stream.expires_after(limits.header_timeout);
  auto [dec, is_tls] = co_await beast::async_detect_ssl(stream, buf, kTuple);
  if (dec) co_return;
  if (!is_tls) {
    // Plain HTTP on an HTTPS port: a clear refusal, then close.
    static const std::string kPlain =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        "Content-Length: 41\r\n\r\nThis port speaks HTTPS only; use https://\n";
    co_await net::async_write(stream, net::buffer(kPlain), kTuple);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return;
  }
  auto ctx = Context();
  beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *ctx);
  handle->stream = &tls.next_layer();
  auto [hec, used] = co_await tls.async_handshake(ssl::stream_base::server, buf.data(), kTuple);
  if (hec) co_return;
  buf.consume(used);
  bool clean = co_await Serve(l, tls, buf, *handle, peer, over_limit);
  if (clean) {
    tls.next_layer().expires_after(std::chrono::seconds(2));
    co_await tls.async_shutdown(kTuple);
  }
}

template <class Stream>
net::awaitable<bool> Server::Impl::Serve(Listener* l, Stream& s, beast::flat_buffer& buf,
                                         ConnHandle& handle, const std::string& peer,
                                         bool over_limit) {
  auto& lowest = beast::get_lowest_layer(s);
  for (;;) {
    if (buf.size() == 0) {
      if (stopping) co_return true;
      handle.idle = true;
      lowest.expires_after(limits.idle_timeout);
      auto [ec, n] = co_await s.async_read_some(buf.prepare(4096), kTuple);
      handle.idle = false;
      if (ec) co_return false;
      buf.commit(n);
    }
    const int64_t start = MonotonicMicros();
    Request req = NewRequest(l->spec.name, peer, start);
    bhttp::request_parser<bhttp::string_body> parser;
    const ReadOutcome read = co_await ReadRequest(s, buf, parser);
    Response resp;
    bool keep_alive = false;
    if (read.failed) co_return false;
    if (parser.is_header_done()) {
      auto& h = parser.get();
      req.method = std::string(h.method_string());
      req.target = std::string(h.target());
    }
    if (read.pec || read.framing) {
      // Refused (limits, framing, syntax): answered, then the connection is closed
      // (keep_alive stays false), whatever is left in it unread.
      resp = Refusal(read, req.request_id);
    } else {
      keep_alive = parser.get().keep_alive();
      TakeHeadersAndBody(parser.get(), req);
      if (over_limit) {
        resp =
            ErrorResponse(Error::Unavailable("Too many connections; retry later."), req.request_id);
        keep_alive = false;
      } else {
        resp = co_await Dispatch(l, req);
      }
    }
    if (stopping) keep_alive = false;

    const int64_t psp_us = resp.psp_us;
    auto out = ToWire(std::move(resp), req, l->spec.extra_headers, keep_alive);
    lowest.expires_after(limits.write_timeout);
    auto [wec, wn] = co_await bhttp::async_write(s, out, kTuple);

    if (observer) {
      observer(RequestRecord{l->spec.name, req.method.empty() ? "-" : req.method,
                             req.route.empty() ? "unmatched" : req.route, req.request_id, peer,
                             resp.status, MonotonicMicros() - start, psp_us});
    }
    if (wec) co_return false;
    if (!keep_alive) co_return true;
  }
}

// The request is parsed from the connection's buffer with parser.put(), reading only when the
// parser needs more: a request that arrived whole (the usual case) costs no composed read
// operation and no extra trip through the executor.
template <class Stream>
net::awaitable<Server::Impl::ReadOutcome> Server::Impl::ReadRequest(
    Stream& s, beast::flat_buffer& buf, bhttp::request_parser<bhttp::string_body>& parser) {
  auto& lowest = beast::get_lowest_layer(s);
  parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  parser.body_limit(limits.body_limit);
  parser.eager(false);  // stop after the head, to measure it; then take the body eagerly
  lowest.expires_after(limits.header_timeout);
  ReadOutcome out;
  size_t head_bytes = 0;
  bool obs_fold = false;  // a head line starts with SP/HTAB (Beast would unfold it)
  bool after_lf = false;
  for (;;) {
    if (buf.size() > 0) {
      const bool head_was_done = parser.is_header_done();
      const auto data = buf.data();
      const size_t n = parser.put(data, out.pec);
      if (!head_was_done) {
        obs_fold |=
            HasObsFold(std::string_view(static_cast<const char*>(data.data()), n), after_lf);
      }
      buf.consume(n);
      if (out.pec == bhttp::error::need_more) out.pec = {};
      if (out.pec) break;
      // Beast's header_limit holds per put() (which takes whole header lines as they come);
      // the head as a whole is limited here.
      if (!head_was_done) head_bytes += n;
      if (!parser.is_header_done() && head_bytes + buf.size() > limits.header_limit) {
        out.pec = bhttp::error::header_limit;
        break;
      }
      if (!head_was_done && parser.is_header_done()) {
        if (head_bytes > limits.header_limit) {
          out.pec = bhttp::error::header_limit;
          break;
        }
        // The framing rule, before any body byte is read: a refused head is answered and the
        // connection closed, so its body is never read as a request.
        out.framing = CheckRequestHead(parser.get().base(), obs_fold);
        if (out.framing) break;
        if (parser.is_done()) break;  // no body
        parser.eager(true);
        lowest.expires_after(limits.body_timeout);
        continue;  // the body may be in the buffer already
      }
      if (parser.is_done()) break;
    }
    auto [rec, rn] = co_await s.async_read_some(buf.prepare(16384), kTuple);
    if (rec) {
      out.failed = true;
      break;
    }
    buf.commit(rn);
  }
  co_return out;
}

Response Server::Impl::Refusal(const ReadOutcome& read, const std::string& request_id) {
  const FramingError framing = read.framing ? *read.framing : ForParseError(read.pec);
  Response resp = ErrorResponse(framing.error, request_id);
  resp.status = framing.status;
  return resp;
}

net::awaitable<Response> Server::Impl::Dispatch(Listener* l, Request& req) {
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  if (req.path.empty() || req.path[0] != '/') {
    co_return ErrorResponse(
        Error::Invalid("malformed_request", "The request target must be a path."), req.request_id);
  }
  auto match = l->spec.router->Find(req.method, req.path, req.params);
  if (!match.route) {
    if (!match.allow.empty()) {
      auto r = ErrorResponse(Error{ErrorType::kMethodNotAllowed,
                                   "method_not_allowed",
                                   "Method " + req.method + " is not allowed on this path.",
                                   {},
                                   {}},
                             req.request_id);
      r.SetHeader("Allow", match.allow);
      co_return r;
    }
    co_return ErrorResponse(
        Error::NotFound("Unrecognized request URL (" + req.method + " " + req.path + ")."),
        req.request_id);
  }
  req.route = match.route->pattern;
  req.permission = match.route->permission;
  std::string failure;
  try {
    co_return co_await match.route->handler(req);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  log::Error("handler_exception",
             {{"route", req.route}, {"request_id", req.request_id}, {"error", failure}});
  co_return ErrorResponse(Error::Internal(failure), req.request_id);
}

Server::Server(net::io_context& ioc, Limits limits, TlsFiles tls, RequestObserver observer)
    : impl_(std::make_shared<Impl>(ioc, limits, std::move(tls), std::move(observer))) {}

Server::~Server() = default;

Result<void> Server::Start(const std::vector<ListenerSpec>& specs) {
  auto ctx = MakeTlsContext(impl_->tls_files);
  if (!ctx) return ctx.error();
  impl_->ctx = *ctx;
  RaiseFileLimit(impl_->limits.max_connections + 2048);
  for (const auto& spec : specs) {
    auto ep = ParseAddress(spec.address);
    if (!ep) return ep.error();
    auto l = std::make_unique<Impl::Listener>();
    l->spec = spec;
    l->acceptor = std::make_unique<tcp::acceptor>(impl_->ioc);
    boost::system::error_code ec;
    l->acceptor->open(ep->protocol(), ec);
    if (!ec) l->acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) l->acceptor->bind(*ep, ec);
    if (!ec) l->acceptor->listen(4096, ec);
    if (ec) {
      return Error::Internal("cannot listen on " + spec.address + " (" + spec.name +
                             "): " + ec.message());
    }
    l->port = l->acceptor->local_endpoint().port();
    impl_->listeners.push_back(std::move(l));
  }
  for (auto& l : impl_->listeners) {
    net::co_spawn(impl_->ioc, impl_->Accept(l.get()), net::detached);
  }
  return {};
}

std::map<std::string, uint16_t> Server::Ports() const {
  std::map<std::string, uint16_t> out;
  for (const auto& l : impl_->listeners) out[l->spec.name] = l->port;
  return out;
}

size_t Server::ActiveConnections() const { return impl_->active.load(); }

Result<void> Server::ReloadTls() {
  auto ctx = MakeTlsContext(impl_->tls_files);
  if (!ctx) return ctx.error();
  std::lock_guard lk(impl_->ctx_mu);
  impl_->ctx = *ctx;
  return {};
}

int64_t Server::CertificateNotAfter() const {
  std::shared_ptr<ssl::context> ctx;
  {
    std::lock_guard lk(impl_->ctx_mu);
    ctx = impl_->ctx;
  }
  const X509* cert = ctx ? SSL_CTX_get0_certificate(ctx->native_handle()) : nullptr;
  std::tm tm{};
  if (!cert || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    return 0;
  }
  return static_cast<int64_t>(timegm(&tm));
}

void Server::Shutdown(std::function<void()> done) {
  auto impl = impl_;
  net::post(impl->ioc, [impl, done = std::move(done)]() mutable {
    impl->stopping = true;
    for (auto& l : impl->listeners) {
      boost::system::error_code ignored;
      l->acceptor->close(ignored);
    }
    auto close_conns = [impl](bool only_idle) {
      std::vector<std::shared_ptr<ConnHandle>> handles;
      {
        std::lock_guard lk(impl->conns_mu);
        handles.assign(impl->conns.begin(), impl->conns.end());
      }
      for (auto& h : handles) {
        net::post(h->ex, [h, only_idle] {
          if (h->stream && (!only_idle || h->idle)) {
            boost::system::error_code ignored;
            h->stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
            h->stream->socket().close(ignored);
          }
        });
      }
    };
    close_conns(true);
    net::co_spawn(
        impl->ioc,
        [impl, done = std::move(done), close_conns]() -> net::awaitable<void> {
          const auto deadline = std::chrono::steady_clock::now() + impl->limits.shutdown_grace;
          net::steady_timer t(impl->ioc);
          while (impl->active.load() > 0 && std::chrono::steady_clock::now() < deadline) {
            close_conns(true);  // connections that became idle since
            t.expires_after(std::chrono::milliseconds(50));
            co_await t.async_wait(kTuple);
          }
          if (impl->active.load() > 0) {
            close_conns(false);
            t.expires_after(std::chrono::milliseconds(100));
            co_await t.async_wait(kTuple);
          }
          done();
        },
        net::detached);
  });
}

}  // namespace lp::http
