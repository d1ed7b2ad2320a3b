// HTTP request/response values handed to handlers. No Beast types: handlers stay Beast-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lp::http {

struct Request {
  std::string listener;                                      // "api" | "dashboard" | "ops"
  std::string method;                                        // upper case, e.g. "POST"
  std::string target;                                        // raw request target
  std::string path;                                          // target without the query
  std::string query;                                         // raw query string (no '?')
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string client_ip;            // peer address of the socket
  std::string request_id;           // "req_…", also sent back as Request-Id
  std::string route;                // matched route template, e.g. "/v1/payments/{id}"
  std::string permission;           // what the matched route requires, e.g. "payments:write"
  std::vector<std::string> params;  // values of the route's {placeholders}, in order
  int64_t start_us = 0;             // monotonic start time

  // Every line with this (lower-case) name joined with ", " (RFC 9110 §5.3), e.g. for
  // X-Forwarded-For, where a proxy may append its own line.
  std::optional<std::string> JoinedHeader(std::string_view lower_name) const {
    std::optional<std::string> out;
    for (const auto& [k, v] : headers) {
      if (k != lower_name) continue;
      if (out) {
        *out += ", ";
        *out += v;
      } else {
        out = v;
      }
    }
    return out;
  }

  // First header with this (lower-case) name.
  std::optional<std::string_view> Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return std::string_view(v);
    }
    return std::nullopt;
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int64_t psp_us = 0;  // time spent waiting for PSPs (excluded from the app-time metric)

  void SetHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  static Response Json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static Response Text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8") {
    Response r;
    r.status = status;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    return r;
  }
};

}  // namespace lp::http
