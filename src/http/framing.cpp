#include "http/framing.hpp"

#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

namespace lp::http {

namespace bhttp = boost::beast::http;

namespace {

FramingError Framing(std::string message, std::string param = {}) {
  return {400, Error::Invalid("invalid_request_framing", std::move(message), std::move(param))};
}

FramingError Duplicate(std::string name) {
  return {400, Error::Invalid("duplicate_header", "The " + name + " header must be sent once.",
                              std::move(name))};
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 9112 §6.1, §6.3: only `chunked`, alone, frames a request body here.
std::optional<FramingError> CheckTransferEncoding(std::string_view value) {
  if (boost::beast::iequals(value, "chunked")) {
    return std::nullopt;
  }
  const size_t comma = value.rfind(',');
  const std::string_view last =
      TrimOws(comma == std::string_view::npos ? value : value.substr(comma + 1));
  if (boost::beast::iequals(last, "chunked")) {
    return FramingError{
        501, Error::Invalid("unsupported_transfer_coding",
                            "Only the chunked transfer coding is supported.", "Transfer-Encoding")};
  }
  return Framing(
      "Transfer-Encoding must be chunked: with another final coding the body's length is "
      "unknown.",
      "Transfer-Encoding");
}

bool AllDigits(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// uri-host [ ":" port ] (RFC 9110 §7.2): reg-name, IPv4 or a bracketed IP literal. Checked by
// character only; the value is not used for routing.
constexpr std::array<bool, 256> MakeHostChars() {
  std::array<bool, 256> ok{};
  for (int c = 0; c < 256; ++c) {
    ok[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  for (const char c : std::string_view("-._~%!$&'()*+,;=:[]")) {
    ok[static_cast<unsigned char>(c)] = true;
  }
  return ok;
}
constexpr std::array<bool, 256> kHostChars = MakeHostChars();

bool HostValueValid(std::string_view host) {
  for (const char c : host) {
    if (!kHostChars[static_cast<unsigned char>(c)]) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool HasObsFold(std::string_view head_bytes, bool& after_lf) {
  const auto starts_fold = [](char c) { return c == ' ' || c == '\t'; };
  bool found = after_lf && !head_bytes.empty() && starts_fold(head_bytes.front());
  for (size_t lf = head_bytes.find('\n'); !found && lf != std::string_view::npos;
       lf = head_bytes.find('\n', lf + 1)) {
    found = lf + 1 < head_bytes.size() && starts_fold(head_bytes[lf + 1]);
  }
  if (!head_bytes.empty()) {
    after_lf = head_bytes.back() == '\n';
  }
  return found;
}

std::optional<FramingError> CheckRequestHead(const bhttp::request_header<>& head, bool obs_fold) {
  if (obs_fold) {
    return Framing("Header lines folded onto several lines (obs-fold) are not accepted.");
  }
  int transfer_encodings = 0;
  int content_lengths = 0;
  int hosts = 0;
  int authorizations = 0;
  int content_types = 0;
  int idempotency_keys = 0;
  std::string_view transfer_encoding;
  std::string_view content_length;
  std::string_view host;
  for (const auto& f : head) {
    switch (f.name()) {
      case bhttp::field::transfer_encoding:
        ++transfer_encodings;
        transfer_encoding = f.value();
        break;
      case bhttp::field::content_length:
        ++content_lengths;
        content_length = f.value();
        break;
      case bhttp::field::host:
        ++hosts;
        host = f.value();
        break;
      case bhttp::field::authorization:
        ++authorizations;
        break;
      case bhttp::field::content_type:
        ++content_types;
        break;
      case bhttp::field::unknown:
        if (boost::beast::iequals(f.name_string(), "idempotency-key")) {
          ++idempotency_keys;
        }
        break;
      default:
        break;
    }
  }
  if (transfer_encodings > 0) {
    if (transfer_encodings > 1) {
      return Framing("Transfer-Encoding must be sent once.", "Transfer-Encoding");
    }
    if (content_lengths > 0) {
      return Framing("A request cannot carry both Content-Length and Transfer-Encoding.",
                     "Transfer-Encoding");
    }
    if (head.version() < 11) {
      return Framing("Transfer-Encoding needs HTTP/1.1.", "Transfer-Encoding");
    }
    if (auto bad = CheckTransferEncoding(transfer_encoding)) {
      return bad;
    }
  }
  if (content_lengths > 1 || (content_lengths == 1 && !AllDigits(content_length))) {
    return Framing("Content-Length must be sent once, as one decimal number.", "Content-Length");
  }
  if (hosts == 0) {
    return FramingError{400,
                        Error::Invalid("missing_host", "The Host header is required.", "Host")};
  }
  if (hosts > 1) {
    return Duplicate("Host");
  }
  if (!HostValueValid(host)) {
    return FramingError{
        400, Error::Invalid("invalid_host", "The Host header must be host[:port].", "Host")};
  }
  if (authorizations > 1) {
    return Duplicate("Authorization");
  }
  if (idempotency_keys > 1) {
    return Duplicate("Idempotency-Key");
  }
  if (content_types > 1) {
    return Duplicate("Content-Type");
  }
  return std::nullopt;
}

FramingError ForParseError(const boost::beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    // Content-Length larger than the body limit (refused without reading the body), or a chunked
    // body growing past it.
    return {413, Error{ErrorType::kPayloadTooLarge,
                       "body_too_large",
                       "The request body exceeds 1 MiB.",
                       {},
                       {}}};
  }
  if (ec == bhttp::error::header_limit) {
    return {431, Error::Invalid("request_header_too_large", "The request head exceeds 16 KiB.")};
  }
  if (ec == bhttp::error::bad_transfer_encoding || ec == bhttp::error::bad_content_length ||
      ec == bhttp::error::multiple_content_length) {
    return Framing("Content-Length and Transfer-Encoding do not frame the body unambiguously.");
  }
  return {400, Error::Invalid("malformed_request", "The HTTP request is malformed.")};
}

}  // namespace lp::http
