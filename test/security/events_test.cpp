// security::Record writes the row, the audit record and the merchant's `security.alert`
// events in the caller's transaction, and decides containment from the merchant's policy.
#include "lp/security/events.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "lp/audit/audit.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace lp::security {
namespace {

namespace json = boost::json;
constexpr int64_t kNow = 1'700'000'000'000'000;

class SecurityEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::OpenTempStore(dir_);
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->WriteSync([](store::Tx& tx) -> Result<void> {
      for (const char* id : {"mer_a", "mer_b"}) {
        auto r = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?, 'M', 0)", {id});
        if (!r) return r.error();
      }
      auto p = tx.Exec(
          "INSERT INTO security_policies (merchant_id, updated, updated_by, auto_block_ip, "
          "auto_revoke_key) VALUES ('mer_b', 0, 'usr_x', 1, 1)");
      if (!p) return p.error();
      return {};
    }));
  }
  void TearDown() override { store_->Close(); }

  std::vector<StoredEvent> RecordSync(const Event& e) {
    std::vector<StoredEvent> out;
    auto r = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
      auto s = Record(tx, e, kNow, 3600);
      if (!s) return s.error();
      out = *s;
      return {};
    });
    EXPECT_TRUE(r) << r.error().detail;
    return out;
  }

  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_TRUE(store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      return tx.Query(sql, {}, [&](const store::Row& r) {
        n = r.Int(0);
        return false;
      });
    }));
    return n;
  }

  static Event CardTesting(std::string merchant) {
    Event e;
    e.kind = "card_testing";
    e.merchant_ids = {std::move(merchant)};
    e.mode = Mode::kTest;
    e.subject_type = "ip";
    e.subject = "203.0.113.7";
    e.source_ip = "203.0.113.7";
    e.request_id = "req_a";
    e.api_key_id = "key_a";
    e.details = R"({"reason":"declines","count":10})";
    return e;
  }

  testing::TempDir dir_;
  store::StorePtr store_;
};

TEST_F(SecurityEventsTest, StoredAuditedAndSentToTheMerchantWithoutContainmentByDefault) {
  auto s = RecordSync(CardTesting("mer_a"));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].containment.ip_blocked_until_us);
  EXPECT_FALSE(s[0].containment.revoke_key);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM security_events WHERE merchant_id = 'mer_a'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action = 'security.card_testing' AND "
                  "outcome = 'failure' AND merchant_id = 'mer_a'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'security.alert' AND merchant_id = "
                  "'mer_a' AND mode = 'test'"),
            1);
  auto v = store_->ReadSync([](store::Tx& tx) -> Result<void> {
    auto r = audit::Verify(tx);
    if (!r) return r.error();
    if (!r->ok) return Error::Internal(r->problem);
    return {};
  });
  EXPECT_TRUE(v);
  auto o = json::parse(ToJson(s[0])).as_object();
  EXPECT_EQ(o.at("kind").as_string(), "card_testing");
  EXPECT_EQ(o.at("details").at("count").as_int64(), 10);
  EXPECT_TRUE(o.at("containment").at("ip_blocked_until").is_null());
}

TEST_F(SecurityEventsTest, ThePolicyContainsAndTheContainmentIsAudited) {
  auto s = RecordSync(CardTesting("mer_b"));
  ASSERT_EQ(s.size(), 1u);
  ASSERT_TRUE(s[0].containment.ip_blocked_until_us);
  EXPECT_EQ(*s[0].containment.ip_blocked_until_us, kNow + 3600 * 1'000'000LL);
  EXPECT_TRUE(s[0].containment.revoke_key);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action = 'security.card_testing' AND "
                  "outcome = 'denied'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action = "
                  "'security.containment.ip_blocked' AND target = '203.0.113.7'"),
            1);
  EXPECT_EQ(Count("SELECT key_revoked FROM security_events"), 1);
}

TEST_F(SecurityEventsTest, AnEventOfNoModeAlertsBothModesOfEachMerchant) {
  Event e;
  e.kind = "signin_failure_burst";
  e.merchant_ids = {"mer_a", "mer_b"};
  e.subject_type = "account";
  e.subject = "usr_x";
  e.source_ip = "198.51.100.9";
  auto s = RecordSync(e);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'security.alert'"), 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM security_events"), 2);
  // No API key involved: nothing to revoke, whatever the policy.
  EXPECT_FALSE(s[1].containment.revoke_key);
}

TEST_F(SecurityEventsTest, APlatformEventIsStoredAndAuditedButSentToNobody) {
  Event e;
  e.kind = "signin_failure_burst";
  e.subject_type = "ip";
  e.subject = "198.51.100.9";
  e.source_ip = "198.51.100.9";
  auto s = RecordSync(e);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].merchant_id, "");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action = 'security.signin_failure_burst'"),
            1);
}

TEST_F(SecurityEventsTest, ListIsNewestFirstAndFiltered) {
  RecordSync(CardTesting("mer_a"));
  RecordSync(CardTesting("mer_b"));
  std::vector<StoredEvent> listed;
  ASSERT_TRUE(store_->ReadSync([&](store::Tx& tx) -> Result<void> {
    EventFilter f;
    f.merchant_id = "mer_b";
    auto r = List(tx, f);
    if (!r) return r.error();
    listed = *r;
    return {};
  }));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].merchant_id, "mer_b");
  EXPECT_EQ(listed[0].event.kind, "card_testing");
  EXPECT_TRUE(listed[0].containment.revoke_key);
}

}  // namespace
}  // namespace lp::security
