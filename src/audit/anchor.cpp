#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "lp/audit/audit.hpp"
#include "lp/common/files.hpp"

namespace lp::audit {

namespace json = boost::json;

Result<std::optional<Checkpoint>> ReadAnchor(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::optional<Checkpoint>();
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto v = json::parse(ss.str(), ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o || !o->contains("seq") || !o->at("seq").is_int64() || !o->contains("time") ||
      !o->at("time").is_int64() || !o->contains("hash") || !o->at("hash").is_string() ||
      !o->contains("mac") || !o->at("mac").is_string()) {
    return Error::Internal("the audit anchor file " + path + " is not a checkpoint");
  }
  return std::optional<Checkpoint>(
      Checkpoint{o->at("seq").as_int64(), std::string(o->at("hash").as_string()),
                 o->at("time").as_int64(), std::string(o->at("mac").as_string())});
}

Result<void> WriteAnchor(const std::string& path, const Checkpoint& c) {
  json::object o{{"seq", c.seq}, {"hash", c.hash}, {"time", c.time_us}, {"mac", c.mac}};
  return WriteFileAtomic(path, json::serialize(o) + "\n", 0600);
}

}  // namespace lp::audit
