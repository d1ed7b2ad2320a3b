// `liasonpay keys status|rotate|retire`.
#include "app/keys_cli.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "app/cli_common.hpp"
#include "app/secrets.hpp"
#include "lp/audit/audit.hpp"
#include "lp/common/clock.hpp"
#include "lp/crypto/keyring.hpp"

namespace lp::app {

namespace json = boost::json;

namespace {
int PrintSecrets(store::Store& store, const crypto::KeyRing& ring) {
  auto rep = InspectSecrets(store, ring);
  if (!rep) return Fail(rep.error().detail.empty() ? rep.error().message : rep.error().detail);
  json::array versions;
  for (const auto& v : ring.Versions()) {
    auto it = rep->by_version.find(v.version);
    versions.push_back(json::object{{"version", v.version},
                                    {"active", v.active},
                                    {"secrets", it == rep->by_version.end() ? 0 : it->second}});
  }
  fmt::print("{}\n", json::serialize(json::object{{"active_version", ring.ActiveVersion()},
                                                  {"versions", versions},
                                                  {"secrets", rep->total},
                                                  {"unreadable", rep->unreadable}}));
  return rep->unreadable == 0 ? 0 : 1;
}
}  // namespace

int KeysStatus(const Config& c) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto ring = crypto::KeyRing::Load(c.KeyringFile());
  if (!ring) return Fail(KeyringError(c, ring.error()));
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  int rc = PrintSecrets(**store, **ring);
  (*store)->Close();
  log::Flush();
  return rc;
}

int KeysRotate(const Config& c) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  if (const char* env = std::getenv("LIASONPAY_KEYRING"); env && *env) {
    return Fail("the key ring comes from LIASONPAY_KEYRING; rotate it where it is managed");
  }
  // Open the store first: a wrong --database must not leave a half-done rotation behind.
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  auto added = crypto::FileKeyRing::AddVersion(c.KeyringFile());
  if (!added) return Fail(KeyringError(c, added.error()));
  log::Info("key_version_added", {{"version", static_cast<int64_t>(*added)}});
  // Running servers re-read the file within a second; wait so none keeps sealing with the old
  // version, then re-wrap (twice: the second pass catches anything sealed meanwhile).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto ring = crypto::KeyRing::Load(c.KeyringFile());
  if (!ring) return Fail(KeyringError(c, ring.error()));
  int64_t total = 0;
  for (int pass = 0; pass < 2; ++pass) {
    auto n = RewrapSecrets(**store, **ring);
    if (!n) return Fail(n.error().detail.empty() ? n.error().message : n.error().detail);
    total += *n;
    if (pass == 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  log::Info("secrets_rewrapped", {{"rows", total}, {"version", static_cast<int64_t>(*added)}});
  (void)store->get()->WriteSync([&](store::Tx& tx) -> Result<void> {
    return audit::Append(
        tx,
        audit::Record{"operator", "cli", "keys.rotate", "keyring", "", "success", "local", "",
                      json::serialize(json::object{{"new_version", *added}, {"rewrapped", total}})},
        SystemClock().NowMicros());
  });
  int rc = PrintSecrets(**store, **ring);
  (*store)->Close();
  log::Flush();
  return rc;
}

int KeysRetire(const Config& c, uint32_t version) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto ring = crypto::KeyRing::Load(c.KeyringFile());
  if (!ring) return Fail(KeyringError(c, ring.error()));
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  auto rep = InspectSecrets(**store, **ring);
  if (!rep) return Fail(rep.error().detail.empty() ? rep.error().message : rep.error().detail);
  if (auto it = rep->by_version.find(version); it != rep->by_version.end() && it->second > 0) {
    return Fail("key version " + std::to_string(version) + " still protects " +
                std::to_string(it->second) + " secrets; run `liasonpay keys rotate` first");
  }
  if (rep->unreadable > 0) {
    return Fail(std::to_string(rep->unreadable) +
                " secrets cannot be opened; refusing to retire any key version");
  }
  auto r = crypto::FileKeyRing::RetireVersion(c.KeyringFile(), version);
  if (!r) return Fail(r.error().detail.empty() ? r.error().message : r.error().detail);
  (void)store->get()->WriteSync([&](store::Tx& tx) -> Result<void> {
    return audit::Append(tx,
                         audit::Record{"operator", "cli", "keys.retire", std::to_string(version),
                                       "", "success", "local", "", "{}"},
                         SystemClock().NowMicros());
  });
  fmt::print("retired key version {}\n", version);
  (*store)->Close();
  log::Flush();
  return 0;
}

}  // namespace lp::app
