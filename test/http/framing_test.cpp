#include "http/framing.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

namespace lp::http {
namespace {

namespace bhttp = boost::beast::http;

// What the framing rule says of a raw head: "" when accepted, else "status code".
std::string Verdict(const std::string& head) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.eager(false);
  boost::beast::error_code ec;
  const size_t n = parser.put(boost::asio::buffer(head), ec);
  bool after_lf = false;
  const bool folded = HasObsFold(std::string_view(head).substr(0, n), after_lf);
  if (ec) {
    const FramingError e = ForParseError(ec);
    return std::to_string(e.status) + " " + e.error.code;
  }
  EXPECT_TRUE(parser.is_header_done()) << head;
  const auto bad = CheckRequestHead(parser.get().base(), folded);
  return bad ? std::to_string(bad->status) + " " + bad->error.code : "";
}

TEST(HasObsFold, FindsALineStartingWithSpaceOrTabEvenAcrossPieces) {
  bool after_lf = false;
  EXPECT_FALSE(HasObsFold("GET / HTTP/1.1\r\nHost: a\r\n\r\n", after_lf));
  EXPECT_TRUE(HasObsFold("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", after_lf));
  EXPECT_TRUE(HasObsFold("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", after_lf));
  EXPECT_FALSE(HasObsFold("X: a b\t c\r\n", after_lf));  // spaces inside a line are fine
  after_lf = false;
  EXPECT_FALSE(HasObsFold("GET / HTTP/1.1\r\nX: a\r\n", after_lf));
  EXPECT_TRUE(after_lf);
  EXPECT_TRUE(HasObsFold(" b\r\n\r\n", after_lf));
  after_lf = false;
  EXPECT_FALSE(HasObsFold(" leading space of a first piece\r\n", after_lf));
}

TEST(CheckRequestHead, AcceptsOrdinaryRequests) {
  EXPECT_EQ(Verdict("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"), "");
  EXPECT_EQ(Verdict("GET / HTTP/1.0\r\nHost: 127.0.0.1:9443\r\n\r\n"), "");
  EXPECT_EQ(Verdict("POST /v1/payments HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 12\r\n"
                    "Content-Type: application/json\r\nAuthorization: Bearer sk_test_x\r\n"
                    "Idempotency-Key: order-1\r\nX-Forwarded-For: 1.2.3.4\r\n"
                    "X-Forwarded-For: 5.6.7.8\r\n\r\n"),
            "");
  EXPECT_EQ(Verdict("POST / HTTP/1.1\r\nHost: [::1]:8443\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "");
  EXPECT_EQ(Verdict("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED \r\n\r\n"), "");
}

TEST(CheckRequestHead, RefusesAmbiguousBodyFraming) {
  const std::string h = "POST / HTTP/1.1\r\nHost: h\r\n";
  EXPECT_EQ(Verdict(h + "Transfer-Encoding: gzip\r\n\r\n"), "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Transfer-Encoding: chunked, gzip\r\n\r\n"), "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Transfer-Encoding: gzip, chunked\r\n\r\n"),
            "501 unsupported_transfer_coding");
  EXPECT_EQ(Verdict(h + "Transfer-Encoding: identity\r\n\r\n"), "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Transfer-Encoding:\r\n chunked\r\n\r\n"), "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Transfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n"),
            "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Content-Length: 3, 3\r\n\r\n"), "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Content-Length: 3\r\nContent-Length: 3\r\n\r\n"),
            "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\n"),
            "400 invalid_request_framing");
  EXPECT_EQ(Verdict(h + "Content-Length: +3\r\n\r\n"), "400 invalid_request_framing");
}

TEST(CheckRequestHead, RefusesMissingOrRepeatedSingletonHeaders) {
  EXPECT_EQ(Verdict("GET / HTTP/1.1\r\n\r\n"), "400 missing_host");
  EXPECT_EQ(Verdict("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), "400 duplicate_header");
  EXPECT_EQ(Verdict("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), "400 invalid_host");
  for (const std::string name : {"Authorization", "Idempotency-Key", "Content-Type"}) {
    EXPECT_EQ(Verdict("GET / HTTP/1.1\r\nHost: a\r\n" + name + ": x\r\n" + name + ": x\r\n\r\n"),
              "400 duplicate_header")
        << name;
  }
}

}  // namespace
}  // namespace lp::http
