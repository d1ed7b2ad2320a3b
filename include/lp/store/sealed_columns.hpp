// Columns that hold sealed secrets (envelope-encrypted blobs, crypto::KeyRing): which they are,
// the associated data that binds a blob to its row, and the generic reads and writes key
// rotation needs. Each owning module names its columns; the key-ring commands walk them all.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "lp/common/result.hpp"
#include "lp/store/store.hpp"

namespace lp::store {

struct SealedColumn {
  std::string_view table;
  std::string_view id_column;
  std::string_view column;
};

// "table:column:row_id": binds a ciphertext to the row it was sealed for.
std::string AssociatedData(const SealedColumn& c, std::string_view row_id);

// Calls fn(row id, blob) for every non-null blob of the column until fn returns false.
Result<void> ScanSealed(Tx& tx, const SealedColumn& c,
                        const std::function<bool(std::string_view id, std::string_view blob)>& fn);
// Replaces a blob only if the row still holds `old_blob` (a concurrent change wins); returns
// the rows changed (0 or 1).
Result<int64_t> ReplaceSealed(Tx& tx, const SealedColumn& c, std::string_view id,
                              std::string_view old_blob, std::string_view new_blob);

}  // namespace lp::store
