// Every sealed secret of the database, for the key-ring commands: `keys status` opens them all
// and counts them per key version; `keys rotate` re-wraps those under older versions.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "lp/crypto/keyring.hpp"
#include "lp/store/sealed_columns.hpp"
#include "lp/store/store.hpp"

namespace lp::app {

// The sealed columns of every module (merchants' credentials, webhook endpoint secrets).
const std::vector<store::SealedColumn>& SealedColumns();

struct SecretsReport {
  std::map<uint32_t, int64_t> by_version;  // how many secrets each key version protects
  int64_t unreadable = 0;                  // secrets that failed to open (should be 0)
  int64_t total = 0;
};
// Opens every sealed secret (to prove it still opens) and counts them per key version.
Result<SecretsReport> InspectSecrets(store::Store& store, const crypto::KeyRing& keyring);
// Re-wraps every secret not under the active version (data keys only; plaintexts never leave
// the key ring). Each row is updated only if it still holds the blob that was re-wrapped, so it
// is safe while servers run, and safe to interrupt and re-run. Returns rows re-wrapped.
Result<int64_t> RewrapSecrets(store::Store& store, const crypto::KeyRing& keyring);

}  // namespace lp::app
