// The key-ring file (<data-dir>/keyring, mode 0600): versioned key-encryption keys and the
// API-key hashing pepper. Envelope encryption with rotation builds on it (issue: secrets at rest).
#pragma once

#include <string>

#include "lp/common/result.hpp"

namespace lp::app {

struct KeyringFile {
  int active_version = 1;
  std::string active_key;      // 32 raw bytes
  std::string api_key_pepper;  // 32 raw bytes
};

// Creates the file if missing (dev mode and `init`).
Result<void> CreateKeyringIfMissing(const std::string& path);
// Loads it; refuses a file readable by group or others.
Result<KeyringFile> LoadKeyring(const std::string& path);

// Writes `content` to `path` atomically (temporary name, fsync, rename) with `mode`.
Result<void> WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode);

}  // namespace lp::app
