#include "app/cli_common.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace lp::app {

Result<store::StorePtr> OpenConfiguredStore(const Config& c) {
  store::StoreOptions so;
  so.url = c.DatabaseUrl();
  so.readers = 2;
  return store::OpenStore(so);
}

log::Level ParseLevel(const std::string& s) {
  if (s == "debug") return log::Level::kDebug;
  if (s == "warn") return log::Level::kWarn;
  if (s == "error") return log::Level::kError;
  return log::Level::kInfo;
}

int Fail(const std::string& what, FailKind kind) {
  if (kind == FailKind::kStartup) {
    log::Error("startup_failed", {{"error", what}});
    log::Flush();
  }
  fmt::print(stderr, "liasonpay: {}\n", what);
  return kind == FailKind::kStartup ? 1 : 2;
}

std::string ErrorText(const Error& e) { return e.detail.empty() ? e.message : e.detail; }

std::string KeyringError(const Config& c, const Error& e) {
  std::string msg = ErrorText(e);
  if (e.code == "keyring_missing" || msg.find("No such file") != std::string::npos ||
      msg.find("not found") != std::string::npos) {
    msg += " (run `liasonpay init` or `serve --dev`, or pass --keyring " + c.KeyringFile() + ")";
  }
  return msg;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace lp::app
