// Operators: provisioning with a generated password, their roles, the merchant list and the
// freeze (audited), and the audit chain over a whole scenario.
#include "fixture.hpp"

namespace lp::people::testing {
namespace {

class OperatorsTest : public PeopleTest {
 protected:
  // A signed-in operator with MFA.
  Caller SignedInOperator(const std::string& email, const std::string& role) {
    NewOperator(email, role);
    SessionGrant g = MustSignIn(email, AccountKind::kOperator);
    Enrolled e = Enrol(g.token.Expose(), AccountKind::kOperator);
    return MustAuth(e.session.token.Expose(), MfaGate::kSatisfied, AccountKind::kOperator);
  }
};

TEST_F(OperatorsTest, OperatorCreateGeneratesAPasswordThatMeetsEveryRule) {
  AccountSpec spec;
  spec.kind = AccountKind::kOperator;
  spec.email = "ops@example.com";
  spec.role = "platform_admin";
  auto c = CreateAccountSync(*store_, policy_, SystemRandom(), clock_, spec,
                             Actor{"system", "cli", "", ""});
  ASSERT_TRUE(c) << c.error().code;
  EXPECT_EQ(c->user_id.rfind("opr_", 0), 0u);
  const std::string pw = c->password.Expose();
  EXPECT_EQ(pw.size(), 24u);
  EXPECT_TRUE(policy_.Check(pw, {AccountKind::kOperator, "ops@example.com", {}}, "password"));
  auto g = SignIn("ops@example.com", pw, AccountKind::kOperator);
  ASSERT_TRUE(g) << g.error().code;
  EXPECT_EQ(g->mfa, MfaState::kEnroll);  // MFA always
  auto rows = AuditRows("operator.create");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor_type, "system");
  EXPECT_EQ(rows[0].actor_id, "cli");
  EXPECT_EQ(rows[0].target, c->user_id);
  EXPECT_EQ(DumpDatabase().find(pw), std::string::npos);
  // The same address twice is a conflict; an unknown role is refused.
  auto twice = CreateAccountSync(*store_, policy_, SystemRandom(), clock_, spec,
                                 Actor{"system", "cli", "", ""});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "already_exists");
  spec.email = "other@example.com";
  spec.role = "owner";
  auto role = CreateAccountSync(*store_, policy_, SystemRandom(), clock_, spec,
                                Actor{"system", "cli", "", ""});
  ASSERT_FALSE(role);
  EXPECT_EQ(role.error().param, "role");
  // A given operator password must have a letter and a digit.
  spec.role = "support";
  spec.password = "velvet orbit canyon lantern";
  auto weak = CreateAccountSync(*store_, policy_, SystemRandom(), clock_, spec,
                                Actor{"system", "cli", "", ""});
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, "password_too_weak");
}

TEST_F(OperatorsTest, MerchantCreateAddsAnOwnerOrAMembershipForAnExistingAddress) {
  const std::string a = NewMerchant("Acme");
  const std::string b = NewMerchant("Beta");
  AccountSpec spec;
  spec.email = "founder@example.com";
  spec.merchant_id = a;
  auto first = CreateAccountSync(*store_, policy_, SystemRandom(), clock_, spec,
                                 Actor{"system", "cli", "", ""});
  ASSERT_TRUE(first) << first.error().code;
  EXPECT_FALSE(first->password.Expose().empty());
  spec.merchant_id = b;
  auto second = CreateAccountSync(*store_, policy_, SystemRandom(), clock_, spec,
                                  Actor{"system", "cli", "", ""});
  ASSERT_TRUE(second) << second.error().code;
  EXPECT_EQ(second->user_id, first->user_id);
  EXPECT_TRUE(second->password.Expose().empty());  // the existing password stays
  auto g = SignIn("founder@example.com", first->password.Expose());
  ASSERT_TRUE(g);
  EXPECT_EQ(g->mfa, MfaState::kEnroll);  // owners must enrol
  auto rows = AuditRows("user.create");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].merchant_id, a);
  EXPECT_EQ(rows[1].merchant_id, b);
}

TEST_F(OperatorsTest, APlatformAdminFreezesAndUnfreezesAMerchant) {
  const std::string m = NewMerchant("Acme");
  NewUser("dev@example.com", m, "developer");
  SessionGrant dev = MustSignIn("dev@example.com");
  Caller admin = SignedInOperator("ops@example.com", "platform_admin");
  EXPECT_EQ(admin.operator_permissions,
            (std::vector<std::string>{"merchants:read", "merchants:write", "audit:read",
                                      "pii:read"}));
  auto list = RunTask(operators_->ListMerchants(admin, {}));
  ASSERT_TRUE(list) << list.error().code;
  ASSERT_EQ(list->data.size(), 1u);
  EXPECT_EQ(list->data[0].users, 1);
  EXPECT_FALSE(list->data[0].frozen);

  auto no_reason = RunTask(operators_->Freeze(admin, m, "", Ctx()));
  ASSERT_FALSE(no_reason);
  EXPECT_EQ(no_reason.error().param, "reason");
  auto frozen = RunTask(operators_->Freeze(admin, m, "chargeback fraud investigation", Ctx()));
  ASSERT_TRUE(frozen) << frozen.error().code;
  EXPECT_TRUE(frozen->frozen);
  EXPECT_EQ(frozen->frozen_reason, "chargeback fraud investigation");
  // The merchant's sessions are refused on its routes.
  Caller d = MustAuth(dev.token.Expose());
  auto a = Authorize(d, m, "payments:read");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, "merchant_frozen");
  auto unfrozen = RunTask(operators_->Unfreeze(admin, m, "cleared", Ctx()));
  ASSERT_TRUE(unfrozen);
  EXPECT_FALSE(unfrozen->frozen);
  EXPECT_TRUE(Authorize(MustAuth(dev.token.Expose()), m, "payments:read"));
  auto rows = AuditRows("merchant.freeze");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor_type, "operator");
  EXPECT_EQ(rows[0].actor_id, admin.user_id);
  EXPECT_EQ(rows[0].merchant_id, m);
  EXPECT_EQ(rows[0].target, m);
  EXPECT_EQ(rows[0].details, R"({"reason":"chargeback fraud investigation"})");
  EXPECT_EQ(AuditRows("merchant.unfreeze").size(), 1u);
  auto missing = RunTask(operators_->Freeze(admin, "mer_nope", "x", Ctx()));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().type, ErrorType::kNotFound);
}

TEST_F(OperatorsTest, SupportAndAuditorsAreReadOnly) {
  const std::string m = NewMerchant("Acme");
  Caller support = SignedInOperator("support@example.com", "support");
  Caller auditor = SignedInOperator("audit@example.com", "security_auditor");
  EXPECT_TRUE(RunTask(operators_->ListMerchants(support, {})));
  EXPECT_TRUE(RunTask(operators_->GetMerchant(auditor, m)));
  for (const Caller* c : {&support, &auditor}) {
    auto f = RunTask(operators_->Freeze(*c, m, "because", Ctx()));
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, "permission_denied");
    EXPECT_EQ(f.error().message, "Your role lacks `merchants:write`.");
  }
  EXPECT_TRUE(ToOperatorPrincipal(support).pii_masked);
  EXPECT_FALSE(ToOperatorPrincipal(auditor).pii_masked);
  EXPECT_TRUE(AuthorizeOperator(auditor, "audit:read"));
  EXPECT_FALSE(AuthorizeOperator(support, "audit:read"));
  // A merchant user is never an operator.
  NewUser("dev@example.com", m, "developer");
  Caller dev = MustAuth(MustSignIn("dev@example.com").token.Expose());
  auto as_ops = RunTask(operators_->ListMerchants(dev, {}));
  ASSERT_FALSE(as_ops);
  EXPECT_EQ(as_ops.error().code, "authentication_required");
}

TEST_F(OperatorsTest, AnOperatorWithoutMfaIsStoppedAtTheGate) {
  NewOperator("ops@example.com", "platform_admin");
  SessionGrant g = MustSignIn("ops@example.com", AccountKind::kOperator);
  auto c = Auth(g.token.Expose(), MfaGate::kSatisfied, AccountKind::kOperator);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "mfa_enrollment_required");
  Caller any = MustAuth(g.token.Expose(), MfaGate::kAnyState, AccountKind::kOperator);
  EXPECT_TRUE(any.operator_permissions.empty());
  auto list = RunTask(operators_->ListMerchants(any, {}));
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, "mfa_enrollment_required");
}

TEST_F(OperatorsTest, TheAuditChainOfAWholeScenarioVerifies) {
  const std::string m = NewMerchant("Acme");
  NewUser("owner@example.com", m, "owner");
  Enrolled e = Enrol(MustSignIn("owner@example.com").token.Expose());
  ASSERT_FALSE(SignIn("owner@example.com", "velvet orbit canyon lanterns"));
  Caller admin = SignedInOperator("ops@example.com", "platform_admin");
  ASSERT_TRUE(RunTask(operators_->Freeze(admin, m, "review", Ctx())));
  auto report = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
    auto v = audit::Verify(tx);
    if (!v) {
      return v.error();
    }
    EXPECT_TRUE(v->ok) << v->problem;
    EXPECT_GE(v->records, 10);
    return {};
  });
  ASSERT_TRUE(report);
  // Every record names an actor, an action, an outcome and (for requests) the source address.
  for (const auto& r : AuditRows()) {
    EXPECT_FALSE(r.actor_type.empty()) << r.action;
    EXPECT_FALSE(r.actor_id.empty()) << r.action;
    EXPECT_FALSE(r.action.empty());
    EXPECT_TRUE(r.outcome == "success" || r.outcome == "failure") << r.action;
    if (r.actor_id != "test") {
      EXPECT_EQ(r.source_ip, kIp) << r.action;
    }
  }
  (void)e;
}

}  // namespace
}  // namespace lp::people::testing
