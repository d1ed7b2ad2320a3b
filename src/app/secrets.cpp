#include "app/secrets.hpp"

#include <string>
#include <tuple>

#include "lp/merchants/connector_accounts.hpp"
#include "lp/webhooks/endpoints.hpp"
#include "lp/webhooks/events.hpp"

namespace lp::app {

const std::vector<store::SealedColumn>& SealedColumns() {
  static const std::vector<store::SealedColumn> kColumns = {
      merchants::kCredentialsColumn, webhooks::kSecretColumn, webhooks::kOldSecretColumn,
      webhooks::kSealedDataColumn};
  return kColumns;
}

Result<SecretsReport> InspectSecrets(store::Store& store, const crypto::KeyRing& keyring) {
  SecretsReport rep;
  for (const auto& c : SealedColumns()) {
    auto r = store.ReadSync([&](store::Tx& tx) {
      return store::ScanSealed(tx, c, [&](std::string_view id, std::string_view blob) {
        ++rep.total;
        auto v = crypto::KeyRing::VersionOf(blob);
        auto opened = keyring.Open(blob, store::AssociatedData(c, id));
        if (!v || !opened) {
          ++rep.unreadable;
        } else {
          ++rep.by_version[*v];
        }
        return true;
      });
    });
    if (!r) return r.error();
  }
  return rep;
}

Result<int64_t> RewrapSecrets(store::Store& store, const crypto::KeyRing& keyring) {
  int64_t done = 0;
  const uint32_t active = keyring.ActiveVersion();
  for (const auto& c : SealedColumns()) {
    for (;;) {
      // A batch of rows still under an old version.
      std::vector<std::pair<std::string, std::string>> batch;
      auto r = store.ReadSync([&](store::Tx& tx) {
        return store::ScanSealed(tx, c, [&](std::string_view id, std::string_view blob) {
          auto v = crypto::KeyRing::VersionOf(blob);
          if (v && *v != active) batch.emplace_back(id, blob);
          return batch.size() < 200;
        });
      });
      if (!r) return r.error();
      if (batch.empty()) break;
      std::vector<std::tuple<std::string, std::string, std::string>> updates;
      for (auto& [id, blob] : batch) {
        auto nb = keyring.Rewrap(blob, store::AssociatedData(c, id));
        if (!nb) {
          return Error::Internal("cannot re-wrap " + std::string(c.table) + " " + id + ": " +
                                 nb.error().message);
        }
        updates.emplace_back(id, std::move(blob), std::move(*nb));
      }
      int64_t rewrapped = 0;
      auto w = store.WriteSync([&](store::Tx& tx) -> Result<void> {
        rewrapped = 0;
        for (const auto& [id, old_blob, new_blob] : updates) {
          // Only if unchanged since it was read: a concurrent credential change wins.
          auto u = store::ReplaceSealed(tx, c, id, old_blob, new_blob);
          if (!u) return u.error();
          rewrapped += *u;
        }
        return {};
      });
      if (!w) return w.error();
      done += rewrapped;
    }
  }
  return done;
}

}  // namespace lp::app
