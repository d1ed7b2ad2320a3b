// Sessions: idle and absolute expiry (and shorter merchant policies), rotation of the cookie
// value at sign-in, MFA and role changes, listing and revoking, password changes, CSRF.
#include "fixture.hpp"

namespace lp::people::testing {
namespace {

class SessionsTest : public PeopleTest {
 protected:
  void SetUp() override {
    PeopleTest::SetUp();
    merchant_ = NewMerchant("Acme");
    user_ = NewUser("dev@example.com", merchant_, "developer");
  }
  std::string merchant_, user_;
};

TEST_F(SessionsTest, IdleFifteenMinutesExpiresTheSession) {
  SessionGrant g = MustSignIn("dev@example.com");
  clock_.Advance(14min + 59s);
  MustAuth(g.token.Expose());  // activity: the idle clock starts again
  clock_.Advance(14min + 59s);
  MustAuth(g.token.Expose());
  clock_.Advance(15min + 1s);
  auto c = Auth(g.token.Expose());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "session_expired");
  EXPECT_EQ(c.error().type, ErrorType::kAuthentication);
  // Never valid again, whatever happens next.
  EXPECT_FALSE(Auth(g.token.Expose()));
}

TEST_F(SessionsTest, AbsoluteTwelveHoursEndsAnActiveSession) {
  SessionGrant g = MustSignIn("dev@example.com");
  for (int i = 0; i < 143; ++i) {  // a request every 5 minutes: 11 h 55 min
    clock_.Advance(5min);
    ASSERT_TRUE(Auth(g.token.Expose())) << "at step " << i;
  }
  clock_.Advance(4min + 59s);
  ASSERT_TRUE(Auth(g.token.Expose()));  // 11:59:59
  clock_.Advance(1s);
  auto c = Auth(g.token.Expose());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "session_expired");
}

TEST_F(SessionsTest, TheShortestPolicyOfTheUsersMerchantsApplies) {
  // A second merchant with a 5-minute idle and 1-hour absolute policy.
  const std::string other = NewMerchant("Beta");
  const std::string owner = NewUser("owner@beta.example", other, "developer");
  ASSERT_TRUE(store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec(
        "INSERT INTO memberships (user_id, merchant_id, role_id, created, updated) "
        "VALUES (?,?,?,?,?)",
        {user_, other, "analyst", clock_.NowMicros(), clock_.NowMicros()});
    if (!r) {
      return r.error();
    }
    r = tx.Exec(
        "INSERT INTO security_policies (merchant_id, mfa_required_for_all, idle_timeout_minutes, "
        "absolute_timeout_hours, updated, updated_by) VALUES (?,0,5,1,?,?)",
        {other, clock_.NowMicros(), owner});
    if (!r) {
      return r.error();
    }
    return {};
  }));
  SessionGrant g = MustSignIn("dev@example.com");
  Caller c = MustAuth(g.token.Expose());
  EXPECT_EQ(c.idle_expires_at_us - clock_.NowMicros(), int64_t{5 * 60'000'000});
  EXPECT_EQ(c.expires_at_us - c.session_created_us, int64_t{3600'000'000});
  clock_.Advance(5min + 1s);
  auto expired = Auth(g.token.Expose());
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, "session_expired");
  // Active every 5 minutes, the session still ends after Beta's 1-hour absolute timeout.
  SessionGrant h = MustSignIn("dev@example.com");
  for (int i = 0; i < 12; ++i) {
    clock_.Advance(4min + 59s);
    ASSERT_TRUE(Auth(h.token.Expose()));
  }
  clock_.Advance(1min);  // past 1 hour
  EXPECT_FALSE(Auth(h.token.Expose()));
}

TEST_F(SessionsTest, SignInIssuesANewIdAndRevokesThePreviousOne) {
  SessionGrant a = MustSignIn("dev@example.com");
  auto b = RunTask(accounts_->SignIn(AccountKind::kUser, "dev@example.com", SecureBytes(kPassword),
                                     Ctx(), a.token.Expose()));
  ASSERT_TRUE(b);
  EXPECT_NE(b->token.Expose(), a.token.Expose());
  EXPECT_NE(b->session_id, a.session_id);
  auto old = Auth(a.token.Expose());
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, "authentication_required");
  MustAuth(b->token.Expose());
}

TEST_F(SessionsTest, UnknownMalformedAndOtherKindTokensNeedAuthentication) {
  SessionGrant g = MustSignIn("dev@example.com");
  for (const std::string& t : {std::string(), std::string("x"), std::string(43, 'A'),
                              g.token.Expose() + "A", g.token.Expose().substr(1)}) {
    auto c = Auth(t);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, "authentication_required");
  }
  // A dashboard session is not an ops session.
  auto ops = Auth(g.token.Expose(), MfaGate::kSatisfied, AccountKind::kOperator);
  ASSERT_FALSE(ops);
  EXPECT_EQ(ops.error().code, "authentication_required");
}

TEST_F(SessionsTest, ARoleChangeRotatesTheSessionAtItsNextRequest) {
  const std::string owner = NewUser("owner@example.com", merchant_, "owner");
  // The owner (MFA required) enrols, so it can act.
  SessionGrant og = MustSignIn("owner@example.com");
  Enrolled e = Enrol(og.token.Expose());
  Caller oc = MustAuth(e.session.token.Expose());

  SessionGrant g = MustSignIn("dev@example.com");
  Caller before = MustAuth(g.token.Expose());
  EXPECT_FALSE(before.new_session_token.has_value());
  auto changed = RunTask(team_->ChangeRole(oc, merchant_, user_, "analyst", Ctx()));
  ASSERT_TRUE(changed) << changed.error().code;
  Caller after = MustAuth(g.token.Expose());
  ASSERT_TRUE(after.new_session_token.has_value());
  const std::string fresh = after.new_session_token->Expose();
  EXPECT_NE(fresh, g.token.Expose());
  EXPECT_NE(after.csrf_token, before.csrf_token);
  EXPECT_EQ(after.memberships.at(0).role.id, "analyst");  // no cached claims
  EXPECT_EQ(after.session_id, before.session_id);
  // The old value is dead; the new one works and does not rotate again.
  EXPECT_FALSE(Auth(g.token.Expose()));
  Caller again = MustAuth(fresh);
  EXPECT_FALSE(again.new_session_token.has_value());
}

TEST_F(SessionsTest, ListRevokeOneAndSignOutEverywhere) {
  SessionGrant a = MustSignIn("dev@example.com");
  clock_.Advance(1s);
  SessionGrant b = MustSignIn("dev@example.com");
  clock_.Advance(1s);
  SessionGrant c = MustSignIn("dev@example.com");
  Caller cc = MustAuth(c.token.Expose());
  auto list = RunTask(accounts_->ListSessions(cc));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, c.session_id);  // newest first
  EXPECT_TRUE((*list)[0].current);
  EXPECT_FALSE((*list)[1].current);
  EXPECT_EQ((*list)[0].ip, kIp);
  EXPECT_EQ((*list)[0].user_agent, "test-agent/1.0");

  auto one = RunTask(accounts_->RevokeSession(cc, a.session_id, Ctx()));
  ASSERT_TRUE(one);
  EXPECT_FALSE(*one);  // not the current session
  EXPECT_FALSE(Auth(a.token.Expose()));
  MustAuth(b.token.Expose());
  // Another account's session is not found.
  NewUser("other@example.com", merchant_, "developer");
  SessionGrant o = MustSignIn("other@example.com");
  auto foreign = RunTask(accounts_->RevokeSession(cc, o.session_id, Ctx()));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().type, ErrorType::kNotFound);
  MustAuth(o.token.Expose());

  auto all = RunTask(accounts_->RevokeAllSessions(cc, Ctx()));
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 2);  // b and c
  EXPECT_FALSE(Auth(b.token.Expose()));
  EXPECT_FALSE(Auth(c.token.Expose()));
  MustAuth(o.token.Expose());
  EXPECT_EQ(AuditRows("session.revoke").size(), 1u);
  ASSERT_EQ(AuditRows("session.revoke_all").size(), 1u);
  EXPECT_EQ(AuditRows("session.revoke_all")[0].actor_id, user_);
}

TEST_F(SessionsTest, SignOutEndsTheSession) {
  SessionGrant g = MustSignIn("dev@example.com");
  Caller c = MustAuth(g.token.Expose());
  ASSERT_TRUE(RunTask(accounts_->SignOut(c, Ctx())));
  auto after = Auth(g.token.Expose(), MfaGate::kAnyState);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, "authentication_required");
  auto rows = AuditRows("auth.sign_out");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].target, g.session_id);
}

TEST_F(SessionsTest, PasswordChangeRevokesTheOtherSessionsAndKeepsTheLastFour) {
  SessionGrant other = MustSignIn("dev@example.com");
  SessionGrant g = MustSignIn("dev@example.com");
  Caller c = MustAuth(g.token.Expose());
  const std::string p1 = kPassword;
  const std::vector<std::string> next = {"amber falcon drifts north", "copper tide sings slowly",
                                         "silent meadow of glass", "ninety paper lanterns glow",
                                         "a quiet harbor at dusk"};
  auto change = [&](const std::string& from, const std::string& to) {
    clock_.Advance(1min);
    Caller now = MustAuth(g.token.Expose());
    return RunTask(accounts_->ChangePassword(now, SecureBytes(from), SecureBytes(to), Ctx()));
  };
  // Wrong current password.
  auto wrong = change("not the password at all", next[0]);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "invalid_credentials");
  EXPECT_EQ(wrong.error().param, "current_password");
  // The rules apply to the new one, named new_password.
  auto weak = change(p1, "short");
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, "password_too_short");
  EXPECT_EQ(weak.error().param, "new_password");
  // The same password again is a reuse.
  auto same = change(p1, p1);
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, "password_reused");

  auto first = change(p1, next[0]);
  ASSERT_TRUE(first) << first.error().code;
  EXPECT_EQ(*first, 1);  // `other`
  EXPECT_FALSE(Auth(other.token.Expose()));
  MustAuth(g.token.Expose());  // the current session stays
  ASSERT_FALSE(SignIn("dev@example.com", p1));
  ASSERT_TRUE(SignIn("dev@example.com", next[0]));
  // P1..P4 are the last four: P1 is refused until four newer ones exist (PCI 8.3.7).
  ASSERT_TRUE(change(next[0], next[1]));
  ASSERT_TRUE(change(next[1], next[2]));
  auto reuse = change(next[2], p1);
  ASSERT_FALSE(reuse);
  EXPECT_EQ(reuse.error().code, "password_reused");
  ASSERT_TRUE(change(next[2], next[3]));
  ASSERT_TRUE(change(next[3], next[4]));
  auto back = change(next[4], p1);
  EXPECT_TRUE(back) << back.error().code;
  EXPECT_EQ(AuditRows("password.change").size(), 7u);  // the wrong current one + 6 changes
}

TEST_F(SessionsTest, CsrfTokenMustMatchTheSession) {
  SessionGrant g = MustSignIn("dev@example.com");
  SessionGrant h = MustSignIn("dev@example.com");
  Caller c = MustAuth(g.token.Expose());
  EXPECT_TRUE(CheckCsrf(c, g.csrf_token));
  for (const std::string& bad : {std::string(), h.csrf_token, g.token.Expose(),
                                 g.csrf_token.substr(0, 42)}) {
    auto r = CheckCsrf(c, bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "csrf_failed");
    EXPECT_EQ(r.error().type, ErrorType::kPermission);
  }
}

}  // namespace
}  // namespace lp::people::testing
