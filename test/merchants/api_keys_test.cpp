// ApiKeyService against a real SQLite store under a fake clock: authentication, rolling with a
// grace period, revocation (at once on this node, within the cache TTL elsewhere), expiry,
// scopes, the audit trail and last-use tracking.
#include "lp/merchants/api_keys.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <chrono>

#include "api/render.hpp"
#include "lp/audit/audit.hpp"
#include "lp/crypto/hash.hpp"
#include "support/run_task.hpp"
#include "support/temp_store.hpp"

namespace lp::merchants {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

using lp::testing::RunTask;

struct Key {
  std::string id;
  std::string secret;
};

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::OpenTempStore(dir_, 2, "keys.db");
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
    keys_ =
        std::make_unique<ApiKeyService>(*store_, Secret<std::string>(std::string(32, 'p')), clock_);
    merchant_ = NewMerchant("Acme");
  }
  void TearDown() override {
    keys_.reset();
    if (store_) store_->Close();
    store_.reset();
  }

  std::string NewMerchant(const std::string& name) {
    std::string id;
    auto r = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
      auto m = CreateMerchant(tx, name, clock_);
      if (!m) return m.error();
      id = *m;
      return {};
    });
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
    return id;
  }

  Key MakeKey(KeyOptions o = {}, const std::string& merchant = {}) {
    Key k;
    auto r = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
      auto issued = keys_->Create(tx, merchant.empty() ? merchant_ : merchant, Mode::kTest, o);
      if (!issued) return issued.error();
      k = {issued->id, issued->secret};
      return {};
    });
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
    return k;
  }

  Result<Principal> Auth(const std::string& secret, ApiKeyService* svc = nullptr) {
    const std::string header = "Bearer " + secret;
    return RunTask((svc ? *svc : *keys_).Authenticate(header));
  }
  Principal MustAuth(const std::string& secret) {
    auto p = Auth(secret);
    EXPECT_TRUE(p) << "key refused: " << (p ? "" : p.error().code);
    return p ? *p : Principal{};
  }
  void ExpectRefused(const std::string& secret, ApiKeyService* svc = nullptr,
                     const char* why = "") {
    auto p = Auth(secret, svc);
    ASSERT_FALSE(p) << "key accepted: " << why;
    EXPECT_EQ(p.error().type, ErrorType::kAuthentication) << why;
    EXPECT_EQ(p.error().code, "invalid_api_key") << why;
  }

  Actor Act(const Principal& p) { return Actor{"api_key", p.key_id, "203.0.113.9", "req_test"}; }

  json::object Roll(const Principal& p, const std::string& id, int64_t grace) {
    auto r = RunTask(keys_->RollKey(p, id, grace, std::nullopt, Act(p)));
    EXPECT_TRUE(r) << (r ? "" : r.error().code + ": " + r.error().message);
    if (!r) return {};
    return json::parse(api::RenderNewKey(*r, clock_.NowMicros())).as_object();
  }

  json::object KeyById(const Principal& p, const std::string& id) {
    ListParams lp;
    lp.limit = 100;
    auto r = RunTask(keys_->ListKeys(p, lp));
    EXPECT_TRUE(r);
    if (!r) return {};
    const json::value doc = json::parse(api::RenderApiKeys(*r, clock_.NowMicros()));
    for (const auto& v : doc.at("data").as_array()) {
      if (v.at("id").as_string() == id) return v.as_object();
    }
    ADD_FAILURE() << "key " << id << " not listed";
    return {};
  }

  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      return tx.Query(sql, {}, [&](const store::Row& row) {
        n = row.Int(0);
        return false;
      });
    });
    EXPECT_TRUE(r);
    return n;
  }

  static std::string Str(const json::object& o, const char* k) {
    auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }

  testing::TempDir dir_{"lp_keys"};
  FakeClock clock_;
  store::StorePtr store_;
  std::unique_ptr<ApiKeyService> keys_;
  std::string merchant_;
};

// ---------------------------------------------------------------------------------- basics

TEST_F(ApiKeysTest, CreatedKeyAuthenticates) {
  Key k = MakeKey();
  EXPECT_TRUE(k.id.starts_with("key_")) << k.id;
  EXPECT_TRUE(k.secret.starts_with("sk_test_")) << k.secret;
  auto p = Auth(k.secret);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->merchant_id, merchant_);
  EXPECT_EQ(p->key_id, k.id);
  EXPECT_EQ(p->key_type, "secret");
  EXPECT_EQ(p->mode, Mode::kTest);
  EXPECT_TRUE(p->scopes.empty());
  EXPECT_TRUE(p->allowed_cidrs.empty());
  EXPECT_FALSE(p->rate_limit.has_value());
  // The scheme is case-insensitive.
  EXPECT_TRUE(RunTask(keys_->Authenticate("bearer " + k.secret)));
  EXPECT_TRUE(RunTask(keys_->Authenticate("BEARER " + k.secret)));
}

TEST_F(ApiKeysTest, KeysAreDistinctAndUnguessable) {
  Key a = MakeKey(), b = MakeKey();
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.secret, b.secret);
  EXPECT_GE(a.secret.size(), std::string("sk_test_").size() + 32);
}

TEST_F(ApiKeysTest, AnythingElseIsOne401) {
  Key k = MakeKey();
  for (std::string h :
       {std::string(""), std::string("Bearer"), std::string("Bearer "), "Basic " + k.secret,
        k.secret, "Bearer  " + k.secret, "Bearer " + k.secret + "x",
        "Bearer " + k.secret.substr(0, k.secret.size() - 1), "Bearer xk_test_" + k.secret.substr(8),
        "Bearer " + std::string(400, 'a'), "Bearer sk_test_" + std::string(300, 'a')}) {
    auto p = RunTask(keys_->Authenticate(h));
    ASSERT_FALSE(p) << h;
    EXPECT_EQ(p.error().type, ErrorType::kAuthentication);
    EXPECT_EQ(p.error().code, "invalid_api_key");
    EXPECT_EQ(p.error().message,
              "Invalid API key provided. Send a valid key as 'Authorization: Bearer <key>'.");
  }
}

TEST_F(ApiKeysTest, KeyIsStoredOnlyAsAKeyedHash) {
  Key k = MakeKey();
  EXPECT_EQ(keys_->HashKey(k.secret),
            crypto::Hex(crypto::HmacSha256(std::string(32, 'p'), k.secret)));
  std::string hash, last4, prefix;
  int64_t columns_with_secret = -1;
  auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
    auto q = tx.Query("SELECT hash, last4, prefix FROM api_keys WHERE id = ?", {k.id},
                      [&](const store::Row& row) {
                        hash = row.Text(0);
                        last4 = row.Text(1);
                        prefix = row.Text(2);
                        return false;
                      });
    if (!q) return q;
    return tx.Query(
        "SELECT COUNT(*) FROM api_keys WHERE instr(id || coalesce(hash,'') || coalesce(scopes,'') "
        "|| coalesce(allowed_cidrs,'') || prefix || last4, ?) > 0",
        {k.secret.substr(8, 16)}, [&](const store::Row& row) {
          columns_with_secret = row.Int(0);
          return false;
        });
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(hash, keys_->HashKey(k.secret));
  EXPECT_EQ(last4, k.secret.substr(k.secret.size() - 4));
  EXPECT_EQ(prefix, "sk_test_");
  EXPECT_EQ(columns_with_secret, 0);
  // A different pepper does not accept the key.
  ApiKeyService other(*store_, Secret<std::string>(std::string(32, 'q')), clock_);
  ExpectRefused(k.secret, &other, "another pepper");
}

// ---------------------------------------------------------------------------------- rolling

TEST_F(ApiKeysTest, RollWithGraceBothWorkUntilTheGraceEnds) {
  Key k = MakeKey();
  Principal p = MustAuth(k.secret);
  auto rolled = Roll(p, k.id, 24);
  const std::string new_id = Str(rolled, "id");
  const std::string new_secret = Str(rolled, "secret");
  EXPECT_NE(new_id, k.id);
  EXPECT_TRUE(new_id.starts_with("key_"));
  EXPECT_TRUE(new_secret.starts_with("sk_test_"));
  EXPECT_NE(new_secret, k.secret);
  EXPECT_EQ(Str(rolled, "rolled_from"), k.id);
  EXPECT_EQ(Str(rolled, "status"), "active");

  MustAuth(k.secret);
  auto np = MustAuth(new_secret);
  EXPECT_EQ(np.key_id, new_id);
  EXPECT_EQ(np.merchant_id, merchant_);

  auto old_json = KeyById(np, k.id);
  EXPECT_EQ(Str(old_json, "status"), "rolling");
  EXPECT_EQ(Str(old_json, "rolled_to"), new_id);
  EXPECT_EQ(old_json.at("expires_at").as_int64(), clock_.NowSeconds() + 24 * 3600);

  clock_.Advance(24h - 1s);
  MustAuth(k.secret);
  clock_.Advance(2s);  // 24 h + 1 s after the roll
  ExpectRefused(k.secret, nullptr, "old key after its grace");
  MustAuth(new_secret);
  EXPECT_EQ(Str(KeyById(np, k.id), "status"), "expired");
  EXPECT_EQ(Str(KeyById(np, new_id), "status"), "active");
}

TEST_F(ApiKeysTest, RollGraceEndsEvenWhenTheOldKeyIsCached) {
  Key k = MakeKey();
  Principal p = MustAuth(k.secret);
  auto rolled = Roll(p, k.id, 1);
  clock_.Advance(1h - 2s);
  MustAuth(k.secret);  // cached now, with the grace end as its expiry
  clock_.Advance(3s);  // within the cache TTL, past the grace
  ExpectRefused(k.secret, nullptr, "cached old key after its grace");
}

TEST_F(ApiKeysTest, RollWithGraceZeroRefusesTheOldKeyAtOnce) {
  Key k = MakeKey();
  Principal p = MustAuth(k.secret);  // also puts it in the cache
  auto rolled = Roll(p, k.id, 0);
  ExpectRefused(k.secret, nullptr, "old key after a roll with no grace");
  auto np = MustAuth(Str(rolled, "secret"));
  EXPECT_EQ(Str(KeyById(np, k.id), "status"), "revoked");
}

TEST_F(ApiKeysTest, RollKeepsTypeScopesAndAllowlist) {
  KeyOptions o;
  o.type = "restricted";
  o.scopes = {"payments:read", "api_keys:write"};
  o.allowed_cidrs = {"10.0.0.0/8", "2001:db8::/32"};
  Key k = MakeKey(o);
  Principal admin = MustAuth(MakeKey().secret);
  auto rolled = Roll(admin, k.id, 0);
  auto np = MustAuth(Str(rolled, "secret"));
  EXPECT_TRUE(Str(rolled, "secret").starts_with("rk_test_"));
  EXPECT_EQ(np.key_type, "restricted");
  EXPECT_EQ(np.scopes, o.scopes);
  EXPECT_EQ(np.allowed_cidrs, o.allowed_cidrs);
}

TEST_F(ApiKeysTest, OnlyAnActiveKeyCanBeRolled) {
  Key k = MakeKey();
  Principal p = MustAuth(MakeKey().secret);
  Roll(p, k.id, 24);
  auto again = RunTask(keys_->RollKey(p, k.id, 24, std::nullopt, Act(p)));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().type, ErrorType::kConflict);
  EXPECT_EQ(again.error().code, "invalid_state");
  Key r = MakeKey();
  ASSERT_TRUE(RunTask(keys_->RevokeKey(p, r.id, Act(p))));
  auto revoked = RunTask(keys_->RollKey(p, r.id, 24, std::nullopt, Act(p)));
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, "invalid_state");
}

TEST_F(ApiKeysTest, AnotherMerchantsKeyIsNotFound) {
  const std::string other = NewMerchant("Other");
  Key theirs = MakeKey({}, other);
  Principal me = MustAuth(MakeKey().secret);
  auto roll = RunTask(keys_->RollKey(me, theirs.id, 0, std::nullopt, Act(me)));
  ASSERT_FALSE(roll);
  EXPECT_EQ(roll.error().type, ErrorType::kNotFound);
  auto rev = RunTask(keys_->RevokeKey(me, theirs.id, Act(me)));
  ASSERT_FALSE(rev);
  EXPECT_EQ(rev.error().type, ErrorType::kNotFound);
  MustAuth(theirs.secret);
  ListParams lp;
  auto list = RunTask(keys_->ListKeys(me, lp));
  ASSERT_TRUE(list);
  EXPECT_EQ(api::RenderApiKeys(*list, clock_.NowMicros()).find(theirs.id), std::string::npos);
}

// ---------------------------------------------------------------------------------- revocation

TEST_F(ApiKeysTest, RevokeIsImmediateOnThisNode) {
  Key k = MakeKey();
  Principal admin = MustAuth(MakeKey().secret);
  MustAuth(k.secret);  // cached
  auto r = RunTask(keys_->RevokeKey(admin, k.id, Act(admin)));
  ASSERT_TRUE(r) << r.error().code;
  auto body = json::parse(api::RenderApiKey(*r, clock_.NowMicros())).as_object();
  EXPECT_EQ(Str(body, "id"), k.id);
  EXPECT_EQ(Str(body, "status"), "revoked");
  EXPECT_EQ(body.at("revoked_at").as_int64(), clock_.NowSeconds());
  EXPECT_EQ(body.if_contains("secret"), nullptr);
  ExpectRefused(k.secret, nullptr, "revoked key, same node, no clock advance");
  // Revoking twice keeps the first revocation time.
  clock_.Advance(10s);
  auto again = RunTask(keys_->RevokeKey(admin, k.id, Act(admin)));
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(api::RenderApiKey(*again, clock_.NowMicros())).at("revoked_at").as_int64(),
            clock_.NowSeconds() - 10);
}

TEST_F(ApiKeysTest, RevokeReachesAnotherNodeWithinTheCacheTtl) {
  ApiKeyService node2(*store_, Secret<std::string>(std::string(32, 'p')), clock_);
  Key k = MakeKey();
  Principal admin = MustAuth(MakeKey().secret);
  ASSERT_TRUE(Auth(k.secret, &node2));  // node 2 caches the key
  ASSERT_TRUE(RunTask(keys_->RevokeKey(admin, k.id, Act(admin))));
  ExpectRefused(k.secret, nullptr, "revoking node");
  // Node 2 may serve its cached answer for at most the TTL.
  clock_.Advance(std::chrono::microseconds(ApiKeyService::kCacheTtlUs));
  ExpectRefused(k.secret, &node2, "other node after the cache TTL");
}

TEST_F(ApiKeysTest, RevokedKeyCannotAuthenticateAfterCacheExpiryEither) {
  Key k = MakeKey();
  Principal admin = MustAuth(MakeKey().secret);
  ASSERT_TRUE(RunTask(keys_->RevokeKey(admin, k.id, Act(admin))));
  clock_.Advance(1h);
  ExpectRefused(k.secret);
}

// ---------------------------------------------------------------------------------- expiry

TEST_F(ApiKeysTest, ExpiredKeyIsRefusedAfterItsTime) {
  KeyOptions o;
  o.expires_at_us = clock_.NowMicros() + 3'600'000'000;
  Key k = MakeKey(o);
  MustAuth(k.secret);
  clock_.Advance(1h - 2s);
  MustAuth(k.secret);  // cached, with its expiry
  clock_.Advance(2s);  // exactly the expiry, within the cache TTL
  ExpectRefused(k.secret, nullptr, "at expires_at");
  clock_.Advance(10s);
  ExpectRefused(k.secret, nullptr, "after expires_at");
  Principal admin = MustAuth(MakeKey().secret);
  EXPECT_EQ(Str(KeyById(admin, k.id), "status"), "expired");
}

TEST_F(ApiKeysTest, RollingAnExpiringKeyNeverExtendsIt) {
  KeyOptions o;
  o.expires_at_us = clock_.NowMicros() + 3'600'000'000;  // 1 h
  Key k = MakeKey(o);
  Principal admin = MustAuth(MakeKey().secret);
  Roll(admin, k.id, 24);
  clock_.Advance(1h);
  ExpectRefused(k.secret, nullptr, "old key past its own expiry, inside the grace");
}

// ---------------------------------------------------------------------------------- scopes

TEST_F(ApiKeysTest, RestrictedKeyGrantsOnlyItsScopes) {
  KeyOptions o;
  o.type = "restricted";
  o.scopes = {"payments:write", "events:read"};
  Key k = MakeKey(o);
  EXPECT_TRUE(k.secret.starts_with("rk_test_")) << k.secret;
  Principal p = MustAuth(k.secret);
  EXPECT_EQ(p.key_type, "restricted");
  EXPECT_EQ(p.scopes, o.scopes);
  EXPECT_TRUE(Grants(p, "payments:write"));
  EXPECT_TRUE(Grants(p, "payments:read"));  // write implies read
  EXPECT_TRUE(Grants(p, "events:read"));
  EXPECT_TRUE(Grants(p, "none"));
  for (const auto& s : KnownScopes()) {
    if (s == "payments:write" || s == "payments:read" || s == "events:read") continue;
    EXPECT_FALSE(Grants(p, s)) << s;
  }
  EXPECT_FALSE(Grants(p, "events:write"));
  EXPECT_FALSE(Grants(p, "payments"));
  EXPECT_FALSE(Grants(p, ""));

  KeyOptions ro;
  ro.type = "restricted";
  ro.scopes = {"connectors:read"};
  Principal r = MustAuth(MakeKey(ro).secret);
  EXPECT_TRUE(Grants(r, "connectors:read"));
  EXPECT_FALSE(Grants(r, "connectors:write"));  // read does not imply write
  EXPECT_FALSE(Grants(r, "payments:read"));
}

TEST_F(ApiKeysTest, SecretKeyGrantsEverything) {
  Principal p = MustAuth(MakeKey().secret);
  for (const auto& s : KnownScopes()) EXPECT_TRUE(Grants(p, s)) << s;
}

TEST_F(ApiKeysTest, PublishableKeyGrantsNothing) {
  KeyOptions o;
  o.type = "publishable";
  Key k = MakeKey(o);
  EXPECT_TRUE(k.secret.starts_with("pk_test_")) << k.secret;
  Principal p = MustAuth(k.secret);
  EXPECT_EQ(p.key_type, "publishable");
  for (const auto& s : KnownScopes()) EXPECT_FALSE(Grants(p, s)) << s;
  EXPECT_TRUE(Grants(p, "none"));
}

TEST_F(ApiKeysTest, RestrictedKeyCannotRollOrRevokeASecretKey) {
  Key secret = MakeKey();
  KeyOptions o;
  o.type = "restricted";
  o.scopes = {"api_keys:write"};
  Principal rk = MustAuth(MakeKey(o).secret);
  const int64_t audits = Count("SELECT COUNT(*) FROM audit_log");

  auto roll = RunTask(keys_->RollKey(rk, secret.id, 0, std::nullopt, Act(rk)));
  ASSERT_FALSE(roll);
  EXPECT_EQ(roll.error().type, ErrorType::kPermission);
  EXPECT_EQ(roll.error().code, "permission_denied");
  auto rev = RunTask(keys_->RevokeKey(rk, secret.id, Act(rk)));
  ASSERT_FALSE(rev);
  EXPECT_EQ(rev.error().type, ErrorType::kPermission);
  EXPECT_EQ(rev.error().code, "permission_denied");

  MustAuth(secret.secret);
  EXPECT_EQ(Str(KeyById(rk, secret.id), "status"), "active");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM api_keys WHERE merchant_id = '" + merchant_ + "'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), audits);
}

TEST_F(ApiKeysTest, RestrictedKeyCanRollAndRevokeRestrictedKeysWithinItsScopes) {
  KeyOptions admin_o;
  admin_o.type = "restricted";
  admin_o.scopes = {"api_keys:write", "payments:write"};
  Principal rk = MustAuth(MakeKey(admin_o).secret);
  KeyOptions o;
  o.type = "restricted";
  o.scopes = {"payments:read"};
  Key target = MakeKey(o);
  auto rolled = Roll(rk, target.id, 0);
  ExpectRefused(target.secret);
  auto np = MustAuth(Str(rolled, "secret"));
  ASSERT_TRUE(RunTask(keys_->RevokeKey(rk, np.key_id, Act(rk))));
  ExpectRefused(Str(rolled, "secret"));
}

// A restricted key "cannot mint a key stronger than itself" (CreateApiKey refuses scopes the
// caller lacks); rolling someone else's stronger restricted key must not be a way around that.
TEST_F(ApiKeysTest, RestrictedKeyCannotRollAKeyWithScopesItLacks) {
  KeyOptions weak_o;
  weak_o.type = "restricted";
  weak_o.scopes = {"api_keys:write"};
  Principal weak = MustAuth(MakeKey(weak_o).secret);
  KeyOptions strong_o;
  strong_o.type = "restricted";
  strong_o.scopes = {"payments:write", "refunds:write"};
  Key strong = MakeKey(strong_o);
  auto roll = RunTask(keys_->RollKey(weak, strong.id, 24, std::nullopt, Act(weak)));
  ASSERT_FALSE(roll) << "a restricted key holding only api_keys:write obtained a new key with "
                        "payments:write + refunds:write by rolling: "
                     << roll->secret;
  EXPECT_EQ(roll.error().type, ErrorType::kPermission);
}

TEST_F(ApiKeysTest, RestrictedKeyCannotRevokeAKeyWithScopesItLacks) {
  KeyOptions weak_o;
  weak_o.type = "restricted";
  weak_o.scopes = {"api_keys:write", "payments:read"};
  Principal weak = MustAuth(MakeKey(weak_o).secret);
  KeyOptions strong_o;
  strong_o.type = "restricted";
  strong_o.scopes = {"payments:write"};
  Key strong = MakeKey(strong_o);
  auto revoke = RunTask(keys_->RevokeKey(weak, strong.id, Act(weak)));
  ASSERT_FALSE(revoke);
  EXPECT_EQ(revoke.error().type, ErrorType::kPermission);
  MustAuth(strong.secret);  // still works
}

TEST(KeyManagementRule, TheGrantsNeededFollowTheTargetKey) {
  EXPECT_EQ(GrantsToManage("secret", {}),
            (std::vector<std::string>{"api_keys:write", std::string(kSecretKeyGrant)}));
  EXPECT_EQ(GrantsToManage("restricted", {"payments:write", "events:read"}),
            (std::vector<std::string>{"api_keys:write", "payments:write", "events:read"}));
  EXPECT_EQ(GrantsToManage("publishable", {}), (std::vector<std::string>{"api_keys:write"}));
}

TEST(KeyManagementRule, OneRuleForCreateRollAndRevoke) {
  Principal secret{"mer_1", Mode::kTest, "key_s", "secret", {}, {}, std::nullopt};
  Principal rk{"mer_1", Mode::kTest, "key_r", "restricted", {"api_keys:write", "payments:write"},
               {},      std::nullopt};
  Principal reader{"mer_1", Mode::kTest, "key_q", "restricted", {"payments:write"},
                   {},      std::nullopt};
  struct Row {
    const Principal* caller;
    std::string type;
    std::vector<std::string> scopes;
    bool allowed;
  } rows[] = {
      {&secret, "secret", {}, true},
      {&secret, "restricted", {"refunds:write"}, true},
      {&rk, "secret", {}, false},
      {&rk, "publishable", {}, true},
      {&rk, "restricted", {"payments:read"}, true},  // :write includes :read
      {&rk, "restricted", {"payments:write"}, true},
      {&rk, "restricted", {"payments:write", "refunds:write"}, false},
      {&rk, "restricted", {"api_keys:write"}, true},
      {&reader, "publishable", {}, false},  // lacks api_keys:write
  };
  for (const auto& row : rows) {
    for (std::string_view verb : {"create", "roll", "revoke"}) {
      auto r = CheckMayManage(*row.caller, verb, row.type, row.scopes);
      EXPECT_EQ(static_cast<bool>(r), row.allowed)
          << row.caller->key_type << " " << verb << " " << row.type << " "
          << ::testing::PrintToString(row.scopes);
      if (!r) {
        EXPECT_EQ(r.error().type, ErrorType::kPermission);
      }
    }
  }
  // The secret-key grant can never be held by a restricted key, whatever its scopes.
  EXPECT_FALSE(Grants(rk, kSecretKeyGrant));
  EXPECT_TRUE(Grants(secret, kSecretKeyGrant));
}

// ---------------------------------------------------------------------------------- audit

TEST_F(ApiKeysTest, CreateRollRevokeAreAudited) {
  Principal admin = MustAuth(MakeKey().secret);
  KeyOptions o;
  o.type = "restricted";
  o.scopes = {"payments:read"};
  auto created = RunTask(keys_->CreateKey(admin, o, Act(admin)));
  ASSERT_TRUE(created);
  auto cj = json::parse(api::RenderNewKey(*created, clock_.NowMicros())).as_object();
  const std::string id = Str(cj, "id");
  EXPECT_TRUE(Str(cj, "secret").starts_with("rk_test_"));
  MustAuth(Str(cj, "secret"));
  auto rolled = Roll(admin, id, 24);
  const std::string new_id = Str(rolled, "id");
  ASSERT_TRUE(RunTask(keys_->RevokeKey(admin, new_id, Act(admin))));

  struct Row {
    std::string action, target, actor_id, outcome, ip, req, merchant, details;
  };
  std::vector<Row> rows;
  auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
    return tx.Query(
        "SELECT action, target, actor_id, outcome, source_ip, request_id, merchant_id, details "
        "FROM audit_log ORDER BY seq",
        {}, [&](const store::Row& row) {
          rows.push_back({row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4),
                          row.Text(5), row.Text(6), row.Text(7)});
          return true;
        });
  });
  ASSERT_TRUE(r);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].action, "api_key.create");
  EXPECT_EQ(rows[0].target, id);
  EXPECT_EQ(rows[1].action, "api_key.roll");
  EXPECT_EQ(rows[1].target, id);
  EXPECT_NE(rows[1].details.find(new_id), std::string::npos) << rows[1].details;
  EXPECT_EQ(rows[2].action, "api_key.revoke");
  EXPECT_EQ(rows[2].target, new_id);
  for (const auto& row : rows) {
    EXPECT_EQ(row.actor_id, admin.key_id);
    EXPECT_EQ(row.outcome, "success");
    EXPECT_EQ(row.ip, "203.0.113.9");
    EXPECT_EQ(row.req, "req_test");
    EXPECT_EQ(row.merchant, merchant_);
    EXPECT_EQ(row.details.find("_test_"), std::string::npos) << "a key in the audit details";
  }
  auto v = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
    auto rep = audit::Verify(tx);
    if (!rep) return rep.error();
    EXPECT_TRUE(rep->ok) << rep->problem;
    EXPECT_EQ(rep->records, 3);
    return {};
  });
  EXPECT_TRUE(v);
}

// ---------------------------------------------------------------------------------- listing

TEST_F(ApiKeysTest, ListShowsMetadataButNeverTheSecret) {
  KeyOptions o;
  o.type = "restricted";
  o.scopes = {"payments:read"};
  o.allowed_cidrs = {"10.0.0.0/8"};
  Key k = MakeKey(o);
  Principal admin = MustAuth(MakeKey().secret);
  ListParams lp;
  auto r = RunTask(keys_->ListKeys(admin, lp));
  ASSERT_TRUE(r);
  EXPECT_EQ(api::RenderApiKeys(*r, clock_.NowMicros()).find(k.secret), std::string::npos);
  EXPECT_EQ(api::RenderApiKeys(*r, clock_.NowMicros()).find("\"secret\":"), std::string::npos);
  auto kj = KeyById(admin, k.id);
  EXPECT_EQ(Str(kj, "object"), "api_key");
  EXPECT_EQ(Str(kj, "type"), "restricted");
  EXPECT_EQ(Str(kj, "prefix"), "rk_test_");
  EXPECT_EQ(Str(kj, "last4"), k.secret.substr(k.secret.size() - 4));
  EXPECT_EQ(json::serialize(kj.at("scopes")), "[\"payments:read\"]");
  EXPECT_EQ(json::serialize(kj.at("allowed_cidrs")), "[\"10.0.0.0/8\"]");
  EXPECT_EQ(kj.at("created").as_int64(), clock_.NowSeconds());
  EXPECT_TRUE(kj.at("last_used_at").is_null());
  EXPECT_TRUE(kj.at("last_used_ip").is_null());
  EXPECT_FALSE(kj.at("livemode").as_bool());
}

TEST_F(ApiKeysTest, TouchRecordsLastUseAtMostOnceAMinutePerAddress) {
  Key k = MakeKey();
  Principal p = MustAuth(k.secret);
  auto flush = [&] {  // Touch writes asynchronously; a later write commits after it
    ASSERT_TRUE(store_->WriteSync([](store::Tx&) -> Result<void> { return {}; }));
  };
  const int64_t t0 = clock_.NowSeconds();
  keys_->Touch(p, "203.0.113.1");
  flush();
  auto kj = KeyById(p, k.id);
  EXPECT_EQ(kj.at("last_used_at").as_int64(), t0);
  EXPECT_EQ(Str(kj, "last_used_ip"), "203.0.113.1");

  clock_.Advance(10s);
  keys_->Touch(p, "203.0.113.1");  // same address within a minute: not written
  flush();
  EXPECT_EQ(KeyById(p, k.id).at("last_used_at").as_int64(), t0);

  keys_->Touch(p, "2001:db8::1");  // a new address is written at once
  flush();
  kj = KeyById(p, k.id);
  EXPECT_EQ(kj.at("last_used_at").as_int64(), t0 + 10);
  EXPECT_EQ(Str(kj, "last_used_ip"), "2001:db8::1");

  clock_.Advance(61s);
  keys_->Touch(p, "2001:db8::1");
  flush();
  EXPECT_EQ(KeyById(p, k.id).at("last_used_at").as_int64(), t0 + 71);
}

TEST_F(ApiKeysTest, MerchantRateLimitOverrideReachesThePrincipal) {
  Key k = MakeKey();
  ASSERT_TRUE(store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec("UPDATE merchants SET rate_limit_per_key = 7.5 WHERE id = ?", {merchant_});
    if (!r) return r.error();
    return {};
  }));
  auto p = MustAuth(k.secret);
  ASSERT_TRUE(p.rate_limit.has_value());
  EXPECT_DOUBLE_EQ(*p.rate_limit, 7.5);
}

}  // namespace
}  // namespace lp::merchants
