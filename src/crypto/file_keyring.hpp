// Private to src/crypto: reading the key-ring file, shared by the file key ring (file_keyring.cpp:
// loading, permissions, reload) and rotation (keyring_rotation.cpp: read-modify-write).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"

namespace lp::crypto::detail {

struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct FileContents {
  SecureBytes text;
  FileIdentity identity;
};

// "key ring <path>": how errors name the file.
std::string KeyRingOrigin(const std::string& path);

// The file's bytes, refused unless it is a regular file of at most 1 MiB that group and others
// cannot access (keyring_missing, keyring_insecure, keyring_invalid, keyring_io).
Result<FileContents> ReadKeyRingFile(const std::string& path);

}  // namespace lp::crypto::detail
