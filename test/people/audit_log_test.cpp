// The audit log read by people (docs/dashboard-api.md §8, §9): who may read which merchant's
// records, user actors' e-mails, the masking flag, and the export's own `audit.export` record.
#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "fixture.hpp"
#include "lp/people/audit_log_service.hpp"

namespace lp::people::testing {
namespace {

class AuditLogTest : public PeopleTest {
 protected:
  void SetUp() override {
    PeopleTest::SetUp();
    service_ = std::make_unique<AuditLogService>(MakeDeps());
    a_ = NewMerchant("Alpha");
    b_ = NewMerchant("Beta");
  }

  Caller Member(const std::string& email, const std::string& merchant, const std::string& role) {
    NewUser(email, merchant, role);
    SessionGrant g = MustSignIn(email);
    if (g.mfa == MfaState::kEnroll) {
      g = Enrol(g.token.Expose()).session;
    }
    return MustAuth(g.token.Expose());
  }
  Caller Operator(const std::string& email, const std::string& role) {
    NewOperator(email, role);
    SessionGrant g = MustSignIn(email, AccountKind::kOperator);
    Enrolled e = Enrol(g.token.Expose(), AccountKind::kOperator);
    return MustAuth(e.session.token.Expose(), MfaGate::kSatisfied, AccountKind::kOperator);
  }
  void Record(const std::string& merchant, const std::string& actor_type,
              const std::string& actor_id, const std::string& action) {
    auto w = store_->WriteSync([&](store::Tx& tx) {
      return audit::Append(tx,
                           audit::Record{actor_type, actor_id, action, "tgt", merchant, "success",
                                         kIp, "req_x", "{\"k\":\"v\"}"},
                           clock_.NowMicros());
    });
    ASSERT_TRUE(w) << w.error().detail;
  }
  Result<AuditEvents> List(const Caller& c, std::optional<std::string> merchant,
                           audit::QueryFilter f = {}) {
    audit::QueryPage page{100, std::nullopt, std::nullopt};
    return RunTask(service_->List(c, std::move(merchant), std::move(f), page));
  }

  std::unique_ptr<AuditLogService> service_;
  std::string a_, b_;
};

TEST_F(AuditLogTest, OwnerReadsOnlyItsMerchantWithUserEmailsUnmasked) {
  Caller owner = Member("owner@alpha.example", a_, "owner");
  Record(a_, "user", owner.user_id, "api_key.create");
  Record(b_, "api_key", "key_b", "api_key.create");
  audit::QueryFilter spoofed;
  spoofed.merchant_id = b_;  // a merchant route forces its own merchant
  auto r = List(owner, a_, spoofed);
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_FALSE(r->masked);
  ASSERT_FALSE(r->data.empty());
  bool saw_user = false;
  for (const auto& e : r->data) {
    EXPECT_EQ(e.stored.record.merchant_id, a_);
    if (e.stored.record.actor_id == owner.user_id) {
      saw_user = true;
      EXPECT_EQ(e.actor_email, std::optional<std::string>("owner@alpha.example"));
    }
  }
  EXPECT_TRUE(saw_user);
  auto other = List(owner, b_);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, "resource_missing");
}

TEST_F(AuditLogTest, RolesWithoutAuditReadAreRefused) {
  for (const char* role : {"developer", "analyst", "support"}) {
    Caller c = Member(std::string(role) + "@alpha.example", a_, role);
    auto r = List(c, a_);
    ASSERT_FALSE(r) << role;
    EXPECT_EQ(r.error().code, "permission_denied") << role;
  }
  Caller admin = Member("admin@alpha.example", a_, "admin");
  EXPECT_TRUE(List(admin, a_));
}

TEST_F(AuditLogTest, OperatorsNeedAuditReadAndSeeEveryMerchant) {
  Record(a_, "api_key", "key_a", "api_key.create");
  Record(b_, "api_key", "key_b", "api_key.create");
  Caller auditor = Operator("auditor@ops.example", "security_auditor");
  auto all = List(auditor, std::nullopt);
  ASSERT_TRUE(all) << all.error().code;
  EXPECT_FALSE(all->masked);  // security_auditor holds pii:read
  std::set<std::string> merchants;
  for (const auto& e : all->data) {
    merchants.insert(e.stored.record.merchant_id);
  }
  EXPECT_TRUE(merchants.contains(a_) && merchants.contains(b_));
  audit::QueryFilter only_b;
  only_b.merchant_id = b_;
  auto b = List(auditor, std::nullopt, only_b);
  ASSERT_TRUE(b);
  for (const auto& e : b->data) {
    EXPECT_EQ(e.stored.record.merchant_id, b_);
  }
  Caller support = Operator("support@ops.example", "support");
  auto refused = List(support, std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "permission_denied");
}

TEST_F(AuditLogTest, AnExportIsRecordedWithItsFilters) {
  Caller owner = Member("owner@alpha.example", a_, "owner");
  Record(a_, "api_key", "key_a", "api_key.create");
  Record(a_, "api_key", "key_a", "api_key.roll");
  audit::QueryFilter f;
  f.action_prefix = "api_key.";
  f.outcome = "success";
  auto r = RunTask(service_->Export(owner, a_, f, "csv", Ctx("req_export")));
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(r->data.size(), 2u);
  auto rows = AuditRows("audit.export");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor_type, "user");
  EXPECT_EQ(rows[0].actor_id, owner.user_id);
  EXPECT_EQ(rows[0].merchant_id, a_);
  EXPECT_EQ(rows[0].request_id, "req_export");
  auto details = boost::json::parse(rows[0].details).as_object();
  EXPECT_EQ(details.at("format").as_string(), "csv");
  EXPECT_EQ(details.at("records").as_int64(), 2);
  const auto& filters = details.at("filters").as_object();
  EXPECT_EQ(filters.at("action").as_string(), "api_key.*");
  EXPECT_EQ(filters.at("outcome").as_string(), "success");
  EXPECT_EQ(filters.at("merchant").as_string(), a_);
  // A refused export records nothing.
  Caller analyst = Member("analyst@alpha.example", a_, "analyst");
  EXPECT_FALSE(RunTask(service_->Export(analyst, a_, {}, "jsonl", Ctx())));
  EXPECT_EQ(AuditRows("audit.export").size(), 1u);
}

}  // namespace
}  // namespace lp::people::testing
