#include "lp/http/router.hpp"

#include <utility>

namespace lp::http {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  size_t i = 1;
  while (true) {
    size_t j = path.find('/', i);
    out.push_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, std::string permission, Handler handler) {
  Compiled c;
  for (auto seg : Split(pattern)) {
    c.segments.emplace_back(seg.size() > 1 && seg.front() == '{' ? std::string("{}")
                                                                 : std::string(seg));
  }
  compiled_.push_back(std::move(c));
  routes_.push_back(
      Route{std::move(method), std::move(pattern), std::move(permission), std::move(handler)});
}

void Router::SetFallback(std::string permission, Handler handler) {
  fallback_ = Route{"*", "/*", std::move(permission), std::move(handler)};
}

Router::Match Router::Find(std::string_view method, std::string_view path,
                           std::vector<std::string>& params) const {
  Match m;
  const auto segs = Split(path);
  if (segs.empty()) return m;
  for (size_t r = 0; r < routes_.size(); ++r) {
    const auto& pat = compiled_[r].segments;
    if (pat.size() != segs.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < pat.size() && ok; ++i) {
      if (pat[i] == "{}") {
        ok = !segs[i].empty();
      } else {
        ok = pat[i] == segs[i];
      }
    }
    if (!ok) continue;
    if (routes_[r].method == method) {
      params.clear();
      for (size_t i = 0; i < pat.size(); ++i) {
        if (pat[i] == "{}") params.emplace_back(segs[i]);
      }
      m.route = &routes_[r];
      m.allow.clear();
      return m;
    }
    if (m.allow.find(routes_[r].method) == std::string::npos) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += routes_[r].method;
    }
  }
  if (m.allow.empty() && fallback_) {
    params.clear();
    m.route = &*fallback_;
  }
  return m;
}

}  // namespace lp::http
