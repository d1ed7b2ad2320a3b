// HTTPS server: one listener per network segment (api, dashboard, ops), one coroutine per
// connection, TLS 1.2/1.3 only, limits on heads, bodies, time and connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/http/router.hpp"

namespace boost::asio {
class io_context;
}

namespace lp::http {

struct Limits {
  size_t header_limit = 16 * 1024;
  size_t body_limit = 1024 * 1024;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{30};
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds write_timeout{30};
  size_t max_connections = 10000;
  std::chrono::seconds shutdown_grace{10};
};

struct ListenerSpec {
  std::string name;     // "api" | "dashboard" | "ops"
  std::string address;  // host:port; port 0 picks a free one
  const Router* router = nullptr;
  // Extra headers added to every response of this listener (e.g. CSP on the dashboard).
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
};

// Called once per completed request (access log + metrics).
struct RequestRecord {
  std::string_view listener, method, route, request_id, client_ip;
  int status;
  int64_t duration_us;
  int64_t psp_us;  // part of duration_us spent waiting for PSPs
};
using RequestObserver = std::function<void(const RequestRecord&)>;

class Server {
 public:
  Server(boost::asio::io_context& ioc, Limits limits, TlsFiles tls, RequestObserver observer);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener and starts accepting. Errors say which address failed and why.
  Result<void> Start(const std::vector<ListenerSpec>& listeners);
  // Bound ports by listener name (valid after Start).
  std::map<std::string, uint16_t> Ports() const;
  // Stop accepting, let in-flight requests finish (up to the grace period), then close all.
  // `done` runs on the io_context once every connection is gone or the grace has passed.
  void Shutdown(std::function<void()> done);
  // Reload certificate and key (SIGHUP); existing connections keep their session.
  Result<void> ReloadTls();
  // notAfter of the serving certificate now loaded, in Unix seconds (0 before Start).
  int64_t CertificateNotAfter() const;
  size_t ActiveConnections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Creates a self-signed certificate (EC P-256, SAN localhost/127.0.0.1/::1) with the OpenSSL API.
Result<void> WriteSelfSignedCert(const std::string& cert_file, const std::string& key_file);

// Mozilla "intermediate" TLS 1.2 cipher list.
extern const char* const kIntermediateCiphers;

}  // namespace lp::http
