// http::Server in-process on port 0 with a self-signed certificate: raw request bytes over TLS
// (OpenSSL directly), to test what the server does with the framing of a request (RFC 9112).
#include "lp/http/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <ctime>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace lp::http {
namespace {

// A second request hidden in the first one's body bytes: served only if the server reads the
// body as the next request.
constexpr std::string_view kSmuggled = "GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n";

struct Reply {
  std::string raw;
  int responses = 0;    // status lines seen
  int status = 0;       // of the first
  std::string code;     // error.code of the first, if JSON
  bool closes = false;  // the first carries Connection: close
};

Reply Parse(std::string raw) {
  Reply r;
  r.raw = std::move(raw);
  // A status line; request lines ("… HTTP/1.1\r\n") are never echoed back.
  for (size_t at = r.raw.find("HTTP/1.1 "); at != std::string::npos;
       at = r.raw.find("HTTP/1.1 ", at + 1)) {
    ++r.responses;
  }
  if (r.raw.size() < 12) {
    return r;
  }
  r.status = std::stoi(r.raw.substr(9, 3));
  const size_t head_end = r.raw.find("\r\n\r\n");
  const std::string head = r.raw.substr(0, head_end);
  r.closes = head.find("\r\nConnection: close") != std::string::npos;
  const size_t body_at = head_end + 4;
  const size_t len_at = head.find("Content-Length: ");
  if (head_end != std::string::npos && len_at != std::string::npos) {
    const size_t len = std::stoul(head.substr(len_at + 16));
    boost::system::error_code ec;
    auto doc = boost::json::parse(r.raw.substr(body_at, len), ec);
    if (!ec && doc.is_object() && doc.as_object().contains("error")) {
      r.code = std::string(doc.at("error").at("code").as_string());
    }
  }
  return r;
}

class ServerFraming : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string cert = dir_.File("cert.pem");
    const std::string key = dir_.File("key.pem");
    auto ok = WriteSelfSignedCert(cert, key);
    ASSERT_TRUE(ok) << ok.error().detail;
    const auto handler = [this](Request& req) -> Task<Response> {
      served_.fetch_add(1);
      co_return Response::Json(200, "{\"bytes\":" + std::to_string(req.body.size()) + "}");
    };
    router_.Add("GET", "/ping", "none", handler);
    router_.Add("HEAD", "/ping", "none", handler);
    router_.Add("POST", "/echo", "none", handler);
    server_ = std::make_unique<Server>(ioc_, Limits{}, TlsFiles{cert, key}, nullptr);
    auto started = server_->Start({ListenerSpec{"api", "127.0.0.1:0", &router_, {}}});
    ASSERT_TRUE(started) << started.error().detail;
    port_ = server_->Ports().at("api");
    thread_ = std::thread([this] { ioc_.run(); });
    client_ctx_ = SSL_CTX_new(TLS_client_method());
  }

  void TearDown() override {
    if (server_) {
      std::promise<void> stopped;
      server_->Shutdown([&] {
        stopped.set_value();
        ioc_.stop();
      });
      stopped.get_future().wait_for(std::chrono::seconds(15));
    }
    if (thread_.joinable()) {
      thread_.join();
    }
    SSL_CTX_free(client_ctx_);
  }

  // Sends `bytes` on a fresh TLS connection and reads until the server closes it (or 5 s pass).
  Reply Exchange(std::string_view bytes) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string raw;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      SSL* ssl = SSL_new(client_ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_connect(ssl) == 1 && SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size())) ==
                                       static_cast<int>(bytes.size())) {
        char chunk[16384];
        for (;;) {
          const int n = SSL_read(ssl, chunk, sizeof chunk);
          if (n <= 0) {
            break;  // close_notify, EOF, reset or the 5 s timeout
          }
          raw.append(chunk, static_cast<size_t>(n));
        }
      } else {
        ADD_FAILURE() << "TLS handshake or write failed";
      }
      SSL_free(ssl);
    } else {
      ADD_FAILURE() << "connect failed";
    }
    ::close(fd);
    return Parse(std::move(raw));
  }

  testing::TempDir dir_{"lp_http_server"};
  boost::asio::io_context ioc_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  SSL_CTX* client_ctx_ = nullptr;
  std::atomic<int> served_{0};
};

struct BadRequest {
  const char* name;
  std::string head;  // up to and including the blank line
  int status;
  const char* code;
};

// Each is answered once, with the JSON error and Connection: close, and then the connection is
// closed: the smuggled request in its body bytes is never served, and no handler runs.
TEST_F(ServerFraming, RefusedFramingIsAnsweredOnceAndTheConnectionClosed) {
  const std::string post = "POST /echo HTTP/1.1\r\nHost: localhost\r\n";
  const std::vector<BadRequest> cases = {
      {"te gzip", post + "Transfer-Encoding: gzip\r\n\r\n", 400, "invalid_request_framing"},
      {"te xchunked", post + "Transfer-Encoding: xchunked\r\n\r\n", 400, "invalid_request_framing"},
      {"te identity", post + "Transfer-Encoding: identity\r\n\r\n", 400, "invalid_request_framing"},
      {"te chunked, gzip", post + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400,
       "invalid_request_framing"},
      {"te chunked;ext", post + "Transfer-Encoding: chunked;q=1\r\n\r\n", 400,
       "invalid_request_framing"},
      {"te gzip, chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501,
       "unsupported_transfer_coding"},
      {"te chunked, chunked", post + "Transfer-Encoding: chunked, chunked\r\n\r\n", 501,
       "unsupported_transfer_coding"},
      {"te obs-fold", post + "Transfer-Encoding:\r\n chunked\r\n\r\n", 400,
       "invalid_request_framing"},
      {"te obs-fold tab", post + "Transfer-Encoding: gzip\r\n\tchunked\r\n\r\n", 400,
       "invalid_request_framing"},
      {"other obs-fold", post + "X-Note: a\r\n b\r\nContent-Length: 0\r\n\r\n", 400,
       "invalid_request_framing"},
      {"te twice", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "invalid_request_framing"},
      {"te gzip then chunked",
       post + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "invalid_request_framing"},
      {"te and cl", post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400,
       "invalid_request_framing"},
      {"cl and te", post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "invalid_request_framing"},
      {"cl and te gzip", post + "Content-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
       "invalid_request_framing"},
      {"te gzip and cl", post + "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n", 400,
       "invalid_request_framing"},
      {"te in http/1.0",
       "POST /echo HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "invalid_request_framing"},
      {"cl list", post + "Content-Length: 5, 6\r\n\r\n", 400, "invalid_request_framing"},
      {"cl equal list", post + "Content-Length: 5, 5\r\n\r\n", 400, "invalid_request_framing"},
      {"cl two lines", post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
       "invalid_request_framing"},
      {"cl two equal lines", post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 400,
       "invalid_request_framing"},
      {"cl plus", post + "Content-Length: +5\r\n\r\n", 400, "invalid_request_framing"},
      {"cl junk after", post + "Content-Length: 5x\r\n\r\n", 400, "invalid_request_framing"},
      {"cl junk before", post + "Content-Length: x5\r\n\r\n", 400, "invalid_request_framing"},
      {"cl negative", post + "Content-Length: -5\r\n\r\n", 400, "invalid_request_framing"},
      {"no host", "POST /echo HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, "missing_host"},
      {"no host http/1.0", "GET /ping HTTP/1.0\r\n\r\n", 400, "missing_host"},
      {"two hosts", post + "Host: other\r\nContent-Length: 0\r\n\r\n", 400, "duplicate_header"},
      {"bad host", "POST /echo HTTP/1.1\r\nHost: a b\r\nContent-Length: 0\r\n\r\n", 400,
       "invalid_host"},
      {"two authorizations",
       post + "Authorization: Bearer a\r\nAuthorization: Bearer b\r\nContent-Length: 0\r\n\r\n",
       400, "duplicate_header"},
      {"two idempotency keys",
       post + "Idempotency-Key: a\r\nidempotency-key: b\r\nContent-Length: 0\r\n\r\n", 400,
       "duplicate_header"},
      {"two content types",
       post + "Content-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
              "\r\n",
       400, "duplicate_header"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Reply r = Exchange(c.head + std::string(kSmuggled) + std::string(kSmuggled));
    EXPECT_EQ(r.responses, 1) << r.raw;
    EXPECT_EQ(r.status, c.status) << r.raw;
    EXPECT_EQ(r.code, c.code) << r.raw;
    EXPECT_TRUE(r.closes) << r.raw;
  }
  EXPECT_EQ(served_.load(), 0);
}

// The controls: well-framed requests on one connection are all served, whatever the case of
// `chunked`, so the refusals above are about framing only.
TEST_F(ServerFraming, WellFramedPipelinedRequestsAreAllServed) {
  const std::string chunked =
      "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n";
  const std::string sized =
      "POST /echo HTTP/1.1\r\nHost: localhost:8443\r\nContent-Length: 5\r\n"
      "Idempotency-Key: k1\r\nAuthorization: Bearer x\r\n\r\nhello";
  const std::string last = "GET /ping HTTP/1.1\r\nHost: [::1]:8443\r\nConnection: close\r\n\r\n";
  const Reply r = Exchange(chunked + sized + std::string(kSmuggled) + last);
  EXPECT_EQ(r.responses, 4) << r.raw;
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(served_.load(), 4);
}

// HEAD: the GET's headers, its Content-Length included, and no body bytes, so the next request
// on the connection is read and answered where it starts (RFC 9110 §9.3.2).
TEST_F(ServerFraming, HeadCarriesTheGetsLengthWithoutItsBody) {
  const Reply r = Exchange(
      "HEAD /ping HTTP/1.1\r\nHost: localhost\r\n\r\n"
      "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.responses, 2) << r.raw;
  const std::string body = "{\"bytes\":0}";
  const size_t first_end = r.raw.find("\r\n\r\n");
  ASSERT_NE(first_end, std::string::npos) << r.raw;
  const std::string head = r.raw.substr(0, first_end);
  EXPECT_NE(head.find("Content-Length: " + std::to_string(body.size())), std::string::npos) << head;
  // The second status line starts right after the HEAD answer's blank line.
  EXPECT_EQ(r.raw.compare(first_end + 4, 9, "HTTP/1.1 "), 0) << r.raw;
  EXPECT_EQ(r.raw.find(body), r.raw.size() - body.size()) << r.raw;  // only the GET's body
}

// The expiry gauge's source: the loaded certificate's notAfter (WriteSelfSignedCert: a year from
// now), unchanged by a reload of the same files, and 0 for a server that never loaded one.
TEST_F(ServerFraming, CertificateNotAfterIsTheLoadedCertificates) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const int64_t not_after = server_->CertificateNotAfter();
  EXPECT_GE(not_after, now + 365LL * 24 * 3600 - 120);
  EXPECT_LE(not_after, now + 365LL * 24 * 3600 + 120);
  ASSERT_TRUE(server_->ReloadTls());
  EXPECT_EQ(server_->CertificateNotAfter(), not_after);
  boost::asio::io_context other;
  Server never_started(other, Limits{}, TlsFiles{dir_.File("cert.pem"), dir_.File("key.pem")},
                       nullptr);
  EXPECT_EQ(never_started.CertificateNotAfter(), 0);
}

// A body larger than the limit (413) and a malformed chunk (400) end the connection too.
TEST_F(ServerFraming, ParserErrorsAfterTheHeadAlsoCloseTheConnection) {
  const Reply big =
      Exchange("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000000\r\n\r\n" +
               std::string(kSmuggled));
  EXPECT_EQ(big.responses, 1) << big.raw;
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.code, "body_too_large");
  const Reply bad_chunk = Exchange(
      "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" +
      std::string(kSmuggled));
  EXPECT_EQ(bad_chunk.responses, 1) << bad_chunk.raw;
  EXPECT_EQ(bad_chunk.status, 400);
  EXPECT_EQ(bad_chunk.code, "malformed_request");
  EXPECT_EQ(served_.load(), 0);
}

}  // namespace
}  // namespace lp::http
