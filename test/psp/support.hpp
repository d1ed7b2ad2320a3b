// Support for the PSP simulator tests: child processes (fake PSPs, Prism, node) started with
// fork/exec and stopped with their process group, a free loopback port for tools that cannot bind
// port 0 (Prism), paths of the test tooling, and a runner for coroutines.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lp::testing {

inline std::string SourceDir() { return LP_SOURCE_DIR; }
inline std::string PspToolDir() { return SourceDir() + "/test/psp"; }

// The full path of `name` on PATH, or empty.
inline std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "";
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find(':', start), p.size());
    const std::string candidate = p.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

// A child process whose stdout and stderr are read through one pipe.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);  // its own group: stopping it stops whatever it started
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(fds[1]);
    out_fd_ = fds[0];
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Stop(); }

  void Stop() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGTERM);
      for (int i = 0; i < 100 && !Reaped(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (!Reaped()) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
      pid_ = -1;
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    out_fd_ = -1;
  }

  // Reads output until a line containing `needle` (returned), the process exits, or the timeout.
  std::optional<std::string> WaitForLine(const std::string& needle,
                                         std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      while (true) {
        const size_t nl = output_.find('\n', scanned_);
        if (nl == std::string::npos) break;
        const std::string line = output_.substr(scanned_, nl - scanned_);
        scanned_ = nl + 1;
        if (line.find(needle) != std::string::npos) return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;  // exited
      output_.append(buf, static_cast<size_t>(n));
    }
  }

  // Everything read so far (for failure messages).
  const std::string& output() const { return output_; }

  // Waits for the exit and returns everything it printed (for short-lived tools).
  std::string WaitForExit(std::chrono::milliseconds timeout, int* status = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char buf[4096];
        const ssize_t n = ::read(out_fd_, buf, sizeof buf);
        if (n <= 0) break;
        output_.append(buf, static_cast<size_t>(n));
      }
    }
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    if (status) *status = st;
    return output_;
  }

 private:
  bool Reaped() { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
  size_t scanned_ = 0;
};

// A port that was free a moment ago (for Prism, which cannot bind port 0): bind, read, release.
inline uint16_t PickFreePort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

template <class T>
T RunTask(boost::asio::io_context& ioc, boost::asio::awaitable<T> task,
          std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T v) {
    error = e;
    out = std::move(v);
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!out && !error && std::chrono::steady_clock::now() < deadline) {
    if (ioc.stopped()) ioc.restart();
    ioc.run_one_for(std::chrono::milliseconds(20));
  }
  if (error) std::rethrow_exception(error);
  if (!out) throw std::runtime_error("task did not finish in time");
  return std::move(*out);
}

}  // namespace lp::testing
