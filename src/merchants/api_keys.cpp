#include "lp/merchants/api_keys.hpp"

#include <boost/json.hpp>
#include <mutex>

#include "lp/audit/audit.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/crypto/hash.hpp"
#include "merchants/api_key_repository.hpp"
#include "merchants/audit_record.hpp"

namespace lp::merchants {

namespace json = boost::json;

const std::vector<std::string>& KnownScopes() {
  static const std::vector<std::string> kScopes = {
      "payments:read",    "payments:write", "refunds:write", "connectors:read",
      "connectors:write", "routing:read",   "routing:write", "webhooks:read",
      "webhooks:write",   "events:read",    "api_keys:write"};
  return kScopes;
}

std::vector<std::string> GrantsToManage(std::string_view type,
                                        const std::vector<std::string>& scopes) {
  std::vector<std::string> out{"api_keys:write"};
  if (type == "secret") {
    out.emplace_back(kSecretKeyGrant);
  } else if (type == "restricted") {
    out.insert(out.end(), scopes.begin(), scopes.end());
  }
  return out;
}

Result<void> CheckMayManage(const Principal& caller, std::string_view verb, std::string_view type,
                            const std::vector<std::string>& scopes, std::string param) {
  for (const auto& g : GrantsToManage(type, scopes)) {
    if (Grants(caller, g)) {
      continue;
    }
    std::string message =
        g == kSecretKeyGrant    ? "Only a secret key can " + std::string(verb) + " a secret key."
        : g == "api_keys:write" ? std::string("This API key lacks the scope api_keys:write.")
                                : "A restricted key can only " + std::string(verb) +
                                      " keys whose scopes it holds (" + g + " is not one of them).";
    return Error{
        ErrorType::kPermission, "permission_denied", std::move(message), std::move(param), {}};
  }
  return {};
}

namespace {

Error Unauthenticated() {
  return Error{ErrorType::kAuthentication,
               "invalid_api_key",
               "Invalid API key provided. Send a valid key as 'Authorization: Bearer <key>'.",
               {},
               {}};
}

Error NoSuchKey(std::string_view id) {
  return Error::NotFound("No such API key: '" + std::string(id) + "'", "id");
}

using internal::AuditOf;

}  // namespace

std::string_view ApiKey::Status(int64_t now_us) const {
  if (revoked_at_us) return "revoked";
  if (expires_at_us && *expires_at_us <= now_us) return "expired";
  if (rolled_to) return "rolling";
  return "active";
}

ApiKeyService::ApiKeyService(store::Store& store, Secret<std::string> pepper, const Clock& clock)
    : store_(store), pepper_(std::move(pepper)), clock_(clock) {}

std::string ApiKeyService::HashKey(std::string_view key) const {
  return crypto::Hex(crypto::HmacSha256(pepper_.Expose(), key));
}

Result<IssuedKey> ApiKeyService::Create(store::Tx& tx, const std::string& merchant_id, Mode mode,
                                        const KeyOptions& o) {
  std::string prefix = o.type == "restricted" ? "rk_" : o.type == "publishable" ? "pk_" : "sk_";
  prefix += mode == Mode::kLive ? "live_" : "test_";
  IssuedKey k;
  k.id = NewId("key");
  k.secret = prefix + RandomToken(32);
  keys_repo::NewRow row{k.id,
                        merchant_id,
                        mode,
                        o.type,
                        prefix,
                        k.secret.substr(k.secret.size() - 4),
                        HashKey(k.secret),
                        o.scopes,
                        o.allowed_cidrs,
                        clock_.NowMicros(),
                        o.expires_at_us};
  if (auto r = keys_repo::Insert(tx, row); !r) return r.error();
  return k;
}

Result<bool> ApiKeyService::IsKeyOf(store::Tx& tx, std::string_view key,
                                    std::string_view merchant_id) const {
  return keys_repo::ExistsForMerchant(tx, HashKey(key), merchant_id);
}

namespace {

// The key in an `Authorization: Bearer <key>` value, or empty when malformed.
std::string_view BearerKey(std::string_view header) {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.size() > 300 ||
      !std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return {};
  }
  std::string_view key = header.substr(kBearer.size());
  if (!(key.starts_with("sk_") || key.starts_with("rk_") || key.starts_with("pk_"))) return {};
  return key;
}

Error Frozen() {
  return Error{ErrorType::kPermission,
               "merchant_frozen",
               "This merchant account is frozen. Contact LiasonPay support.",
               {},
               {}};
}

}  // namespace

Task<Result<Principal>> ApiKeyService::Authenticate(std::string_view header) {
  const std::string_view key = BearerKey(header);
  if (key.empty()) co_return Unauthenticated();
  const std::string hash = HashKey(key);
  const int64_t now = clock_.NowMicros();
  std::optional<Cached> found;
  {
    std::shared_lock lk(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && now - it->second.cached_at_us < kCacheTtlUs) found = it->second;
  }
  if (!found) {
    auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
      auto row = keys_repo::FindUnrevokedByHash(tx, hash);
      if (!row) return row.error();
      if (*row) {
        found = Cached{std::move((*row)->principal), (*row)->expires_at_us, now,
                       (*row)->merchant_frozen};
      }
      return {};
    });
    if (!r) co_return r.error();
    if (!found) co_return Unauthenticated();
    std::unique_lock lk(mu_);
    if (cache_.size() > 100000) cache_.clear();
    cache_[hash] = *found;
  }
  if (found->expires_at_us && *found->expires_at_us <= now) co_return Unauthenticated();
  if (found->merchant_frozen) co_return Frozen();
  co_return std::move(found->principal);
}

Task<Result<std::optional<ApiKeyService::StaleKey>>> ApiKeyService::FindStale(
    std::string_view header) {
  const std::string_view key = BearerKey(header);
  std::optional<StaleKey> out;
  if (key.empty()) co_return out;
  const std::string hash = HashKey(key);
  const int64_t now = clock_.NowMicros();
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto row = keys_repo::FindByHash(tx, hash);
    if (!row) return row.error();
    if (!*row) return {};
    const auto& k = **row;
    if (k.revoked_at_us) {
      out = StaleKey{k.key_id, k.merchant_id, k.mode, "revoked"};
    } else if (k.expires_at_us && *k.expires_at_us <= now) {
      out = StaleKey{k.key_id, k.merchant_id, k.mode, "expired"};
    }
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

void ApiKeyService::ForgetMerchant(const std::string& merchant_id) {
  std::unique_lock lk(mu_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.principal.merchant_id == merchant_id ? cache_.erase(it) : std::next(it);
  }
}

void ApiKeyService::Forget(const std::string& key_id) {
  std::unique_lock lk(mu_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.principal.key_id == key_id ? cache_.erase(it) : std::next(it);
  }
}

void ApiKeyService::Touch(const Principal& p, const std::string& ip) {
  const int64_t now = clock_.NowMicros();
  {
    std::lock_guard lk(touch_mu_);
    auto& t = touched_[p.key_id];
    if (now - t.first < 60'000'000 && t.second == ip) return;
    t = {now, ip};
    if (touched_.size() > 100000) touched_.clear();
  }
  store_.SubmitWrite(
      [id = p.key_id, ip, now](store::Tx& tx) { return keys_repo::Touch(tx, id, now, ip); },
      [](Result<void> r) {
        if (!r) log::Warn("api_key_touch_failed", {{"detail", r.error().detail}});
      });
}

// At most kMaxActiveKeys keys of a merchant in one mode may be usable at once (revoked and
// expired ones do not count), so a leaked api_keys:write key cannot mint keys without bound.
Result<void> CheckKeyCap(store::Tx& tx, const Principal& p, int64_t now) {
  auto active = keys_repo::CountUsable(tx, p, now);
  if (!active) return active.error();
  if (*active >= ApiKeyService::kMaxActiveKeys) {
    return Error::Invalid("resource_limit_exceeded",
                          "This account already has " +
                              std::to_string(ApiKeyService::kMaxActiveKeys) +
                              " active API keys in this mode; revoke one first.");
  }
  return {};
}

Task<Result<NewKey>> ApiKeyService::CreateKey(const Principal& p, KeyOptions options, Actor actor) {
  if (auto r = CheckMayManage(p, "create", options.type, options.scopes,
                              options.type == "restricted" ? "scopes" : "type");
      !r) {
    co_return r.error();
  }
  NewKey out;
  out.grants = GrantsToManage(options.type, options.scopes);
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    if (auto r = CheckKeyCap(tx, p, now); !r) return r;
    auto k = Create(tx, p.merchant_id, p.mode, options);
    if (!k) return k.error();
    auto key = keys_repo::Load(tx, p, k->id);
    if (!key) return key.error();
    out.key = std::move(**key);
    out.secret = std::move(k->secret);
    json::object details{{"type", options.type}};
    return audit::Append(tx, AuditOf(actor, p, "api_key.create", k->id, json::serialize(details)),
                         now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<Page<ApiKey>>> ApiKeyService::ListKeys(const Principal& p, ListParams params) {
  Page<ApiKey> out;
  auto r = co_await store::ReadInto(store_, out,
                                    [&](store::Tx& tx) { return keys_repo::List(tx, p, params); });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<NewKey>> ApiKeyService::RollKey(const Principal& p, std::string id, int64_t grace_hours,
                                            std::optional<int64_t> expires_at_us, Actor actor) {
  NewKey out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto old = keys_repo::Load(tx, p, id);
    if (!old) return old.error();
    if (!*old) return NoSuchKey(id);
    const ApiKey& o = **old;
    if (auto r = CheckMayManage(p, "roll", o.type, o.scopes); !r) return r;
    out.grants = GrantsToManage(o.type, o.scopes);
    const std::string_view status = o.Status(now);
    if (status != "active") {
      return Error::Conflict("invalid_state", "Only an active key can be rolled; this one is " +
                                                  std::string(status) + ".");
    }
    const int64_t grace_end = now + grace_hours * 3600 * 1'000'000;
    const int64_t old_expiry = o.expires_at_us ? std::min(*o.expires_at_us, grace_end) : grace_end;
    // The new key keeps the old one's type, scopes, allowlist and expiry (unless one is given).
    KeyOptions options{o.type, o.scopes, o.allowed_cidrs,
                       expires_at_us ? expires_at_us : o.expires_at_us};
    auto k = Create(tx, p.merchant_id, p.mode, options);
    if (!k) return k.error();
    auto u = keys_repo::MarkRolled(
        tx, id, k->id, grace_hours == 0 ? std::optional<int64_t>(now) : std::nullopt, old_expiry);
    if (!u) return u;
    auto key = keys_repo::Load(tx, p, k->id);
    if (!key) return key.error();
    out.key = std::move(**key);
    out.secret = std::move(k->secret);
    out.rolled_from = id;
    json::object details{{"new_key", k->id}, {"grace_period_hours", grace_hours}};
    return audit::Append(tx, AuditOf(actor, p, "api_key.roll", id, json::serialize(details)), now);
  });
  if (!w) co_return w.error();
  Forget(id);  // the old key's cached entry would not know its new expiry
  co_return out;
}

Task<Result<ApiKey>> ApiKeyService::RevokeKey(const Principal& p, std::string id, Actor actor) {
  ApiKey out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto target = keys_repo::Load(tx, p, id);
    if (!target) return target.error();
    if (!*target) return NoSuchKey(id);
    if (auto r = CheckMayManage(p, "revoke", (*target)->type, (*target)->scopes); !r) return r;
    if (auto r = keys_repo::Revoke(tx, id, now); !r) return r;
    auto key = keys_repo::Load(tx, p, id);
    if (!key) return key.error();
    out = std::move(**key);
    return audit::Append(tx, AuditOf(actor, p, "api_key.revoke", id), now);
  });
  if (!w) co_return w.error();
  Forget(id);  // revoked on this node the moment the revocation committed
  co_return out;
}

Task<Result<ApiKey>> ApiKeyService::SetAllowedCidrs(const Principal& p, std::string id,
                                                    std::vector<std::string> cidrs, Actor actor) {
  ApiKey out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto target = keys_repo::Load(tx, p, id);
    if (!target) return target.error();
    if (!*target) return NoSuchKey(id);
    if (auto r = CheckMayManage(p, "change", (*target)->type, (*target)->scopes); !r) return r;
    json::array before, after;
    for (const auto& c : (*target)->allowed_cidrs) before.emplace_back(c);
    for (const auto& c : cidrs) after.emplace_back(c);
    if (auto r = keys_repo::SetAllowedCidrs(tx, id, cidrs); !r) return r;
    auto key = keys_repo::Load(tx, p, id);
    if (!key) return key.error();
    out = std::move(**key);
    const json::object details{
        {"allowed_cidrs", json::object{{"from", std::move(before)}, {"to", std::move(after)}}}};
    return audit::Append(tx, AuditOf(actor, p, "api_key.update", id, json::serialize(details)),
                         now);
  });
  if (!w) co_return w.error();
  Forget(id);  // the new allowlist applies from the next request on this node
  co_return out;
}

}  // namespace lp::merchants
