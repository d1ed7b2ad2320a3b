// Incident containment (lp::incident): who may act (merchants:write, step-up), the reason, the
// changes (keys, sessions, connector accounts) and their audit records in the same transaction.
#include "lp/incident/containment.hpp"

#include "lp/merchants/api_keys.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "people/fixture.hpp"

namespace lp::people::testing {
namespace {

using incident::Action;

class ContainmentTest : public PeopleTest {
 protected:
  void SetUp() override {
    PeopleTest::SetUp();
    containment_ = std::make_unique<incident::ContainmentService>(*store_, *keyring_, clock_);
  }

  Caller SignedInOperator(const std::string& email, const std::string& role) {
    NewOperator(email, role);
    SessionGrant g = MustSignIn(email, AccountKind::kOperator);
    Enrolled e = Enrol(g.token.Expose(), AccountKind::kOperator);
    operator_token_ = e.session.token.Expose();
    return MustAuth(operator_token_, MfaGate::kSatisfied, AccountKind::kOperator);
  }

  // A merchant made as `liasonpay merchant create` does (with its sandbox account).
  std::string Merchant(const std::string& name) {
    std::string id;
    auto w = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
      auto m = merchants::CreateMerchant(tx, name, clock_);
      if (!m) return m.error();
      id = *m;
      return {};
    });
    EXPECT_TRUE(w);
    return id;
  }

  Result<incident::Outcome> Run(const Caller& c, Action action, const std::string& target,
                                std::string reason = "INC-1: drill") {
    return RunTask(containment_->Run(c, action, target, std::move(reason), Ctx()));
  }

  std::unique_ptr<incident::ContainmentService> containment_;
  std::string operator_token_;
};

TEST_F(ContainmentTest, OnlyAPlatformAdminWithARecentStepUpActsAndAReasonIsRequired) {
  const std::string m = Merchant("Acme");
  Caller support = SignedInOperator("support@example.com", "support");
  Caller auditor = SignedInOperator("audit@example.com", "security_auditor");
  for (const Caller* c : {&support, &auditor}) {
    for (Action a :
         {Action::kRevokeApiKeys, Action::kRevokeMerchantSessions, Action::kRotateWebhookSecrets}) {
      auto r = Run(*c, a, m);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, "permission_denied");
    }
  }
  Caller admin = SignedInOperator("ops@example.com", "platform_admin");
  auto empty = Run(admin, Action::kRevokeApiKeys, m, "");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().param, "reason");
  auto long_reason = Run(admin, Action::kRevokeApiKeys, m, std::string(501, 'x'));
  ASSERT_FALSE(long_reason);
  EXPECT_EQ(long_reason.error().param, "reason");
  // 500 characters of four bytes each are within the limit (characters, not bytes).
  std::string emoji;
  for (int i = 0; i < 500; ++i) emoji += "\xF0\x9F\x94\x92";
  EXPECT_TRUE(incident::CheckReason(emoji));
  auto missing = Run(admin, Action::kRevokeApiKeys, "mer_nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().type, ErrorType::kNotFound);
  // Step-up: 5 minutes after the last authentication it is required again.
  clock_.Advance(std::chrono::minutes(6));
  Caller stale = MustAuth(operator_token_, MfaGate::kSatisfied, AccountKind::kOperator);
  auto r = Run(stale, Action::kRevokeApiKeys, m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "reauthentication_required");
  EXPECT_TRUE(AuditRows("incident.api_keys_revoke").empty());
}

TEST_F(ContainmentTest, RevokesEveryKeyOfTheMerchantInBothModesAndAuditsIt) {
  const std::string m = Merchant("Acme");
  const std::string other = Merchant("Beta");
  merchants::ApiKeyService keys(*store_, Secret<std::string>(std::string(32, 'p')), clock_);
  std::vector<std::string> secrets;
  std::string other_secret;
  auto w = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    for (Mode mode : {Mode::kTest, Mode::kLive, Mode::kLive}) {
      auto k = keys.Create(tx, m, mode, {});
      if (!k) return k.error();
      secrets.push_back(k->secret);
    }
    auto k = keys.Create(tx, other, Mode::kTest, {});
    if (!k) return k.error();
    other_secret = k->secret;
    return {};
  });
  ASSERT_TRUE(w) << w.error().detail;
  for (const auto& s : secrets) {
    EXPECT_TRUE(RunTask(keys.Authenticate("Bearer " + s)));
  }
  Caller admin = SignedInOperator("ops@example.com", "platform_admin");
  auto r = Run(admin, Action::kRevokeApiKeys, m, "INC-7: key leaked on a paste site");
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(r->ids.size(), 3u);
  EXPECT_EQ(r->merchant_id, m);
  keys.ForgetMerchant(m);
  for (const auto& s : secrets) {
    auto a = RunTask(keys.Authenticate("Bearer " + s));
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, "invalid_api_key");
  }
  EXPECT_TRUE(RunTask(keys.Authenticate("Bearer " + other_secret)));  // another merchant's key
  auto rows = AuditRows("incident.api_keys_revoke");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor_type, "operator");
  EXPECT_EQ(rows[0].actor_id, admin.user_id);
  EXPECT_EQ(rows[0].merchant_id, m);
  EXPECT_EQ(rows[0].source_ip, kIp);
  EXPECT_NE(rows[0].details.find("\"reason\":\"INC-7: key leaked on a paste site\""),
            std::string::npos);
  EXPECT_NE(rows[0].details.find("\"revoked\":3"), std::string::npos);
  // Again: nothing left to revoke, still audited.
  auto again = Run(admin, Action::kRevokeApiKeys, m);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->count, 0);
}

TEST_F(ContainmentTest, RevokesTheSessionsOfEveryMemberOrOfOneUser) {
  const std::string m = Merchant("Acme");
  const std::string other = Merchant("Beta");
  const std::string dev = NewUser("dev@example.com", m, "developer");
  NewUser("analyst@example.com", m, "analyst");
  NewUser("outsider@example.com", other, "developer");
  SessionGrant d = MustSignIn("dev@example.com");
  SessionGrant a = MustSignIn("analyst@example.com");
  SessionGrant o = MustSignIn("outsider@example.com");
  Caller admin = SignedInOperator("ops@example.com", "platform_admin");
  auto r = Run(admin, Action::kRevokeMerchantSessions, m);
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(r->count, 2);
  EXPECT_FALSE(Auth(d.token.Expose()));
  EXPECT_FALSE(Auth(a.token.Expose()));
  EXPECT_TRUE(Auth(o.token.Expose()));  // another merchant's user
  EXPECT_TRUE(Auth(operator_token_, MfaGate::kSatisfied, AccountKind::kOperator));

  SessionGrant d2 = MustSignIn("dev@example.com");
  auto u = Run(admin, Action::kRevokeUserSessions, dev);
  ASSERT_TRUE(u) << u.error().code;
  EXPECT_EQ(u->count, 1);
  EXPECT_FALSE(Auth(d2.token.Expose()));
  auto op = Run(admin, Action::kRevokeUserSessions, admin.user_id);  // not a dashboard user
  ASSERT_FALSE(op);
  EXPECT_EQ(op.error().type, ErrorType::kNotFound);
  auto rows = AuditRows("incident.sessions_revoke");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].merchant_id, m);
  EXPECT_EQ(rows[1].target, dev);
  EXPECT_NE(rows[1].details.find("\"scope\":\"user\""), std::string::npos);
}

TEST_F(ContainmentTest, ASuspendedAccountLeavesRoutingUntilAnOperatorEnablesIt) {
  const std::string m = Merchant("Acme");
  std::string account;
  auto active = [&]() {
    size_t n = 0;
    auto rd = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      auto a = merchants::ActiveAccounts(tx, m, Mode::kTest);
      if (!a) return a.error();
      n = a->size();
      if (!a->empty()) account = a->front().id;
      return {};
    });
    EXPECT_TRUE(rd);
    return n;
  };
  ASSERT_EQ(active(), 1u);
  Caller admin = SignedInOperator("ops@example.com", "platform_admin");
  auto s = Run(admin, Action::kSuspendConnectorAccount, account);
  ASSERT_TRUE(s) << s.error().code;
  EXPECT_EQ(s->status, "suspended");
  EXPECT_EQ(s->merchant_id, m);
  EXPECT_EQ(active(), 0u);
  // The merchant sees it and cannot lift it; other fields still change.
  merchants::ConnectorAccountService svc(*store_, *keyring_, clock_, true);
  Principal p;
  p.merchant_id = m;
  p.key_type = "secret";
  const lp::Actor actor{"api_key", "key_test", kIp, "req_1"};
  merchants::AccountParams lift;
  lift.status = "active";
  auto refused = RunTask(svc.Update(p, account, lift, actor));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "account_suspended");
  merchants::AccountParams relabel;
  relabel.label = "under review";
  auto relabelled = RunTask(svc.Update(p, account, relabel, actor));
  ASSERT_TRUE(relabelled) << relabelled.error().code;
  EXPECT_EQ(relabelled->status, "suspended");
  EXPECT_EQ(active(), 0u);
  auto e = Run(admin, Action::kEnableConnectorAccount, account);
  ASSERT_TRUE(e) << e.error().code;
  EXPECT_EQ(e->status, "active");
  EXPECT_EQ(active(), 1u);
  auto twice = Run(admin, Action::kEnableConnectorAccount, account);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "account_not_suspended");
  auto none = Run(admin, Action::kSuspendConnectorAccount, "mca_nope");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().type, ErrorType::kNotFound);
  auto rows = AuditRows("incident.connector_account_suspend");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].merchant_id, m);
  EXPECT_NE(rows[0].details.find("\"previous_status\":\"active\""), std::string::npos);
  EXPECT_EQ(AuditRows("incident.connector_account_enable").size(), 1u);
}

TEST_F(ContainmentTest, RotatingAMerchantWithoutEndpointsIsAuditedWithZero) {
  const std::string m = Merchant("Acme");
  Caller admin = SignedInOperator("ops@example.com", "platform_admin");
  auto r = Run(admin, Action::kRotateWebhookSecrets, m);
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(r->count, 0);
  ASSERT_EQ(AuditRows("incident.webhook_secrets_rotate").size(), 1u);
}

TEST_F(ContainmentTest, TheCommandLinePathAuditsTheHostUser) {
  const std::string m = Merchant("Acme");
  auto r = incident::ApplySync(*store_, keyring_.get(), clock_, Action::kRevokeMerchantSessions, m,
                               "INC-9", incident::Actor{"cli:alice", "local", "", "cli"});
  ASSERT_TRUE(r) << r.error().code;
  auto bad = incident::ApplySync(*store_, keyring_.get(), clock_, Action::kRevokeApiKeys, m, "",
                                 incident::Actor{"cli:alice", "local", "", "cli"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().param, "reason");
  auto rows = AuditRows("incident.sessions_revoke");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor_type, "operator");
  EXPECT_EQ(rows[0].actor_id, "cli:alice");
  EXPECT_NE(rows[0].details.find("\"via\":\"cli\""), std::string::npos);
  auto chain = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
    auto v = audit::Verify(tx);
    if (!v) return v.error();
    EXPECT_TRUE(v->ok) << v->problem;
    return {};
  });
  EXPECT_TRUE(chain);
}

}  // namespace
}  // namespace lp::people::testing
