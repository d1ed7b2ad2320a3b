#include "lp/common/json_list.hpp"

#include <boost/json.hpp>

namespace lp {

namespace json = boost::json;

std::string RenderList(json::array items, bool has_more, std::string_view url) {
  json::object o;
  o["object"] = "list";
  o["data"] = std::move(items);
  o["has_more"] = has_more;
  o["url"] = url;
  return json::serialize(o);
}

std::string RenderTextList(const std::vector<std::string>& items, bool has_more,
                           std::string_view url) {
  const std::string url_json = json::serialize(json::string(url));
  size_t size = 48 + url_json.size();
  for (const auto& i : items) size += i.size() + 1;
  std::string out;
  out.reserve(size);
  out += "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i];
  }
  out += "],\"has_more\":";
  out += has_more ? "true" : "false";
  out += ",\"url\":";
  out += url_json;
  out += '}';
  return out;
}

}  // namespace lp
