// A new key ring in a test's TempDir, created and loaded as the server does (`keys init`, then
// load at start): for services that seal (credentials, webhook secrets, people's MFA secrets).
// Needs lp_crypto (directly or through a module that depends on it).
#pragma once

#include <memory>
#include <string>

#include "lp/crypto/keyring.hpp"
#include "support/temp_dir.hpp"

namespace lp::testing {

inline Result<std::unique_ptr<crypto::KeyRing>> OpenTempKeyRing(
    const TempDir& dir, const std::string& name = "keyring.json") {
  const std::string path = dir.File(name);
  if (auto created = crypto::FileKeyRing::CreateIfMissing(path); !created) {
    return created.error();
  }
  return crypto::KeyRing::Load(path);
}

}  // namespace lp::testing
