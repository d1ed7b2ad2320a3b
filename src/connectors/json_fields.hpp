// Small readers for PSP JSON bodies: absent or mistyped fields read as empty / nullopt, so the
// transformers decide what a missing field means.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace lp::connectors::jsonf {

namespace json = boost::json;

inline const json::object* Obj(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

inline std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::optional<int64_t> Int(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v->as_uint64());
  }
  return std::nullopt;
}

// Parses a JSON object; nullopt for anything else (including invalid JSON).
inline std::optional<json::object> ParseObject(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 64;
  json::value v = json::parse(body, ec, {}, opts);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

}  // namespace lp::connectors::jsonf
