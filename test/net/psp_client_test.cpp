// PspClient against in-process TLS servers on 127.0.0.1 (port 0) with certificates from a test
// CA: keep-alive reuse (accepted connections counted), the deadline, the size cap, the retry rule
// (only provably unsent calls, only with an Idempotency-Key), CONNECT through a tiny proxy, and
// refused certificates (untrusted, wrong host name, expired).
#include "lp/net/psp_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include "psp/test_pki.hpp"

namespace lp::net {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Seen {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
};

enum class Mode {
  kKeepAlive,           // answers every request on the connection, keeps it open
  kClose,               // answers with Connection: close
  kDropAfterAnswer,     // answers (keep-alive) and then closes the connection while idle
  kSilent,              // reads the request, never answers
  kHuge,                // 200 with a 2 MB body
  kHangUpMidRequest,    // reads the request head, then closes without answering
  kFailFirstHandshake,  // closes the first connection before the TLS handshake
  kNoHandshake,         // accepts TCP and never speaks TLS
};

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class TlsServer {
 public:
  TlsServer(asio::io_context& ioc, const testing::PemPair& cert, Mode mode)
      : ioc_(ioc), mode_(mode), acceptor_(ioc, {asio::ip::make_address("127.0.0.1"), 0}) {
    ctx_.use_certificate_chain(asio::buffer(cert.cert_pem));
    ctx_.use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
    asio::co_spawn(ioc, Accept(), asio::detached);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  int accepted = 0;
  int handshakes = 0;
  std::vector<Seen> requests;

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      ++accepted;
      asio::co_spawn(ioc_, Serve(std::move(sock), accepted), asio::detached);
    }
  }

  asio::awaitable<void> Serve(tcp::socket sock, int n) {
    if (mode_ == Mode::kFailFirstHandshake && n == 1) co_return;  // closes the socket
    if (mode_ == Mode::kNoHandshake) {
      asio::steady_timer t(ioc_, 10s);
      co_await t.async_wait(kTuple);
      co_return;
    }
    ssl::stream<tcp::socket> s(std::move(sock), ctx_);
    auto [hec] = co_await s.async_handshake(ssl::stream_base::server, kTuple);
    if (hec) co_return;
    ++handshakes;
    beast::flat_buffer buf;
    for (;;) {
      http::request_parser<http::string_body> parser;
      if (mode_ == Mode::kHangUpMidRequest) {
        auto [ec, n2] = co_await http::async_read_header(s, buf, parser, kTuple);
        if (!ec) requests.push_back({std::string(parser.get().method_string()), "", "", {}});
        co_return;  // closes without an answer
      }
      auto [ec, n2] = co_await http::async_read(s, buf, parser, kTuple);
      if (ec) co_return;
      auto& req = parser.get();
      Seen seen{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
      for (const auto& f : req) seen.headers[Lower(std::string(f.name_string()))] = f.value();
      requests.push_back(std::move(seen));
      if (mode_ == Mode::kSilent) {
        asio::steady_timer t(ioc_, 10s);
        co_await t.async_wait(kTuple);
        co_return;
      }
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = mode_ == Mode::kHuge ? std::string(2 * 1024 * 1024, 'x')
                                        : R"({"n":)" + std::to_string(requests.size()) + "}";
      res.keep_alive(mode_ != Mode::kClose);
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(s, res, kTuple);
      if (wec || mode_ == Mode::kClose || mode_ == Mode::kHuge) co_return;
      if (mode_ == Mode::kDropAfterAnswer) {
        boost::system::error_code ignored;
        s.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
      }
    }
  }

  asio::io_context& ioc_;
  Mode mode_;
  ssl::context ctx_{ssl::context::tls_server};
  tcp::acceptor acceptor_;
};

// A forward proxy that answers CONNECT host:port (to 127.0.0.1:port) and then relays bytes.
class ConnectProxy {
 public:
  ConnectProxy(asio::io_context& ioc, int refuse_status = 0)
      : ioc_(ioc),
        refuse_(refuse_status),
        acceptor_(ioc, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(ioc, Accept(), asio::detached);
  }
  std::string url(const std::string& userinfo = "") const {
    return "http://" + (userinfo.empty() ? "" : userinfo + "@") +
           "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  std::vector<std::string> connect_targets;
  std::vector<std::string> proxy_authorizations;

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      asio::co_spawn(ioc_, Serve(std::move(sock)), asio::detached);
    }
  }
  static asio::awaitable<void> Pipe(tcp::socket& from, tcp::socket& to) {
    std::array<char, 16384> data;
    for (;;) {
      auto [ec, n] = co_await from.async_read_some(asio::buffer(data), kTuple);
      if (ec) break;
      auto [wec, wn] = co_await asio::async_write(to, asio::buffer(data.data(), n), kTuple);
      if (wec) break;
    }
    boost::system::error_code ignored;
    to.shutdown(tcp::socket::shutdown_send, ignored);
  }
  asio::awaitable<void> Serve(tcp::socket client) {
    beast::flat_buffer buf;
    http::request_parser<http::empty_body> parser;
    auto [ec, n] = co_await http::async_read_header(client, buf, parser, kTuple);
    if (ec) co_return;
    const auto& req = parser.get();
    connect_targets.emplace_back(req.target());
    proxy_authorizations.emplace_back(req[http::field::proxy_authorization]);
    if (req.method() != http::verb::connect || refuse_ != 0) {
      const std::string no = "HTTP/1.1 " + std::to_string(refuse_ ? refuse_ : 405) +
                             " No\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      co_await asio::async_write(client, asio::buffer(no), kTuple);
      co_return;
    }
    const std::string target(req.target());
    const auto port = static_cast<uint16_t>(std::stoi(target.substr(target.rfind(':') + 1)));
    tcp::socket upstream(ioc_);
    auto [cec] =
        co_await upstream.async_connect({asio::ip::make_address("127.0.0.1"), port}, kTuple);
    if (cec) co_return;
    const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    co_await asio::async_write(client, asio::buffer(ok), kTuple);
    using namespace asio::experimental::awaitable_operators;
    co_await (Pipe(client, upstream) && Pipe(upstream, client));
  }

  asio::io_context& ioc_;
  int refuse_;
  tcp::acceptor acceptor_;
};

template <class T>
T RunTask(asio::io_context& ioc, asio::awaitable<T> task, std::chrono::milliseconds limit = 10s) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T v) {
    error = e;
    out = std::move(v);
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!out && !error && std::chrono::steady_clock::now() < deadline) {
    if (ioc.stopped()) ioc.restart();  // ran out of work after an earlier task
    ioc.run_one_for(20ms);
  }
  if (error) std::rethrow_exception(error);
  if (!out) throw std::runtime_error("task did not finish in time");
  return std::move(*out);
}

void Drain(asio::io_context& ioc, std::chrono::milliseconds d = 100ms) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < deadline) ioc.run_one_for(10ms);
}

class PspClientTest : public ::testing::Test {
 protected:
  PspClientOptions Options() {
    PspClientOptions o;
    o.trusted_ca_pem = pki_.CaPem();
    o.resolve = [](const std::string& host) -> Result<std::vector<asio::ip::address>> {
      if (host != "psp.test") return Error::Invalid("nxdomain", "no such host " + host);
      return std::vector<asio::ip::address>{asio::ip::make_address("127.0.0.1")};
    };
    return o;
  }
  static PspHttpRequest Post(uint16_t port, std::string idempotency_key = "",
                             std::chrono::milliseconds timeout = 5s) {
    PspHttpRequest r;
    r.method = PspMethod::kPost;
    r.url = "https://psp.test:" + std::to_string(port) + "/v1/payment_intents";
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Authorization", "Bearer sk_test_123"}};
    if (!idempotency_key.empty()) r.headers.emplace_back("Idempotency-Key", idempotency_key);
    r.body = "amount=1099&currency=eur";
    r.timeout = timeout;
    return r;
  }
  Result<PspHttpResponse> Call(PspClient& c, PspHttpRequest r) {
    return RunTask(ioc_, c.Call(std::move(r)));
  }

  testing::TestPki pki_;
  testing::PemPair good_ = pki_.Issue("DNS:psp.test,IP:127.0.0.1");
  asio::io_context ioc_;
};

TEST_F(PspClientTest, SequentialCallsReuseOneKeepAliveConnection) {
  TlsServer server(ioc_, good_, Mode::kKeepAlive);
  PspClient client(ioc_.get_executor(), Options());
  for (int i = 1; i <= 3; ++i) {
    auto r = Call(client, Post(server.port()));
    ASSERT_TRUE(r) << r.error().code << " " << r.error().detail;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"n":)" + std::to_string(i) + "}");
    EXPECT_EQ(r->reused_connection, i > 1);
    EXPECT_EQ(r->Header("Content-Type"), "application/json");
  }
  EXPECT_EQ(server.accepted, 1);
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(client.stats().connections_reused, 2u);
  ASSERT_EQ(server.requests.size(), 3u);
  const Seen& s = server.requests[0];
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.target, "/v1/payment_intents");
  EXPECT_EQ(s.body, "amount=1099&currency=eur");
  EXPECT_EQ(s.headers.at("host"), "psp.test:" + std::to_string(server.port()));
  EXPECT_EQ(s.headers.at("authorization"), "Bearer sk_test_123");
  EXPECT_EQ(s.headers.at("content-length"), "24");
  EXPECT_EQ(s.headers.at("user-agent"), "LiasonPay/1.0");
}

TEST_F(PspClientTest, GetSendsNoBodyAndKeepsTheQuery) {
  TlsServer server(ioc_, good_, Mode::kKeepAlive);
  PspClient client(ioc_.get_executor(), Options());
  PspHttpRequest r;
  r.method = PspMethod::kGet;
  r.url = "https://psp.test:" + std::to_string(server.port()) + "/v1/payment_intents/pi_1?x=1";
  auto res = Call(client, r);
  ASSERT_TRUE(res) << res.error().detail;
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method, "GET");
  EXPECT_EQ(server.requests[0].target, "/v1/payment_intents/pi_1?x=1");
  EXPECT_TRUE(server.requests[0].body.empty());
}

TEST_F(PspClientTest, ConnectionCloseResponseIsNotReused) {
  TlsServer server(ioc_, good_, Mode::kClose);
  PspClient client(ioc_.get_executor(), Options());
  ASSERT_TRUE(Call(client, Post(server.port())));
  ASSERT_TRUE(Call(client, Post(server.port())));
  EXPECT_EQ(server.accepted, 2);
  EXPECT_EQ(client.stats().idle_connections, 0u);
}

TEST_F(PspClientTest, ConnectionClosedByThePeerWhileIdleIsReplacedBeforeWriting) {
  TlsServer server(ioc_, good_, Mode::kDropAfterAnswer);
  PspClient client(ioc_.get_executor(), Options());
  ASSERT_TRUE(Call(client, Post(server.port(), "key-1")));
  Drain(ioc_, 50ms);  // the server's FIN arrives
  auto r = Call(client, Post(server.port(), "key-2"));
  ASSERT_TRUE(r) << r.error().code << " " << r.error().detail;
  EXPECT_EQ(r->attempts, 1);
  EXPECT_FALSE(r->reused_connection);
  EXPECT_EQ(client.stats().stale_connections_dropped, 1u);
  EXPECT_EQ(server.accepted, 2);
  EXPECT_EQ(server.requests.size(), 2u);
}

TEST_F(PspClientTest, IdleConnectionsAreBoundedPerHost) {
  TlsServer server(ioc_, good_, Mode::kKeepAlive);
  PspClientOptions o = Options();
  o.max_idle_per_host = 2;
  PspClient client(ioc_.get_executor(), o);
  int done = 0;
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(ioc_, client.Call(Post(server.port())),
                   [&](std::exception_ptr, Result<PspHttpResponse> r) { done += r ? 1 : 0; });
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (done < 5 && std::chrono::steady_clock::now() < deadline) ioc_.run_one_for(20ms);
  EXPECT_EQ(done, 5);
  EXPECT_EQ(server.accepted, 5);  // concurrent calls each needed a connection
  EXPECT_EQ(client.stats().idle_connections, 2u);
}

TEST_F(PspClientTest, IdleTimeoutClosesOldConnections) {
  TlsServer server(ioc_, good_, Mode::kKeepAlive);
  PspClientOptions o = Options();
  o.idle_timeout = 50ms;
  PspClient client(ioc_.get_executor(), o);
  ASSERT_TRUE(Call(client, Post(server.port())));
  Drain(ioc_, 120ms);
  auto r = Call(client, Post(server.port()));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->reused_connection);
  EXPECT_EQ(server.accepted, 2);
}

TEST_F(PspClientTest, SilentServerIsTimeoutWithinTheDeadline) {
  TlsServer server(ioc_, good_, Mode::kSilent);
  PspClient client(ioc_.get_executor(), Options());
  const auto start = std::chrono::steady_clock::now();
  auto r = Call(client, Post(server.port(), "key-1", 300ms));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "timeout");
  EXPECT_EQ(r.error().type, ErrorType::kUnavailable);
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 2s);
  Drain(ioc_);
  EXPECT_EQ(server.accepted, 1);  // a timeout after sending is never retried
  EXPECT_EQ(server.requests.size(), 1u);
}

TEST_F(PspClientTest, DeadlineBeforeAnythingWasSentIsConnectFailed) {
  TlsServer server(ioc_, good_, Mode::kNoHandshake);
  PspClient client(ioc_.get_executor(), Options());
  auto r = Call(client, Post(server.port(), "key-1", 200ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
  EXPECT_TRUE(ProvablyNotSent(r.error().code));
  EXPECT_NE(r.error().detail.find("before the request was sent"), std::string::npos)
      << r.error().detail;
}

TEST_F(PspClientTest, BodyOverTheLimitIsResponseTooLarge) {
  TlsServer server(ioc_, good_, Mode::kHuge);
  PspClientOptions o = Options();
  o.max_response_bytes = 64 * 1024;
  PspClient client(ioc_.get_executor(), o);
  auto r = Call(client, Post(server.port()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "response_too_large");
  EXPECT_EQ(client.stats().idle_connections, 0u);
}

TEST_F(PspClientTest, FailedHandshakeOnAFreshConnectionIsRetriedWithAnIdempotencyKey) {
  TlsServer server(ioc_, good_, Mode::kFailFirstHandshake);
  PspClient client(ioc_.get_executor(), Options());
  auto r = Call(client, Post(server.port(), "att_1"));
  ASSERT_TRUE(r) << r.error().code << " " << r.error().detail;
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(client.stats().retries, 1u);
  EXPECT_EQ(server.accepted, 2);
  ASSERT_EQ(server.requests.size(), 1u);  // sent exactly once
  EXPECT_EQ(server.requests[0].headers.at("idempotency-key"), "att_1");
}

TEST_F(PspClientTest, WithoutAnIdempotencyKeyNothingIsRetried) {
  TlsServer server(ioc_, good_, Mode::kFailFirstHandshake);
  PspClient client(ioc_.get_executor(), Options());
  auto r = Call(client, Post(server.port()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
  Drain(ioc_);
  EXPECT_EQ(server.accepted, 1);
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST_F(PspClientTest, RefusedConnectionIsConnectFailedAfterTheAllowedRetries) {
  uint16_t port = 0;
  {
    tcp::acceptor a(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  PspClientOptions o = Options();
  o.max_attempts = 3;
  PspClient client(ioc_.get_executor(), o);
  auto r = Call(client, Post(port, "att_1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
  EXPECT_EQ(client.stats().retries, 2u);
}

TEST_F(PspClientTest, ServerClosingMidRequestIsRequestFailedAndNeverRetried) {
  TlsServer server(ioc_, good_, Mode::kHangUpMidRequest);
  PspClient client(ioc_.get_executor(), Options());
  auto r = Call(client, Post(server.port(), "att_1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "request_failed");
  EXPECT_FALSE(ProvablyNotSent(r.error().code));
  Drain(ioc_, 200ms);
  EXPECT_EQ(server.accepted, 1);
  EXPECT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST_F(PspClientTest, UntrustedCertificateIsRefusedBeforeSending) {
  TlsServer server(ioc_, testing::TestPki::SelfSigned("DNS:psp.test,IP:127.0.0.1"),
                   Mode::kKeepAlive);
  PspClient client(ioc_.get_executor(), Options());
  auto r = Call(client, Post(server.port()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
  EXPECT_NE(r.error().detail.find("certificate"), std::string::npos) << r.error().detail;
  Drain(ioc_);
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(PspClientTest, SystemTrustStoreDoesNotTrustTheTestCa) {
  TlsServer server(ioc_, good_, Mode::kKeepAlive);
  PspClientOptions o = Options();
  o.trusted_ca_pem.clear();
  PspClient client(ioc_.get_executor(), o);
  auto r = Call(client, Post(server.port()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
  Drain(ioc_);
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(PspClientTest, HostNameMismatchIsRefused) {
  TlsServer server(ioc_, pki_.Issue("DNS:other.test"), Mode::kKeepAlive);
  PspClient client(ioc_.get_executor(), Options());
  auto r = Call(client, Post(server.port()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
  EXPECT_NE(r.error().detail.find("hostname mismatch"), std::string::npos) << r.error().detail;
  Drain(ioc_);
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(PspClientTest, ExpiredCertificateIsRefused) {
  TlsServer server(ioc_, pki_.Issue("DNS:psp.test", /*expired=*/true), Mode::kKeepAlive);
  PspClient client(ioc_.get_executor(), Options());
  auto r = Call(client, Post(server.port()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
  EXPECT_NE(r.error().detail.find("expired"), std::string::npos) << r.error().detail;
  Drain(ioc_);
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(PspClientTest, IpAddressUrlIsVerifiedAgainstTheIpSan) {
  TlsServer server(ioc_, good_, Mode::kKeepAlive);
  PspClient client(ioc_.get_executor(), Options());
  PspHttpRequest r = Post(server.port());
  r.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/v1/x";
  auto res = Call(client, r);
  ASSERT_TRUE(res) << res.error().detail;
  TlsServer named_only(ioc_, pki_.Issue("DNS:psp.test"), Mode::kKeepAlive);
  r.url = "https://127.0.0.1:" + std::to_string(named_only.port()) + "/v1/x";
  auto refused = Call(client, r);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "connect_failed");
}

TEST_F(PspClientTest, ProxyTunnelsTlsEndToEndAndKeepsTheTunnelAlive) {
  TlsServer server(ioc_, good_, Mode::kKeepAlive);
  ConnectProxy proxy(ioc_);
  PspClientOptions o = Options();
  o.proxy_url = proxy.url("lp:s3cret");
  PspClient client(ioc_.get_executor(), o);
  ASSERT_TRUE(client.init_error().empty()) << client.init_error();
  for (int i = 0; i < 2; ++i) {
    auto r = Call(client, Post(server.port()));
    ASSERT_TRUE(r) << r.error().code << " " << r.error().detail;
    EXPECT_EQ(r->status, 200);
  }
  ASSERT_EQ(proxy.connect_targets.size(), 1u);  // one tunnel, reused
  EXPECT_EQ(proxy.connect_targets[0], "psp.test:" + std::to_string(server.port()));
  EXPECT_EQ(proxy.proxy_authorizations[0], "Basic bHA6czNjcmV0");
  EXPECT_EQ(server.handshakes, 1);
  EXPECT_EQ(server.requests.size(), 2u);
}

TEST_F(PspClientTest, ProxyRefusingTheTunnelIsConnectFailed) {
  TlsServer server(ioc_, good_, Mode::kKeepAlive);
  ConnectProxy proxy(ioc_, 403);
  PspClientOptions o = Options();
  o.proxy_url = proxy.url();
  PspClient client(ioc_.get_executor(), o);
  auto r = Call(client, Post(server.port(), "att_1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
  EXPECT_NE(r.error().detail.find("403"), std::string::npos) << r.error().detail;
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(PspClientTest, BadProxyUrlOrCaMakesEveryCallFail) {
  PspClientOptions o = Options();
  o.proxy_url = "https://proxy.test:3128";
  PspClient client(ioc_.get_executor(), o);
  EXPECT_FALSE(client.init_error().empty());
  auto r = Call(client, Post(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "internal_error");
  PspClientOptions bad_ca = Options();
  bad_ca.trusted_ca_pem = "not a certificate";
  PspClient c2(ioc_.get_executor(), bad_ca);
  EXPECT_FALSE(c2.init_error().empty());
}

TEST_F(PspClientTest, PlainHttpNeedsAllowHttp) {
  PspClient client(ioc_.get_executor(), Options());
  PspHttpRequest r = Post(1);
  r.url = "http://psp.test:1/v1/x";
  auto refused = Call(client, r);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "url_invalid");
  for (const std::string bad : {"ftp://psp.test/x", "https://", "https://psp.test:99999/",
                                "https://u:p@psp.test/", "https://psp.test/a b"}) {
    r.url = bad;
    auto e = Call(client, r);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, "url_invalid") << bad;
  }
}

TEST_F(PspClientTest, HeadersTheClientOwnsAreRefused) {
  PspClient client(ioc_.get_executor(), Options());
  for (const auto& h : std::vector<std::pair<std::string, std::string>>{{"Host", "evil.test"},
                                                                        {"Content-Length", "1"},
                                                                        {"Connection", "close"},
                                                                        {"X-A", "a\r\nB: c"},
                                                                        {"Bad Name", "x"}}) {
    PspHttpRequest r = Post(1);
    r.headers.push_back(h);
    auto e = Call(client, r);
    ASSERT_FALSE(e) << h.first;
    EXPECT_EQ(e.error().code, "header_invalid") << h.first;
  }
}

TEST_F(PspClientTest, WorksFromSeveralThreadsAtOnce) {
  asio::io_context server_ioc;
  TlsServer server(server_ioc, good_, Mode::kKeepAlive);
  auto server_work = asio::make_work_guard(server_ioc);
  std::thread server_thread([&] { server_ioc.run(); });
  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  PspClient client(ioc.get_executor(), Options());
  std::atomic<int> ok{0}, done{0};
  constexpr int kCalls = 40;
  std::thread t1([&] { ioc.run(); });
  std::thread t2([&] { ioc.run(); });
  for (int i = 0; i < kCalls; ++i) {
    asio::co_spawn(ioc, client.Call(Post(server.port())),
                   [&](std::exception_ptr e, Result<PspHttpResponse> r) {
                     if (!e && r && r->status == 200) ++ok;
                     ++done;
                   });
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (done < kCalls && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  work.reset();
  ioc.stop();
  t1.join();
  t2.join();
  server_work.reset();
  server_ioc.stop();
  server_thread.join();
  EXPECT_EQ(ok, kCalls);
  EXPECT_LE(client.stats().connections_opened, static_cast<uint64_t>(kCalls));
}

}  // namespace
}  // namespace lp::net
