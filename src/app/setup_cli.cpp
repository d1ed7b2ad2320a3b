// `liasonpay migrate` and `liasonpay init`.
#include "app/setup_cli.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>

#include "app/cli_common.hpp"
#include "lp/crypto/keyring.hpp"

namespace lp::app {

namespace fs = std::filesystem;

int Migrate(const Config& c) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  fmt::print("schema version {}\n", (*store)->SchemaVersion());
  (*store)->Close();
  log::Flush();
  return 0;
}

int Init(const Config& c) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec) return Fail("cannot create data dir " + c.data_dir);
  ::chmod(c.data_dir.c_str(), 0700);
  if (auto r = crypto::FileKeyRing::CreateIfMissing(c.KeyringFile()); !r) {
    return Fail(r.error().detail.empty() ? r.error().message : r.error().detail);
  }
  return Migrate(c);
}

}  // namespace lp::app
