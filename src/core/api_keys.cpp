#include "lp/core/api_keys.hpp"

#include <boost/json.hpp>
#include <mutex>

#include "core/pagination.hpp"
#include "core/render.hpp"
#include "core/repo.hpp"
#include "lp/audit/audit.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::core {

namespace json = boost::json;

const std::vector<std::string>& KnownScopes() {
  static const std::vector<std::string> kScopes = {
      "payments:read",    "payments:write", "refunds:write", "connectors:read",
      "connectors:write", "routing:read",   "routing:write", "webhooks:read",
      "webhooks:write",   "events:read",    "api_keys:write"};
  return kScopes;
}

namespace {

Error Unauthenticated() {
  return Error{ErrorType::kAuthentication,
               "invalid_api_key",
               "Invalid API key provided. Send a valid key as 'Authorization: Bearer <key>'.",
               {},
               {}};
}

std::vector<std::string> StringArray(const std::optional<std::string>& text) {
  std::vector<std::string> out;
  if (!text) return out;
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

std::optional<std::string> ArrayText(const std::vector<std::string>& v) {
  if (v.empty()) return std::nullopt;
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return json::serialize(a);
}

constexpr std::string_view kKeyCols =
    "id, type, prefix, last4, scopes, allowed_cidrs, created, expires_at, revoked_at, "
    "last_used_at, last_used_ip, rolled_to, mode";

json::object KeyJson(const store::Row& row, int64_t now) {
  auto secs = [](std::optional<int64_t> us) {
    return us ? json::value(*us / 1'000'000) : json::value(nullptr);
  };
  auto strs = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
  };
  const auto expires = row.OptInt(7);
  const auto revoked = row.OptInt(8);
  std::string status = revoked                      ? "revoked"
                       : expires && *expires <= now ? "expired"
                       : row.OptText(11)            ? "rolling"
                                                    : "active";
  json::object o;
  o["id"] = row.Text(0);
  o["object"] = "api_key";
  o["type"] = row.Text(1);
  o["livemode"] = row.Text(12) == "live";
  o["prefix"] = row.Text(2);
  o["last4"] = row.Text(3);
  o["scopes"] = row.Text(1) == "restricted" ? json::value(strs(StringArray(row.OptText(4))))
                                            : json::value(nullptr);
  o["allowed_cidrs"] = strs(StringArray(row.OptText(5)));
  o["status"] = status;
  o["created"] = row.Int(6) / 1'000'000;
  o["expires_at"] = secs(expires);
  o["revoked_at"] = secs(revoked);
  o["last_used_at"] = secs(row.OptInt(9));
  o["last_used_ip"] = row.IsNull(10) ? json::value(nullptr) : json::value(row.Text(10));
  o["rolled_to"] = row.IsNull(11) ? json::value(nullptr) : json::value(row.Text(11));
  return o;
}

Result<std::optional<json::object>> LoadKeyJson(store::Tx& tx, const Principal& p,
                                                std::string_view id, int64_t now,
                                                KeyOptions* options = nullptr) {
  std::optional<json::object> out;
  auto r = tx.Query("SELECT " + std::string(kKeyCols) +
                        " FROM api_keys WHERE id = ? AND merchant_id = ? AND mode = ?",
                    {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
                      out = KeyJson(row, now);
                      if (options) {
                        options->type = row.Text(1);
                        options->scopes = StringArray(row.OptText(4));
                        options->allowed_cidrs = StringArray(row.OptText(5));
                        options->expires_at_us = row.OptInt(7);
                      }
                      return false;
                    });
  if (!r) return r.error();
  return out;
}

audit::Record AuditOf(const Actor& a, const Principal& p, std::string action, std::string target,
                      std::string details = "{}") {
  return audit::Record{a.type,    a.id,        std::move(action), std::move(target), p.merchant_id,
                       "success", a.source_ip, a.request_id,      std::move(details)};
}

}  // namespace

ApiKeyService::ApiKeyService(store::Store& store, std::string pepper, const Clock& clock)
    : store_(store), pepper_(std::move(pepper)), clock_(clock) {}

ApiKeyService::~ApiKeyService() { crypto::Wipe(pepper_); }

std::string ApiKeyService::HashKey(std::string_view key) const {
  return crypto::Hex(crypto::HmacSha256(pepper_, key));
}

Result<IssuedKey> ApiKeyService::Create(store::Tx& tx, const std::string& merchant_id, Mode mode,
                                        const KeyOptions& o) {
  std::string prefix = o.type == "restricted" ? "rk_" : o.type == "publishable" ? "pk_" : "sk_";
  prefix += mode == Mode::kLive ? "live_" : "test_";
  IssuedKey k;
  k.id = NewId("key");
  k.secret = prefix + RandomToken(32);
  auto r = tx.Exec(
      "INSERT INTO api_keys (id, merchant_id, mode, type, prefix, last4, hash, scopes, "
      "allowed_cidrs, created, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      {k.id, merchant_id, ToString(mode), o.type, prefix, k.secret.substr(k.secret.size() - 4),
       HashKey(k.secret), ArrayText(o.scopes), ArrayText(o.allowed_cidrs), clock_.NowMicros(),
       o.expires_at_us});
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
  if (!(key.starts_with("sk_") || key.starts_with("rk_") || key.starts_with("pk_"))) {
    co_return Unauthenticated();
  }
  const std::string hash = HashKey(key);
  const int64_t now = clock_.NowMicros();
  {
    std::shared_lock lk(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && now - it->second.cached_at_us < kCacheTtlUs) {
      if (it->second.expires_at_us && *it->second.expires_at_us <= now) co_return Unauthenticated();
      co_return it->second.principal;
    }
  }
  std::optional<Cached> found;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    return tx.Query(
        "SELECT k.id, k.merchant_id, k.mode, k.type, k.scopes, k.allowed_cidrs, k.expires_at, "
        "m.rate_limit_per_key FROM api_keys k JOIN merchants m ON m.id = k.merchant_id "
        "WHERE k.hash = ? AND k.revoked_at IS NULL",
        {hash}, [&](const store::Row& row) {
          Cached c;
          c.principal = Principal{row.Text(1),
                                  repo::ParseMode(row.Text(2)).value_or(Mode::kTest),
                                  row.Text(0),
                                  row.Text(3),
                                  StringArray(row.OptText(4)),
                                  StringArray(row.OptText(5)),
                                  std::nullopt};
          if (!row.IsNull(7)) {
            double rate = 0;
            try {
              rate = std::stod(row.Text(7));
            } catch (...) {
            }
            c.principal.rate_limit = rate;
          }
          c.expires_at_us = row.OptInt(6);
          c.cached_at_us = now;
          found = std::move(c);
          return false;
        });
  });
  if (!r) co_return r.error();
  if (!found) co_return Unauthenticated();
  {
    std::unique_lock lk(mu_);
    if (cache_.size() > 100000) cache_.clear();
    cache_[hash] = *found;
  }
  if (found->expires_at_us && *found->expires_at_us <= now) co_return Unauthenticated();
  co_return found->principal;
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
      [id = p.key_id, ip, now](store::Tx& tx) -> Result<void> {
        auto r = tx.Exec("UPDATE api_keys SET last_used_at = ?, last_used_ip = ? WHERE id = ?",
                         {now, ip, id});
        if (!r) return r.error();
        return {};
      },
      [](Result<void> r) {
        if (!r) log::Warn("api_key_touch_failed", {{"detail", r.error().detail}});
      });
}

Task<Result<ApiResult>> ApiKeyService::CreateKey(const Principal& p, KeyOptions options,
                                                 Actor actor) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto k = Create(tx, p.merchant_id, p.mode, options);
    if (!k) return k.error();
    auto obj = LoadKeyJson(tx, p, k->id, now);
    if (!obj) return obj.error();
    json::object o = std::move(**obj);
    o["secret"] = k->secret;
    out.body = json::serialize(o);
    json::object details{{"type", options.type}};
    return audit::Append(tx, AuditOf(actor, p, "api_key.create", k->id, json::serialize(details)),
                         now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<ApiResult>> ApiKeyService::ListKeys(const Principal& p, ListParams params) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    json::array items;
    auto more = ListPage(tx, {"api_keys", kKeyCols, {}, {}, false}, p, params,
                         [&](const store::Row& row) { items.push_back(KeyJson(row, now)); });
    if (!more) return more.error();
    const bool has_more = *more;
    out.body = RenderList(std::move(items), has_more, "/v1/api_keys");
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<ApiResult>> ApiKeyService::RollKey(const Principal& p, std::string id,
                                               int64_t grace_hours, Actor actor) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    KeyOptions options;
    auto old = LoadKeyJson(tx, p, id, now, &options);
    if (!old) return old.error();
    if (!*old) return Error::NotFound("No such API key: '" + id + "'", "id");
    if (p.key_type != "secret" && options.type == "secret") {
      return Error{ErrorType::kPermission,
                   "permission_denied",
                   "Only a secret key can roll a secret key.",
                   {},
                   {}};
    }
    for (const auto& scope : options.scopes) {
      // Rolling mints a new secret: a restricted key may only do it within its own scopes.
      if (!Grants(p, scope)) {
        return Error{ErrorType::kPermission,
                     "permission_denied",
                     "A restricted key can only roll keys whose scopes it holds.",
                     {},
                     {}};
      }
    }
    const std::string status((**old).at("status").as_string());
    if (status != "active") {
      return Error::Conflict("invalid_state",
                             "Only an active key can be rolled; this one is " + status + ".");
    }
    auto k = Create(tx, p.merchant_id, p.mode, options);
    if (!k) return k.error();
    const int64_t grace_end = now + grace_hours * 3600 * 1'000'000;
    int64_t old_expiry = grace_end;
    if (options.expires_at_us) old_expiry = std::min(*options.expires_at_us, grace_end);
    auto u = grace_hours == 0
                 ? tx.Exec("UPDATE api_keys SET revoked_at = ?, rolled_to = ? WHERE id = ?",
                           {now, k->id, id})
                 : tx.Exec("UPDATE api_keys SET expires_at = ?, rolled_to = ? WHERE id = ?",
                           {old_expiry, k->id, id});
    if (!u) return u.error();
    auto obj = LoadKeyJson(tx, p, k->id, now);
    if (!obj) return obj.error();
    json::object o = std::move(**obj);
    o["secret"] = k->secret;
    o["rolled_from"] = id;
    out.body = json::serialize(o);
    json::object details{{"new_key", k->id}, {"grace_period_hours", grace_hours}};
    return audit::Append(tx, AuditOf(actor, p, "api_key.roll", id, json::serialize(details)), now);
  });
  if (!w) co_return w.error();
  Forget(id);  // the old key's cached entry would not know its new expiry
  co_return out;
}

Task<Result<ApiResult>> ApiKeyService::RevokeKey(const Principal& p, std::string id, Actor actor) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    KeyOptions target;
    auto old = LoadKeyJson(tx, p, id, now, &target);
    if (!old) return old.error();
    if (!*old) return Error::NotFound("No such API key: '" + id + "'", "id");
    if (p.key_type != "secret" && target.type == "secret") {
      return Error{ErrorType::kPermission,
                   "permission_denied",
                   "Only a secret key can revoke a secret key.",
                   {},
                   {}};
    }
    auto u =
        tx.Exec("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", {now, id});
    if (!u) return u.error();
    auto obj = LoadKeyJson(tx, p, id, now);
    if (!obj) return obj.error();
    out.body = json::serialize(**obj);
    return audit::Append(tx, AuditOf(actor, p, "api_key.revoke", id), now);
  });
  if (!w) co_return w.error();
  Forget(id);  // revoked on this node the moment the revocation committed
  co_return out;
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
