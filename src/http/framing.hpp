// The request-framing rule of every listener (RFC 9112 §3.2, §5.2, §6.1, §6.3): what a request
// head must be before any of its body is read, and the answer to a head or body the parser
// refused. Whatever this refuses is answered once and the connection is closed, so no byte after
// it is ever read as another request (no request smuggling).
//
// Refused: obs-fold (a header line folded onto the next), Transfer-Encoding other than exactly
// `chunked` (400 when chunked is not the final coding, since the body's length is then unknown;
// 501 when other codings precede it), Transfer-Encoding sent twice, with Content-Length, or in
// HTTP/1.0; Content-Length sent twice (even with equal values), as a list, or not a decimal
// number; Host missing (in every HTTP version), repeated or not a host[:port]; Authorization,
// Idempotency-Key or Content-Type repeated.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <optional>
#include <string_view>

#include "lp/common/error.hpp"

namespace lp::http {

struct FramingError {
  int status = 400;
  Error error;
};

// True when the request-head bytes hold a line that starts with SP or HTAB (obs-fold), which
// Beast would quietly join to the previous line. The head may come in pieces: `after_lf` carries
// whether the previous piece ended with LF (start with false).
bool HasObsFold(std::string_view head_bytes, bool& after_lf);

// The head's problem, if any; `obs_fold` is what HasObsFold found in its bytes.
std::optional<FramingError> CheckRequestHead(const boost::beast::http::request_header<>& head,
                                             bool obs_fold);

// The answer to an error of Beast's request parser (limits, framing, syntax).
FramingError ForParseError(const boost::beast::error_code& ec);

}  // namespace lp::http
