#include "lp/common/json_canonical.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <vector>

namespace lp {

namespace json = boost::json;

namespace {
// Serializes with object keys sorted, so equal parameters hash equally whatever their order
// or whitespace.
void Canonical(const json::value& v, std::string& out) {
  if (v.is_object()) {
    std::vector<const json::key_value_pair*> kvs;
    for (const auto& kv : v.as_object()) kvs.push_back(&kv);
    std::sort(kvs.begin(), kvs.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    out.push_back('{');
    for (size_t i = 0; i < kvs.size(); ++i) {
      if (i) out.push_back(',');
      out += json::serialize(json::string(kvs[i]->key()));
      out.push_back(':');
      Canonical(kvs[i]->value(), out);
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& e : v.as_array()) {
      if (!first) out.push_back(',');
      first = false;
      Canonical(e, out);
    }
    out.push_back(']');
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string CanonicalJson(const json::value& v) {
  std::string out;
  Canonical(v, out);
  return out;
}

}  // namespace lp
