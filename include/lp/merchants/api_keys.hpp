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

#include "lp/common/api_result.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/principal.hpp"
#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"
#include "lp/common/task.hpp"
#include "lp/store/store.hpp"

namespace lp::merchants {

struct IssuedKey {
  std::string id;      // "key_…"
  std::string secret;  // the key itself: returned once, never stored
};

// An API key as the merchant sees it (never its secret).
struct ApiKey {
  std::string id;
  Mode mode = Mode::kTest;
  std::string type;  // secret | restricted | publishable
  std::string prefix, last4;
  std::vector<std::string> scopes;  // restricted keys
  std::vector<std::string> allowed_cidrs;
  int64_t created_us = 0;
  std::optional<int64_t> expires_at_us, revoked_at_us, last_used_at_us;
  std::optional<std::string> last_used_ip, rolled_to;
  // revoked | expired | rolling | active at `now_us`.
  std::string_view Status(int64_t now_us) const;
};

// A key just created or rolled: shown with its secret once. `grants`: what the request needed
// (the idempotency record keeps them, PRODUCT.md §2).
struct NewKey {
  ApiKey key;
  std::string secret;
  std::optional<std::string> rolled_from;
  std::vector<std::string> grants;
};

struct KeyOptions {
  std::string type = "secret";  // secret | restricted | publishable
  std::vector<std::string> scopes;
  std::vector<std::string> allowed_cidrs;  // canonical CIDR texts
  std::optional<int64_t> expires_at_us;
};

// The scopes a restricted key may hold (PRODUCT.md §2).
const std::vector<std::string>& KnownScopes();

// The one rule for acting on an API key — create, roll, revoke — (PRODUCT.md §2): a key never
// acts on a key stronger than itself. The grants needed to act on a key of `type` with `scopes`:
// api_keys:write, plus kSecretKeyGrant for a secret key, or each scope of a restricted key.
// The same list is stored with an idempotent response, so a replay is authorised alike.
std::vector<std::string> GrantsToManage(std::string_view type,
                                        const std::vector<std::string>& scopes);
// 403 permission_denied unless `caller` holds every grant of GrantsToManage; `verb` ("create",
// "roll", "revoke") and `param` shape the message.
Result<void> CheckMayManage(const Principal& caller, std::string_view verb, std::string_view type,
                            const std::vector<std::string>& scopes, std::string param = {});

class ApiKeyService {
 public:
  static constexpr int64_t kCacheTtlUs = 5'000'000;
  // Usable (not revoked, not expired) keys per merchant and mode.
  static constexpr int64_t kMaxActiveKeys = 100;

  ApiKeyService(store::Store& store, Secret<std::string> pepper, const Clock& clock);

  // Creates a key inside the caller's transaction.
  Result<IssuedKey> Create(store::Tx& tx, const std::string& merchant_id, Mode mode,
                           const KeyOptions& options);
  // Resolves an `Authorization` header value; 401 authentication_error otherwise, with one
  // message whatever the reason (missing, malformed, wrong, revoked, expired).
  // A frozen merchant's keys: 403 merchant_frozen (within the cache TTL of the freeze).
  Task<Result<Principal>> Authenticate(std::string_view authorization_header);
  // After a failed Authenticate: the key the header names if it exists but is revoked or
  // expired (the security monitor reports its use); nullopt for an unknown or malformed key.
  struct StaleKey {
    std::string key_id, merchant_id;
    Mode mode = Mode::kTest;
    std::string_view reason;  // "revoked" | "expired"
  };
  Task<Result<std::optional<StaleKey>>> FindStale(std::string_view authorization_header);
  std::string HashKey(std::string_view key) const;

  // The merchant API's key management; every change is audited in its own transaction.
  Task<Result<NewKey>> CreateKey(const Principal& p, KeyOptions options, Actor actor);
  Task<Result<Page<ApiKey>>> ListKeys(const Principal& p, ListParams params);
  // The new key keeps the old one's expiry unless `expires_at_us` is given.
  Task<Result<NewKey>> RollKey(const Principal& p, std::string id, int64_t grace_hours,
                               std::optional<int64_t> expires_at_us, Actor actor);
  Task<Result<ApiKey>> RevokeKey(const Principal& p, std::string id, Actor actor);
  // Replaces a key's allowlist (canonical CIDR texts; empty = any address), under the same rule
  // as rolling it (CheckMayManage); audited as api_key.update with the old and new lists.
  Task<Result<ApiKey>> SetAllowedCidrs(const Principal& p, std::string id,
                                       std::vector<std::string> cidrs, Actor actor);
  // Whether `key` is a current key of `merchant_id` (dev mode reuses its credentials file).
  Result<bool> IsKeyOf(store::Tx& tx, std::string_view key, std::string_view merchant_id) const;

  // Records when and from where a key was last used (written at most once a minute per key,
  // without delaying the request).
  void Touch(const Principal& p, const std::string& ip);

  // Drops this node's cached authentications of the merchant's keys (after an operator revoked
  // them all: the revocation applies from the next request here, within kCacheTtlUs elsewhere).
  void ForgetMerchant(const std::string& merchant_id);

 private:
  struct Cached {
    Principal principal;
    std::optional<int64_t> expires_at_us;
    int64_t cached_at_us = 0;
    bool merchant_frozen = false;
  };
  void Forget(const std::string& key_id);

  store::Store& store_;
  Secret<std::string> pepper_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // by key hash
  std::mutex touch_mu_;
  std::unordered_map<std::string, std::pair<int64_t, std::string>> touched_;
};

// Creates a merchant (and, in test mode, a sandbox connector account) inside `tx`.
Result<std::string> CreateMerchant(store::Tx& tx, const std::string& name, const Clock& clock);

}  // namespace lp::merchants
