// API keys: generated from the CSPRNG, shown once, stored only as HMAC-SHA256(pepper, key).
// Secret, restricted (scoped) and publishable keys; optional IP allowlists and expiry; rolling
// with a grace period; revocation. Authentication results are cached for a few seconds (and
// dropped at once on this node when a key is revoked or rolled), so revocation reaches other
// nodes within the cache TTL.
#pragma once

#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "lp/common/clock.hpp"
#include "lp/common/result.hpp"
#include "lp/common/task.hpp"
#include "lp/core/model.hpp"
#include "lp/core/payments.hpp"
#include "lp/store/store.hpp"

namespace lp::core {

struct IssuedKey {
  std::string id;      // "key_…"
  std::string secret;  // the key itself: returned once, never stored
};

struct KeyOptions {
  std::string type = "secret";  // secret | restricted | publishable
  std::vector<std::string> scopes;
  std::vector<std::string> allowed_cidrs;  // canonical CIDR texts
  std::optional<int64_t> expires_at_us;
};

// The scopes a restricted key may hold (PRODUCT.md §2).
const std::vector<std::string>& KnownScopes();

class ApiKeyService {
 public:
  static constexpr int64_t kCacheTtlUs = 5'000'000;

  ApiKeyService(store::Store& store, std::string pepper, const Clock& clock);
  ~ApiKeyService();

  // Creates a key inside the caller's transaction.
  Result<IssuedKey> Create(store::Tx& tx, const std::string& merchant_id, Mode mode,
                           const KeyOptions& options);
  // Resolves an `Authorization` header value; 401 authentication_error otherwise, with one
  // message whatever the reason (missing, malformed, wrong, revoked, expired).
  Task<Result<Principal>> Authenticate(std::string_view authorization_header);
  std::string HashKey(std::string_view key) const;

  // The merchant API's key management; every change is audited in its own transaction.
  Task<Result<ApiResult>> CreateKey(const Principal& p, KeyOptions options, Actor actor);
  Task<Result<ApiResult>> ListKeys(const Principal& p, ListParams params);
  Task<Result<ApiResult>> RollKey(const Principal& p, std::string id, int64_t grace_hours,
                                  Actor actor);
  Task<Result<ApiResult>> RevokeKey(const Principal& p, std::string id, Actor actor);

  // Records when and from where a key was last used (written at most once a minute per key,
  // without delaying the request).
  void Touch(const Principal& p, const std::string& ip);

 private:
  struct Cached {
    Principal principal;
    std::optional<int64_t> expires_at_us;
    int64_t cached_at_us = 0;
  };
  void Forget(const std::string& key_id);

  store::Store& store_;
  std::string pepper_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // by key hash
  std::mutex touch_mu_;
  std::unordered_map<std::string, std::pair<int64_t, std::string>> touched_;
};

// Creates a merchant (and, in test mode, a sandbox connector account) inside `tx`.
Result<std::string> CreateMerchant(store::Tx& tx, const std::string& name, const Clock& clock);

}  // namespace lp::core
