// Reads test fixtures (test/connectors/fixtures/, see its README for the sources) and overlays
// fields on JSON fixtures.
#pragma once

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace lp::testing {

inline std::string ReadFixture(const std::string& name) {
  const std::string path = std::string(LP_SOURCE_DIR) + "/test/connectors/fixtures/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline boost::json::object FixtureObject(const std::string& name) {
  return boost::json::parse(ReadFixture(name)).as_object();
}

// The fixture with top-level fields replaced (`patch` is a JSON object text).
inline std::string Patched(const std::string& name, const std::string& patch) {
  auto o = FixtureObject(name);
  const boost::json::value fields = boost::json::parse(patch);
  for (const auto& kv : fields.as_object()) o[kv.key()] = kv.value();
  return boost::json::serialize(o);
}

}  // namespace lp::testing
