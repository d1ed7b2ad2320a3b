// libFuzzer target for request bodies: Boost.JSON parsing with the server's depth limit, then the
// checks every merchant request goes through (card numbers in strings, amount and currency).
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lp/common/money.hpp"
#include "lp/common/pan.hpp"

namespace {

// `depth` counts the containers enclosing v, v included when it is one.
void Walk(const boost::json::value& v, int depth) {
  if ((v.is_array() || v.is_object()) && depth > 32) {
    std::abort();  // the parser's max_depth must have refused this document
  }
  switch (v.kind()) {
    case boost::json::kind::string: {
      const auto& s = v.get_string();
      (void)lp::ContainsPan(std::string_view(s.data(), s.size()));
      break;
    }
    case boost::json::kind::array:
      for (const auto& e : v.get_array()) {
        Walk(e, depth + 1);
      }
      break;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object()) {
        (void)lp::ContainsPan(std::string_view(kv.key().data(), kv.key().size()));
        Walk(kv.value(), depth + 1);
      }
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(
      boost::json::string_view(reinterpret_cast<const char*>(data), size), ec, {}, options);
  if (ec) {
    return 0;
  }
  Walk(v, 1);  // a top-level container is depth 1
  if (const auto* obj = v.if_object()) {
    if (const auto* amount = obj->if_contains("amount")) {
      const auto r = lp::ParseAmount(*amount, "amount", false);
      if (r && (*r < 1 || *r > lp::kMaxAmount)) {
        std::abort();
      }
    }
    if (const auto* currency = obj->if_contains("currency")) {
      const auto r = lp::ParseCurrency(*currency, "currency");
      if (r && !lp::LookupCurrency(r->Code())) {
        std::abort();
      }
    }
  }
  return 0;
}
