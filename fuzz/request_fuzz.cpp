// libFuzzer target for the whole request-decoding path of a merchant POST/GET (src/api/input.cpp):
// the Idempotency-Key header, the JSON shape pass (unknown parameters, duplicate keys after
// unescaping, member caps), the DOM parse, card-number checks on every string and key, the
// request hash, and the query string. Run with a short -timeout (fuzz/build.sh): an input whose
// decoding is super-linear in its size shows up as a timeout.
//
// Input layout: "<query>\n<idempotency key>\n<body>" (missing parts are empty).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t a = in.find('\n');
  const std::string_view query = in.substr(0, a);
  std::string_view rest = a == std::string_view::npos ? std::string_view() : in.substr(a + 1);
  const size_t b = rest.find('\n');
  const std::string_view key = rest.substr(0, b);
  const std::string_view body = b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);

  lp::http::Request req;
  req.method = "POST";
  req.path = "/v1/payments";
  req.permission = "payments:write";
  req.query = std::string(query);
  req.body = std::string(body);
  req.headers.emplace_back("content-type", "application/json");
  if (!key.empty()) {
    req.headers.emplace_back("idempotency-key", std::string(key));
  }
  auto parsed = lp::api::ParseIdempotentBody(
      req, {"amount", "currency", "payment_method", "capture_method", "confirm", "description",
            "metadata", "routing"});
  if (parsed) {
    const auto& o = parsed->body();
    if (o.size() > lp::api::kMaxObjectMembers) {
      std::abort();  // the shape pass must have refused it
    }
    if (!parsed->idem.key.empty() && parsed->idem.request_hash.size() != 64) {
      std::abort();
    }
  }
  (void)lp::api::ParseQuery(req, {"limit", "starting_after", "ending_before", "status"});
  return 0;
}
