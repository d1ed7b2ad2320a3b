// API keys: generated from the CSPRNG, shown once, stored only as HMAC-SHA256(pepper, key).
// Authentication results are cached per key hash (positive results only).
#pragma once

#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "lp/common/clock.hpp"
#include "lp/common/result.hpp"
#include "lp/common/task.hpp"
#include "lp/core/model.hpp"
#include "lp/store/store.hpp"

namespace lp::core {

struct IssuedKey {
  std::string id;      // "key_…"
  std::string secret;  // the key itself: returned once, never stored
};

class ApiKeyService {
 public:
  ApiKeyService(store::Store& store, std::string pepper, const Clock& clock);
  ~ApiKeyService();

  // Creates a key inside the caller's transaction.
  Result<IssuedKey> Create(store::Tx& tx, const std::string& merchant_id, Mode mode,
                           std::string_view type);
  // Resolves `Authorization` header value to a principal; 401 authentication_error otherwise,
  // with one message whatever the reason (wrong, missing, revoked).
  Task<Result<Principal>> Authenticate(std::string_view authorization_header);
  std::string HashKey(std::string_view key) const;

 private:
  store::Store& store_;
  std::string pepper_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Principal> cache_;
};

// Creates a merchant (and, in test mode, a sandbox connector account) inside `tx`.
Result<std::string> CreateMerchant(store::Tx& tx, const std::string& name, const Clock& clock);

}  // namespace lp::core
