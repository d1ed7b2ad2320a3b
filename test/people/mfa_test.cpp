// MFA: enrolment (otpauth URI, QR SVG, sealed secret, recovery codes), the TOTP step with ±1
// step of drift and no replay, recovery codes used once, attempt limits, who must enrol.
#include <regex>

#include "fixture.hpp"

namespace lp::people::testing {
namespace {

class MfaTest : public PeopleTest {
 protected:
  void SetUp() override {
    PeopleTest::SetUp();
    merchant_ = NewMerchant("Acme");
    owner_ = NewUser("owner@example.com", merchant_, "owner");
  }
  std::string merchant_, owner_;
};

TEST_F(MfaTest, AnOwnerMustEnrolBeforeAnythingElse) {
  SessionGrant g = MustSignIn("owner@example.com");
  EXPECT_EQ(g.mfa, MfaState::kEnroll);
  auto gated = Auth(g.token.Expose());
  ASSERT_FALSE(gated);
  EXPECT_EQ(gated.error().code, "mfa_enrollment_required");
  EXPECT_EQ(gated.error().type, ErrorType::kPermission);
  Caller any = MustAuth(g.token.Expose(), MfaGate::kAnyState);
  EXPECT_EQ(any.mfa, MfaState::kEnroll);
  EXPECT_TRUE(any.mfa_status.required);
  EXPECT_TRUE(any.memberships.empty());  // nothing to act on before MFA
  auto step = Auth(g.token.Expose(), MfaGate::kMfaChallenge);
  ASSERT_FALSE(step);
  EXPECT_EQ(step.error().code, "mfa_enrollment_required");
}

TEST_F(MfaTest, EnrolmentGivesAUriAQrCodeAndTenRecoveryCodes) {
  SessionGrant g = MustSignIn("owner@example.com");
  Caller c = MustAuth(g.token.Expose(), MfaGate::kEnrollment);
  auto e = RunTask(accounts_->StartEnrollment(c, Ctx()));
  ASSERT_TRUE(e) << e.error().code;
  EXPECT_EQ(e->secret_base32.size(), 32u);  // 160 bits
  EXPECT_EQ(e->otpauth_uri, "otpauth://totp/LiasonPay:owner%40example.com?secret=" +
                                e->secret_base32 +
                                "&issuer=LiasonPay&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(e->qr_svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(e->qr_svg.find("<script"), std::string::npos);
  EXPECT_EQ(e->qr_svg.find("href"), std::string::npos);
  EXPECT_NE(e->qr_svg.find("<path"), std::string::npos);
  const std::string secret = Base32Decode(e->secret_base32);
  ASSERT_EQ(secret.size(), 20u);
  // The secret is sealed at rest: neither the bytes nor the base32 text are in the database.
  EXPECT_EQ(DumpDatabase().find(secret), std::string::npos);
  EXPECT_EQ(DumpDatabase().find(e->secret_base32), std::string::npos);

  // A wrong first code does not confirm.
  auto bad = RunTask(accounts_->ConfirmEnrollment(c, "000000", Ctx()));
  if (CodeAt(secret) != "000000") {
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "invalid_code");
  }
  auto codes = RunTask(accounts_->ConfirmEnrollment(c, CodeAt(secret), Ctx()));
  ASSERT_TRUE(codes) << codes.error().code;
  ASSERT_EQ(codes->codes.size(), 10u);
  const std::regex shape("[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}");
  const std::string db = DumpDatabase();
  for (const auto& code : codes->codes) {
    EXPECT_TRUE(std::regex_match(code.Expose(), shape)) << code.Expose();
    EXPECT_EQ(db.find(code.Expose()), std::string::npos);  // stored hashed
    EXPECT_EQ(db.find(code.Expose().substr(0, 4) + code.Expose().substr(5, 4)),
              std::string::npos);
  }
  // Confirmation rotates the session and satisfies MFA.
  ASSERT_TRUE(codes->session);
  EXPECT_EQ(codes->session->mfa, MfaState::kSatisfied);
  EXPECT_FALSE(Auth(g.token.Expose(), MfaGate::kAnyState));
  Caller done = MustAuth(codes->session->token.Expose());
  EXPECT_TRUE(done.mfa_status.enrolled);
  EXPECT_EQ(done.mfa_status.recovery_codes_left, 10);
  EXPECT_EQ(done.memberships.size(), 1u);
  // Enrolling again is a conflict.
  auto again = RunTask(accounts_->StartEnrollment(done, Ctx()));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "mfa_already_enrolled");
  EXPECT_EQ(AuditRows("mfa.enroll_start").size(), 1u);
  ASSERT_EQ(AuditRows("mfa.enroll").size(), 2u);  // the wrong code, then success
  EXPECT_EQ(AuditRows("mfa.enroll")[1].outcome, "success");
}

TEST_F(MfaTest, PasswordAloneGetsAnMfaAccountNowhere) {
  Enrolled e = Enrol(MustSignIn("owner@example.com").token.Expose());
  NextStep();
  SessionGrant g = MustSignIn("owner@example.com");
  EXPECT_EQ(g.mfa, MfaState::kRequired);
  auto gated = Auth(g.token.Expose());
  ASSERT_FALSE(gated);
  EXPECT_EQ(gated.error().code, "mfa_required");
  EXPECT_EQ(gated.error().type, ErrorType::kAuthentication);
  Caller c = MustAuth(g.token.Expose(), MfaGate::kMfaChallenge);
  auto v = RunTask(accounts_->VerifyMfa(c, SecondFactor{CodeAt(e.secret), false}, Ctx()));
  ASSERT_TRUE(v) << v.error().code;
  EXPECT_EQ(v->mfa, MfaState::kSatisfied);
  EXPECT_NE(v->token.Expose(), g.token.Expose());  // a new id after MFA
  EXPECT_FALSE(Auth(g.token.Expose(), MfaGate::kAnyState));
  Caller full = MustAuth(v->token.Expose());
  EXPECT_TRUE(full.RecentlyAuthenticated(clock_.NowMicros()));
}

TEST_F(MfaTest, OneStepOfDriftIsAcceptedTwoAreNot) {
  Enrolled e = Enrol(MustSignIn("owner@example.com").token.Expose());
  auto try_code = [&](int64_t offset) {
    SessionGrant g = MustSignIn("owner@example.com");
    Caller c = MustAuth(g.token.Expose(), MfaGate::kMfaChallenge);
    return RunTask(accounts_->VerifyMfa(c, SecondFactor{CodeAt(e.secret, offset), false}, Ctx()));
  };
  // Enrolment used the current step; move on so -1..+1 are all unused steps.
  NextStep();
  NextStep();
  auto minus2 = try_code(-2);
  ASSERT_FALSE(minus2);
  EXPECT_EQ(minus2.error().code, "invalid_code");
  EXPECT_EQ(minus2.error().param, "code");
  auto plus2 = try_code(+2);
  ASSERT_FALSE(plus2);
  EXPECT_EQ(plus2.error().code, "invalid_code");
  EXPECT_TRUE(try_code(-1));
  EXPECT_TRUE(try_code(+1));
}

TEST_F(MfaTest, AUsedCodeIsNotAcceptedAgain) {
  Enrolled e = Enrol(MustSignIn("owner@example.com").token.Expose());
  NextStep();
  const std::string code = CodeAt(e.secret);
  SessionGrant a = MustSignIn("owner@example.com");
  Caller ca = MustAuth(a.token.Expose(), MfaGate::kMfaChallenge);
  ASSERT_TRUE(RunTask(accounts_->VerifyMfa(ca, SecondFactor{code, false}, Ctx())));
  SessionGrant b = MustSignIn("owner@example.com");
  Caller cb = MustAuth(b.token.Expose(), MfaGate::kMfaChallenge);
  auto replay = RunTask(accounts_->VerifyMfa(cb, SecondFactor{code, false}, Ctx()));
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, "invalid_code");
  // Neither is the previous step's code once a later one was used.
  auto older = RunTask(accounts_->VerifyMfa(cb, SecondFactor{CodeAt(e.secret, -1), false}, Ctx()));
  ASSERT_FALSE(older);
  auto rows = AuditRows("auth.mfa_replay");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].outcome, "failure");
  EXPECT_EQ(rows[0].actor_id, owner_);
  // The enrolment's own code cannot sign in either (its step is recorded).
}

TEST_F(MfaTest, ARecoveryCodeWorksOnce) {
  Enrolled e = Enrol(MustSignIn("owner@example.com").token.Expose());
  ASSERT_EQ(e.recovery_codes.size(), 10u);
  const std::string code = e.recovery_codes[3];
  SessionGrant a = MustSignIn("owner@example.com");
  Caller ca = MustAuth(a.token.Expose(), MfaGate::kMfaChallenge);
  // Typed in capitals without dashes: still the code.
  std::string typed = code.substr(0, 4) + code.substr(5, 4) + code.substr(10, 4);
  for (auto& ch : typed) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  auto ok = RunTask(accounts_->VerifyMfa(ca, SecondFactor{typed, true}, Ctx()));
  ASSERT_TRUE(ok) << ok.error().code;
  EXPECT_EQ(MustAuth(ok->token.Expose()).mfa_status.recovery_codes_left, 9);
  SessionGrant b = MustSignIn("owner@example.com");
  Caller cb = MustAuth(b.token.Expose(), MfaGate::kMfaChallenge);
  auto again = RunTask(accounts_->VerifyMfa(cb, SecondFactor{code, true}, Ctx()));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "invalid_code");
  EXPECT_EQ(again.error().param, "recovery_code");
  auto another = RunTask(accounts_->VerifyMfa(cb, SecondFactor{e.recovery_codes[4], true}, Ctx()));
  EXPECT_TRUE(another);
  auto rows = AuditRows("auth.mfa");
  ASSERT_GE(rows.size(), 3u);
  EXPECT_NE(rows[0].details.find("recovery_code"), std::string::npos);
}

TEST_F(MfaTest, FiveWrongCodesPerSessionAreThenRateLimited) {
  Enrolled e = Enrol(MustSignIn("owner@example.com").token.Expose());
  NextStep();
  SessionGrant g = MustSignIn("owner@example.com");
  Caller c = MustAuth(g.token.Expose(), MfaGate::kMfaChallenge);
  const std::string right = CodeAt(e.secret);
  const std::string wrong = right == "123456" ? "654321" : "123456";
  for (int i = 0; i < 5; ++i) {
    auto r = RunTask(accounts_->VerifyMfa(c, SecondFactor{wrong, false}, Ctx()));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "invalid_code");
  }
  auto limited = RunTask(accounts_->VerifyMfa(c, SecondFactor{right, false}, Ctx()));
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code, "rate_limited");
  EXPECT_EQ(limited.error().type, ErrorType::kRateLimited);
  // The window is 15 minutes; the session stays alive meanwhile.
  clock_.Advance(7min + 30s);
  MustAuth(g.token.Expose(), MfaGate::kMfaChallenge);
  clock_.Advance(7min + 30s);
  c = MustAuth(g.token.Expose(), MfaGate::kMfaChallenge);
  auto later = RunTask(accounts_->VerifyMfa(c, SecondFactor{CodeAt(e.secret), false}, Ctx()));
  EXPECT_TRUE(later) << later.error().code;
}

TEST_F(MfaTest, APolicyRequiringMfaPutsSignedInUsersIntoEnrolment) {
  const std::string dev = NewUser("dev@example.com", merchant_, "developer");
  SessionGrant d = MustSignIn("dev@example.com");
  EXPECT_EQ(d.mfa, MfaState::kSatisfied);
  Enrolled e = Enrol(MustSignIn("owner@example.com").token.Expose());
  Caller owner = MustAuth(e.session.token.Expose());
  PolicyParams p;
  p.mfa_required_for_all = true;
  ASSERT_TRUE(RunTask(team_->UpdatePolicy(owner, merchant_, p, Ctx())));
  auto next = Auth(d.token.Expose());
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, "mfa_enrollment_required");
  // A developer without a policy could remove MFA; with it, no.
  Enrolled de = Enrol(d.token.Expose());
  Caller dc = MustAuth(de.session.token.Expose());
  auto removed = RunTask(accounts_->RemoveMfa(dc, Ctx()));
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, "permission_denied");
  (void)dev;
}

TEST_F(MfaTest, RemovingOptionalMfaNeedsAStepUpAndRevokesOtherSessions) {
  NewUser("dev@example.com", merchant_, "developer");
  Enrolled e = Enrol(MustSignIn("dev@example.com").token.Expose());
  SessionGrant other = SignInWithMfa("dev@example.com", e.secret);
  Caller c = MustAuth(e.session.token.Expose());
  clock_.Advance(5min + 1s);  // the step-up from enrolment has lapsed
  c = MustAuth(e.session.token.Expose());
  auto stale = RunTask(accounts_->RemoveMfa(c, Ctx()));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "reauthentication_required");
  NextStep();
  auto re = RunTask(accounts_->Reauthenticate(c, SecureBytes(kPassword),
                                              SecondFactor{CodeAt(e.secret), false}, Ctx()));
  ASSERT_TRUE(re) << re.error().code;
  Caller fresh = MustAuth(re->token.Expose());
  auto removed = RunTask(accounts_->RemoveMfa(fresh, Ctx()));
  ASSERT_TRUE(removed) << removed.error().code;
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(Auth(other.token.Expose()));
  EXPECT_FALSE(MustAuth(re->token.Expose()).mfa_status.enrolled);
  EXPECT_EQ(AuditRows("mfa.remove").size(), 1u);
}

TEST_F(MfaTest, ReauthenticationNeedsTheCodeAndCountsWrongPasswords) {
  Enrolled e = Enrol(MustSignIn("owner@example.com").token.Expose());
  Caller c = MustAuth(e.session.token.Expose());
  auto no_code = RunTask(accounts_->Reauthenticate(c, SecureBytes(kPassword), std::nullopt, Ctx()));
  ASSERT_FALSE(no_code);
  EXPECT_EQ(no_code.error().code, "parameter_missing");
  EXPECT_EQ(no_code.error().param, "code");
  NextStep();
  auto wrong_pw = RunTask(accounts_->Reauthenticate(
      c, SecureBytes("not my password at all"), SecondFactor{CodeAt(e.secret), false}, Ctx()));
  ASSERT_FALSE(wrong_pw);
  EXPECT_EQ(wrong_pw.error().code, "invalid_credentials");
  auto fails = AuditRows("auth.reauthenticate");
  ASSERT_EQ(fails.size(), 1u);
  EXPECT_EQ(fails[0].outcome, "failure");
}

TEST_F(MfaTest, OperatorsAlwaysNeedMfa) {
  NewOperator("ops@example.com", "support");
  SessionGrant g = MustSignIn("ops@example.com", AccountKind::kOperator);
  EXPECT_EQ(g.mfa, MfaState::kEnroll);
  Enrolled e = Enrol(g.token.Expose(), AccountKind::kOperator);
  Caller c = MustAuth(e.session.token.Expose(), MfaGate::kSatisfied, AccountKind::kOperator);
  EXPECT_EQ(c.operator_role, "support");
  auto removed = RunTask(accounts_->RemoveMfa(c, Ctx()));
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, "permission_denied");
}

}  // namespace
}  // namespace lp::people::testing
