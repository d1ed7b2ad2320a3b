// A tiny HTTP/1.1 receiver on 127.0.0.1 (port 0) for webhook tests: one thread, one connection at
// a time, each request answered with the next status of a plan (then a default) and
// `Connection: close`, and recorded (method, target, lower-case headers, body, the status it got).
// POSIX sockets only: no lp dependencies.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lp::testing {

class WebhookReceiver {
 public:
  struct Request {
    std::string method, target, body;
    std::map<std::string, std::string> headers;  // lower-case names
    int status = 0;                              // what it was answered
    std::string Header(const std::string& lower_case_name) const {
      auto it = headers.find(lower_case_name);
      return it == headers.end() ? std::string() : it->second;
    }
  };

  explicit WebhookReceiver(std::vector<int> plan = {}, int default_status = 200)
      : plan_(plan.begin(), plan.end()), default_status_(default_status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof(a);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(fd_);
      throw std::runtime_error("bind/listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~WebhookReceiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string Url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Request> Requests() const {
    std::lock_guard lk(mu_);
    return requests_;
  }
  size_t Count() const {
    std::lock_guard lk(mu_);
    return requests_.size();
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      Serve(c);
      ::close(c);
    }
  }

  // Reads until the head and the Content-Length body are in (or the peer stops for 2 s).
  void Serve(int c) {
    std::string in;
    size_t head_end = std::string::npos, need = 0;
    char buf[4096];
    for (;;) {
      if (head_end != std::string::npos && in.size() >= head_end + 4 + need) break;
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return;
      const ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
      if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
        need = ContentLength(in.substr(0, head_end));
      }
    }
    Request r = Parse(in.substr(0, head_end));
    r.body = in.substr(head_end + 4, need);
    {
      std::lock_guard lk(mu_);
      r.status = plan_.empty() ? default_status_ : plan_.front();
      if (!plan_.empty()) plan_.pop_front();
      requests_.push_back(r);
    }
    const std::string out = "HTTP/1.1 " + std::to_string(r.status) +
                            " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    (void)!::write(c, out.data(), out.size());
  }

  static std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    return s;
  }
  static std::string Trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  }
  static Request Parse(const std::string& head) {
    Request r;
    size_t pos = 0;
    bool first = true;
    while (pos <= head.size()) {
      size_t eol = head.find("\r\n", pos);
      if (eol == std::string::npos) eol = head.size();
      const std::string line = head.substr(pos, eol - pos);
      pos = eol + 2;
      if (first) {
        first = false;
        const auto sp1 = line.find(' ');
        const auto sp2 = line.find(' ', sp1 + 1);
        r.method = line.substr(0, sp1);
        r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        continue;
      }
      if (const auto colon = line.find(':'); colon != std::string::npos) {
        r.headers[Lower(line.substr(0, colon))] = Trim(line.substr(colon + 1));
      }
    }
    return r;
  }
  static size_t ContentLength(const std::string& head) {
    const std::string v = Parse(head).Header("content-length");
    return v.empty() ? 0 : std::stoul(v);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::deque<int> plan_;
  int default_status_;
  std::vector<Request> requests_;
};

}  // namespace lp::testing
