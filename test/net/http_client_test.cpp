// HttpClient against local servers on 127.0.0.1 (port 0): plain HTTP in dev mode, TLS with a
// self-signed certificate, and misbehaving servers (redirect, silence, endless body).
#include "lp/net/http_client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "lp/http/server.hpp"
#include "support/temp_dir.hpp"

namespace lp::net {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Received {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

enum class Mode {
  kEcho,      // 200 "ok", records the request
  kRedirect,  // 302 to /elsewhere
  kSilent,    // reads the request, never answers
  kHuge,      // 200 with a 50 MB body, written until the client goes away
};

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A tiny Beast server; plain TCP, or TLS when given a context.
class TestServer {
 public:
  TestServer(asio::io_context& ioc, Mode mode, ssl::context* tls = nullptr)
      : ioc_(ioc),
        mode_(mode),
        tls_(tls),
        acceptor_(ioc, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(ioc, Accept(), asio::detached);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string base() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
  }

  int accepted = 0;
  int tls_handshake_failures = 0;
  std::vector<Received> requests;

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      ++accepted;
      asio::co_spawn(ioc_, Serve(std::move(sock)), asio::detached);
    }
  }

  asio::awaitable<void> Serve(tcp::socket sock) {
    if (!tls_) {
      co_await Handle(sock);
      co_return;
    }
    ssl::stream<tcp::socket> s(std::move(sock), *tls_);
    auto [ec] = co_await s.async_handshake(ssl::stream_base::server, kTuple);
    if (ec) {
      ++tls_handshake_failures;
      co_return;
    }
    co_await Handle(s);
  }

  template <class Stream>
  asio::awaitable<void> Handle(Stream& s) {
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(s, buf, req, kTuple);
    if (ec) co_return;
    Received r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.body = req.body();
    for (const auto& f : req) {
      r.headers[Lower(std::string(f.name_string()))] = std::string(f.value());
    }
    requests.push_back(std::move(r));

    if (mode_ == Mode::kSilent) {
      asio::steady_timer t(ioc_, 30s);
      co_await t.async_wait(kTuple);
      co_return;
    }
    if (mode_ == Mode::kHuge) {
      const std::string head =
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 52428800\r\n\r\n";
      auto [hec, hn] = co_await asio::async_write(s, asio::buffer(head), kTuple);
      if (hec) co_return;
      const std::string chunk(64 * 1024, 'x');
      for (size_t sent = 0; sent < 52428800; sent += chunk.size()) {
        auto [wec, wn] = co_await asio::async_write(s, asio::buffer(chunk), kTuple);
        if (wec) co_return;  // the client stopped reading and closed
      }
      co_return;
    }
    http::response<http::string_body> res;
    res.version(11);
    if (mode_ == Mode::kRedirect) {
      res.result(http::status::found);
      res.set(http::field::location, "/elsewhere");
      res.body() = "moved";
    } else {
      res.result(http::status::ok);
      res.set(http::field::retry_after, "120");
      res.body() = "ok";
    }
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(s, res, kTuple);
  }

  asio::io_context& ioc_;
  Mode mode_;
  ssl::context* tls_;
  tcp::acceptor acceptor_;
};

// Runs `task` on `ioc` until it completes (servers keep the context busy, so run() never
// returns on its own).
template <class T>
T RunTask(asio::io_context& ioc, asio::awaitable<T> task, std::chrono::milliseconds limit = 10s) {
  std::optional<T> out;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T v) {
    error = e;
    out = std::move(v);
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < deadline) ioc.run_one_for(50ms);
  if (!done) throw std::runtime_error("task did not finish in time");
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

// Lets the servers run a little longer (e.g. to see whether a connection arrives).
void Drain(asio::io_context& ioc, std::chrono::milliseconds d = 100ms) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < deadline) ioc.run_one_for(10ms);
}

OutboundPolicy DevPolicy(std::chrono::milliseconds timeout = 5s) {
  OutboundPolicy p;
  p.dev_mode = true;
  p.timeout = timeout;
  return p;
}

OutboundPolicy ProdPolicy() {
  OutboundPolicy p;
  p.timeout = 5s;
  return p;
}

HttpClientOptions ResolveTo(const std::string& host, std::vector<std::string> addrs) {
  HttpClientOptions o;
  o.resolve = [host, addrs](const std::string& h) -> Result<std::vector<asio::ip::address>> {
    if (h != host) return Error::Invalid("nxdomain", "no such host");
    std::vector<asio::ip::address> out;
    for (const auto& a : addrs) out.push_back(asio::ip::make_address(a));
    return out;
  };
  return o;
}

Result<HttpResult> PostNow(asio::io_context& ioc, HttpClient& client, const std::string& url,
                           std::string body = "{}", HttpHeaders headers = {}) {
  return RunTask(ioc, client.Post(url, std::move(body), std::move(headers)));
}

TEST(HttpClient, DevModePostDeliversBodyAndHeadersAndReturnsStatus) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kEcho);
  HttpClient client(ioc.get_executor(), DevPolicy());
  const std::string body = R"({"id":"evt_1","type":"payment.succeeded","data":{"object":{}}})";
  auto r = PostNow(ioc, client, server.base() + "/hooks/lp?x=1", body,
                   {{"Content-Type", "application/json"},
                    {"webhook-id", "msg_abc"},
                    {"webhook-timestamp", "1700000000"},
                    {"webhook-signature", "v1,AAAA v1,BBBB"}});
  ASSERT_TRUE(r) << r.error().code << " " << r.error().detail;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body_prefix, "ok");
  EXPECT_FALSE(r->body_truncated);
  EXPECT_EQ(r->retry_after, "120");
  EXPECT_EQ(r->peer_address, "127.0.0.1");
  EXPECT_GT(r->latency_us, 0);
  EXPECT_LT(r->latency_us, 5'000'000);
  ASSERT_EQ(server.requests.size(), 1u);
  const Received& got = server.requests[0];
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/hooks/lp?x=1");
  EXPECT_EQ(got.body, body);  // byte-identical
  EXPECT_EQ(got.headers.at("content-type"), "application/json");
  EXPECT_EQ(got.headers.at("webhook-id"), "msg_abc");
  EXPECT_EQ(got.headers.at("webhook-timestamp"), "1700000000");
  EXPECT_EQ(got.headers.at("webhook-signature"), "v1,AAAA v1,BBBB");
  EXPECT_EQ(got.headers.at("content-length"), std::to_string(body.size()));
  EXPECT_EQ(got.headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(got.headers.at("user-agent"), "LiasonPay-Webhooks/1.0");
}

TEST(HttpClient, LoopbackUrlWithoutDevModeIsRefusedBeforeConnecting) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kEcho);
  HttpClient client(ioc.get_executor(), ProdPolicy());
  for (const std::string& url :
       {server.base() + "/hook", "https://127.0.0.1:" + std::to_string(server.port()) + "/hook",
        "https://[::ffff:127.0.0.1]:" + std::to_string(server.port()) + "/hook",
        "https://localhost:" + std::to_string(server.port()) + "/hook"}) {
    auto r = PostNow(ioc, client, url);
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().code, "url_forbidden") << url;
  }
  Drain(ioc);
  EXPECT_EQ(server.accepted, 0);
}

TEST(HttpClient, HostNameResolvingToLoopbackIsBlockedOutsideDevMode) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kEcho);
  const std::string port = std::to_string(server.port());
  for (const auto& addr : {"127.0.0.1", "::1", "::ffff:127.0.0.1"}) {
    HttpClient client(ioc.get_executor(), ProdPolicy(), ResolveTo("hooks.example.test", {addr}));
    auto r = PostNow(ioc, client, "https://hooks.example.test:" + port + "/hook");
    ASSERT_FALSE(r) << addr;
    EXPECT_EQ(r.error().code, "ssrf_blocked") << addr;
    EXPECT_EQ(r.error().param, "url");
    EXPECT_NE(r.error().detail.find(addr), std::string::npos) << r.error().detail;
  }
  Drain(ioc);
  EXPECT_EQ(server.accepted, 0);
}

TEST(HttpClient, OneForbiddenAddressAmongManyBlocksTheHost) {
  asio::io_context ioc;
  HttpClient client(ioc.get_executor(), ProdPolicy(),
                    ResolveTo("mixed.example.test", {"8.8.8.8", "10.0.0.7"}));
  auto r = PostNow(ioc, client, "https://mixed.example.test/hook");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ssrf_blocked");
  EXPECT_NE(r.error().message.find("private"), std::string::npos) << r.error().message;
}

TEST(HttpClient, DevModeStillBlocksPrivateAndMetadataAddresses) {
  asio::io_context ioc;
  for (const auto& addr : {"10.0.0.1", "169.254.169.254", "fd00:ec2::254", "192.168.1.1"}) {
    HttpClient client(ioc.get_executor(), DevPolicy(), ResolveTo("internal.test", {addr}));
    auto r = PostNow(ioc, client, "http://internal.test/latest/meta-data");
    ASSERT_FALSE(r) << addr;
    EXPECT_EQ(r.error().code, "ssrf_blocked") << addr;
  }
}

TEST(HttpClient, ConnectsToTheCheckedAddressNotByResolvingTheNameAgain) {
  // "receiver.example.test" does not exist in DNS: the request can only arrive if the client
  // connects to the address the hook returned (and that passed the check).
  asio::io_context ioc;
  TestServer server(ioc, Mode::kEcho);
  HttpClient client(ioc.get_executor(), DevPolicy(),
                    ResolveTo("receiver.example.test", {"127.0.0.1"}));
  const std::string host = "receiver.example.test:" + std::to_string(server.port());
  auto r = PostNow(ioc, client, "http://" + host + "/in");
  ASSERT_TRUE(r) << r.error().code << " " << r.error().detail;
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].headers.at("host"), host);
}

TEST(HttpClient, RedirectIsReturnedAndNotFollowed) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kRedirect);
  HttpClient client(ioc.get_executor(), DevPolicy());
  auto r = PostNow(ioc, client, server.base() + "/hook");
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->body_prefix, "moved");
  Drain(ioc);
  EXPECT_EQ(server.accepted, 1);
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].target, "/hook");
}

TEST(HttpClient, ServerThatNeverAnswersTimesOutWithinThePolicy) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kSilent);
  HttpClient client(ioc.get_executor(), DevPolicy(300ms));
  const auto start = std::chrono::steady_clock::now();
  auto r = PostNow(ioc, client, server.base() + "/hook");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "timeout");
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 1500ms);
  EXPECT_EQ(server.requests.size(), 1u);  // it was sent; the answer never came
}

TEST(HttpClient, HugeResponseBodyIsCutAtMaxResponseBytes) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kHuge);
  OutboundPolicy p = DevPolicy();
  p.max_response_bytes = 1000;
  HttpClient client(ioc.get_executor(), p);
  const auto start = std::chrono::steady_clock::now();
  auto r = PostNow(ioc, client, server.base() + "/hook");
  ASSERT_TRUE(r) << r.error().code << " " << r.error().detail;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body_prefix, std::string(1000, 'x'));
  EXPECT_TRUE(r->body_truncated);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // did not read 50 MB
}

TEST(HttpClient, DefaultLimitIs64KiB) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kHuge);
  HttpClient client(ioc.get_executor(), DevPolicy());
  auto r = PostNow(ioc, client, server.base() + "/hook");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body_prefix.size(), 64u * 1024);
  EXPECT_TRUE(r->body_truncated);
}

TEST(HttpClient, ClosedPortIsConnectFailed) {
  asio::io_context ioc;
  uint16_t port = 0;
  {
    tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  HttpClient client(ioc.get_executor(), DevPolicy());
  auto r = PostNow(ioc, client, "http://127.0.0.1:" + std::to_string(port) + "/hook");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
}

TEST(HttpClient, UnresolvableHostIsDnsFailed) {
  asio::io_context ioc;
  HttpClient client(ioc.get_executor(), ProdPolicy(), ResolveTo("known.test", {"8.8.8.8"}));
  auto r = PostNow(ioc, client, "https://unknown.test/hook");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "dns_failed");
  HttpClient empty(ioc.get_executor(), ProdPolicy(), ResolveTo("known.test", {}));
  auto e = PostNow(ioc, empty, "https://known.test/hook");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, "dns_failed");
}

TEST(HttpClient, SystemResolverResultsAreCheckedToo) {
  // "localhost" goes through getaddrinfo (/etc/hosts); dev mode reaches the local server.
  asio::io_context ioc;
  TestServer server(ioc, Mode::kEcho);
  HttpClient client(ioc.get_executor(), DevPolicy());
  auto r = PostNow(ioc, client, "http://localhost:" + std::to_string(server.port()) + "/x");
  ASSERT_TRUE(r) << r.error().code << " " << r.error().detail;
  EXPECT_EQ(r->status, 200);
}

TEST(HttpClient, RefusesHeaderInjectionAndReservedHeaders) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kEcho);
  HttpClient client(ioc.get_executor(), DevPolicy());
  const HttpHeaders bad[] = {{{"X-A", "1\r\nX-Injected: 1"}},
                             {{"X-A", std::string("a\0b", 3)}},
                             {{"Bad Name", "1"}},
                             {{"", "1"}},
                             {{"Host", "evil.test"}},
                             {{"content-length", "0"}},
                             {{"Transfer-Encoding", "chunked"}}};
  for (const auto& h : bad) {
    auto r = PostNow(ioc, client, server.base() + "/hook", "{}", h);
    ASSERT_FALSE(r) << h[0].first;
    EXPECT_EQ(r.error().code, "header_invalid") << h[0].first;
  }
  Drain(ioc);
  EXPECT_EQ(server.accepted, 0);
}

TEST(HttpClient, ConcurrentPostsFromOneClient) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kEcho);
  HttpClient client(ioc.get_executor(), DevPolicy());
  int ok = 0;
  for (int i = 0; i < 8; ++i) {
    asio::co_spawn(ioc, client.Post(server.base() + "/c", "body" + std::to_string(i), {}),
                   [&](std::exception_ptr e, Result<HttpResult> r) {
                     if (!e && r && r->status == 200) ++ok;
                   });
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (ok < 8 && std::chrono::steady_clock::now() < deadline) ioc.run_one_for(50ms);
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(server.requests.size(), 8u);
}

TEST(HttpClient, TaskOutlivesTheClientObject) {
  asio::io_context ioc;
  TestServer server(ioc, Mode::kEcho);
  auto client = std::make_unique<HttpClient>(ioc.get_executor(), DevPolicy());
  auto task = client->Post(server.base() + "/late", "{}", {});
  client.reset();
  auto r = RunTask(ioc, std::move(task));
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(r->status, 200);
}

TEST(HttpClient, WorksOnAMultiThreadedIoContext) {
  asio::io_context server_ioc;
  TestServer echo(server_ioc, Mode::kEcho);
  TestServer silent(server_ioc, Mode::kSilent);
  auto server_work = asio::make_work_guard(server_ioc);
  std::thread server_thread([&] { server_ioc.run(); });

  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  HttpClient client(ioc.get_executor(), DevPolicy(200ms));
  std::atomic<int> ok{0}, timeouts{0}, done{0};
  constexpr int kEach = 12;
  for (int i = 0; i < kEach; ++i) {
    asio::co_spawn(ioc, client.Post(echo.base() + "/m", "b" + std::to_string(i), {}),
                   [&](std::exception_ptr e, Result<HttpResult> r) {
                     if (!e && r && r->status == 200) ++ok;
                     ++done;
                   });
    asio::co_spawn(ioc, client.Post(silent.base() + "/s", "{}", {}),
                   [&](std::exception_ptr e, Result<HttpResult> r) {
                     if (!e && !r && r.error().code == "timeout") ++timeouts;
                     ++done;
                   });
  }
  std::thread t1([&] { ioc.run(); });
  std::thread t2([&] { ioc.run(); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (done < 2 * kEach && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  work.reset();
  ioc.stop();
  t1.join();
  t2.join();
  server_work.reset();
  server_ioc.stop();
  server_thread.join();
  EXPECT_EQ(ok, kEach);
  EXPECT_EQ(timeouts, kEach);
  EXPECT_EQ(echo.requests.size(), static_cast<size_t>(kEach));
}

// ---- TLS ----

class HttpClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = dir_.File("cert.pem");
    key_ = dir_.File("key.pem");
    auto ok = lp::http::WriteSelfSignedCert(cert_, key_);
    ASSERT_TRUE(ok) << ok.error().detail;
    std::ifstream in(cert_);
    std::stringstream ss;
    ss << in.rdbuf();
    cert_pem_ = ss.str();
    server_ctx_.use_certificate_chain_file(cert_);
    server_ctx_.use_private_key_file(key_, ssl::context::pem);
  }

  testing::TempDir dir_{"lp_net_tls"};
  std::string cert_, key_, cert_pem_;
  ssl::context server_ctx_{ssl::context::tls_server};
  asio::io_context ioc_;
};

TEST_F(HttpClientTls, UntrustedCertificateFailsClosed) {
  TestServer server(ioc_, Mode::kEcho, &server_ctx_);
  HttpClient client(ioc_.get_executor(), DevPolicy());  // system CAs only
  auto r = PostNow(ioc_, client, server.base() + "/hook");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "tls_failed");
  EXPECT_NE(r.error().detail.find("self-signed"), std::string::npos) << r.error().detail;
  Drain(ioc_);
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(HttpClientTls, TrustedCertificateWithMatchingIpOrNameSucceeds) {
  TestServer server(ioc_, Mode::kEcho, &server_ctx_);
  HttpClientOptions opts = ResolveTo("localhost", {"127.0.0.1"});
  opts.trusted_ca_pem = cert_pem_;
  HttpClient client(ioc_.get_executor(), DevPolicy(), opts);
  auto by_ip = PostNow(ioc_, client, server.base() + "/hook");  // IP SAN 127.0.0.1
  ASSERT_TRUE(by_ip) << by_ip.error().code << " " << by_ip.error().detail;
  EXPECT_EQ(by_ip->status, 200);
  auto by_name = PostNow(ioc_, client, "https://localhost:" + std::to_string(server.port()) + "/h");
  ASSERT_TRUE(by_name) << by_name.error().code << " " << by_name.error().detail;
  EXPECT_EQ(by_name->status, 200);
  EXPECT_EQ(server.requests.size(), 2u);
}

TEST_F(HttpClientTls, HostNameMismatchFailsClosed) {
  TestServer server(ioc_, Mode::kEcho, &server_ctx_);
  HttpClientOptions opts = ResolveTo("wrong.example.test", {"127.0.0.1"});
  opts.trusted_ca_pem = cert_pem_;
  HttpClient client(ioc_.get_executor(), DevPolicy(), opts);
  auto r =
      PostNow(ioc_, client, "https://wrong.example.test:" + std::to_string(server.port()) + "/h");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "tls_failed");
  EXPECT_NE(r.error().detail.find("hostname mismatch"), std::string::npos) << r.error().detail;
  Drain(ioc_);
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(HttpClientTls, PlainHttpServerBehindHttpsUrlFails) {
  TestServer server(ioc_, Mode::kEcho);  // no TLS
  HttpClientOptions opts;
  opts.trusted_ca_pem = cert_pem_;
  HttpClient client(ioc_.get_executor(), DevPolicy(1s), opts);
  auto r = PostNow(ioc_, client, "https://127.0.0.1:" + std::to_string(server.port()) + "/h");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code == "tls_failed" || r.error().code == "timeout") << r.error().code;
}

}  // namespace
}  // namespace lp::net
