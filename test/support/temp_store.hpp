// A real SQLite store in a test's TempDir, created and migrated like the server's: what
// store-backed tests use instead of a fake store. Needs lp_store (directly or through a module
// that depends on it).
#pragma once

#include <string>

#include "lp/store/store.hpp"
#include "support/temp_dir.hpp"

namespace lp::testing {

// Opens the SQLite database `name` in `dir` (created if missing) with every migration applied.
// Declare the TempDir before the StorePtr so the store closes before its directory goes.
inline Result<store::StorePtr> OpenTempStore(const TempDir& dir, int readers = 2,
                                             const std::string& name = "test.db") {
  return store::OpenStore({dir.File(name), readers, /*migrate=*/true});
}

}  // namespace lp::testing
