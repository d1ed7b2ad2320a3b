#include "lp/core/api_keys.hpp"

#include <mutex>

#include "core/repo.hpp"
#include "lp/common/random.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::core {

namespace {
Error Unauthenticated() {
  // One answer for a missing, malformed, wrong or revoked key: no hint which.
  return Error{ErrorType::kAuthentication, "invalid_api_key",
               "Invalid API key provided. Send a valid key as 'Authorization: Bearer <key>'.",
               {}, {}};
}
}  // namespace

ApiKeyService::ApiKeyService(store::Store& store, std::string pepper, const Clock& clock)
    : store_(store), pepper_(std::move(pepper)), clock_(clock) {}

ApiKeyService::~ApiKeyService() { crypto::Wipe(pepper_); }

std::string ApiKeyService::HashKey(std::string_view key) const {
  return crypto::Hex(crypto::HmacSha256(pepper_, key));
}

Result<IssuedKey> ApiKeyService::Create(store::Tx& tx, const std::string& merchant_id, Mode mode,
                                        std::string_view type) {
  std::string prefix = type == "restricted"    ? "rk_"
                       : type == "publishable" ? "pk_"
                                               : "sk_";
  prefix += mode == Mode::kLive ? "live_" : "test_";
  IssuedKey k;
  k.id = NewId("key");
  k.secret = prefix + RandomToken(32);
  auto r = tx.Exec(
      "INSERT INTO api_keys (id, merchant_id, mode, type, prefix, last4, hash, created) "
      "VALUES (?,?,?,?,?,?,?,?)",
      {k.id, merchant_id, ToString(mode), type, prefix, k.secret.substr(k.secret.size() - 4),
       HashKey(k.secret), clock_.NowMicros()});
  if (!r) return r.error();
  return k;
}

Task<Result<Principal>> ApiKeyService::Authenticate(std::string_view header) {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.size() > 300 ||
      !std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    co_return Unauthenticated();
  }
  std::string_view key = header.substr(kBearer.size());
  if (!(key.starts_with("sk_test_") || key.starts_with("sk_live_"))) co_return Unauthenticated();
  std::string hash = HashKey(key);
  {
    std::shared_lock lk(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end()) co_return it->second;
  }
  std::optional<Principal> found;
  const int64_t now = clock_.NowMicros();
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    return tx.Query(
        "SELECT id, merchant_id, mode, type FROM api_keys WHERE hash = ? AND revoked_at IS NULL "
        "AND (expires_at IS NULL OR expires_at > ?)",
        {hash, now}, [&](const store::Row& row) {
          found = Principal{row.Text(1), repo::ParseMode(row.Text(2)).value_or(Mode::kTest),
                            row.Text(0), row.Text(3)};
          return false;
        });
  });
  if (!r) co_return r.error();
  if (!found) co_return Unauthenticated();
  {
    std::unique_lock lk(mu_);
    if (cache_.size() > 100000) cache_.clear();
    cache_.emplace(hash, *found);
  }
  co_return *found;
}

Result<std::string> CreateMerchant(store::Tx& tx, const std::string& name, const Clock& clock) {
  const std::string id = NewId("mer");
  const int64_t now = clock.NowMicros();
  auto r = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?,?,?)", {id, name, now});
  if (!r) return r.error();
  // Every merchant starts with a test-mode sandbox account, so test keys work at once.
  r = tx.Exec(
      "INSERT INTO connector_accounts (id, merchant_id, mode, connector, label, created) "
      "VALUES (?,?,'test','sandbox','Sandbox',?)",
      {NewId("ca"), id, now});
  if (!r) return r.error();
  return id;
}

}  // namespace lp::core
