// Route table of one listener: method + path template ("/v1/payments/{id}/capture").
// Every route declares the permission it needs; "none" must be written out.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/task.hpp"
#include "lp/http/message.hpp"

namespace lp::http {

using Handler = std::function<Task<Response>(Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  std::string permission;  // e.g. "payments:write", or "none"
  Handler handler;
};

class Router {
 public:
  void Add(std::string method, std::string pattern, std::string permission, Handler handler);

  struct Match {
    const Route* route = nullptr;  // set when path and method matched
    std::string allow;             // set when only the path matched: "GET, POST"
  };
  // On a match, fills `params` with the placeholder values.
  Match Find(std::string_view method, std::string_view path,
             std::vector<std::string>& params) const;
  const std::vector<Route>& routes() const { return routes_; }
  // The route used when no route's path matches (any method), e.g. the dashboard's static files
  // and SPA fallback. Its pattern is "/*". A path that matches another method still gets 405.
  void SetFallback(std::string permission, Handler handler);

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{}" marks a placeholder
  };
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
  std::optional<Route> fallback_;
};

}  // namespace lp::http
