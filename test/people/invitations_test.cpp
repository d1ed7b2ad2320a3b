// Invitations: a single-use token (hashed at rest, 72 h), the invitee's side (lookup, accept as a
// new or an existing account), the hook that runs in the invitation's transaction.
#include "fixture.hpp"

namespace lp::people::testing {
namespace {

class InvitationsTest : public PeopleTest {
 protected:
  void SetUp() override {
    PeopleTest::SetUp();
    merchant_ = NewMerchant("Acme");
    owner_ = NewUser("owner@example.com", merchant_, "owner");
    owner_token_ = Enrol(MustSignIn("owner@example.com").token.Expose()).session.token.Expose();
  }
  Caller Owner() { return MustAuth(owner_token_); }
  IssuedInvitation Invite(const std::string& email, const std::string& role = "analyst") {
    auto r = RunTask(team_->Invite(Owner(), merchant_, email, role, Ctx()));
    EXPECT_TRUE(r) << (r ? "" : r.error().code);
    return r ? std::move(*r) : IssuedInvitation{};
  }
  Result<SessionGrant> Accept(const std::string& token, const std::string& password) {
    return RunTask(accounts_->AcceptInvitation(token, SecureBytes(password), Ctx()));
  }
  std::string merchant_, owner_, owner_token_;
};

TEST_F(InvitationsTest, AnInvitationIsAcceptedOnceByANewAccount) {
  IssuedInvitation inv = Invite("Sam@Example.com");
  const std::string token = inv.token.Expose();
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(inv.invite_path, "/invite#" + token);
  EXPECT_EQ(inv.invitation.status, "pending");
  EXPECT_EQ(inv.invitation.role.id, "analyst");
  EXPECT_EQ(inv.invitation.invited_by, owner_);
  EXPECT_EQ(inv.invitation.expires_at_us - inv.invitation.created_us, 72LL * 3600 * 1'000'000);
  EXPECT_EQ(DumpDatabase().find(token), std::string::npos);  // only its hash is stored

  auto preview = RunTask(accounts_->LookupInvitation(token));
  ASSERT_TRUE(preview) << preview.error().code;
  EXPECT_EQ(preview->email, "Sam@Example.com");
  EXPECT_EQ(preview->merchant_name, "Acme");
  EXPECT_FALSE(preview->account_exists);

  // The password rules apply, with the merchant's name as a context word.
  auto weak = Accept(token, "acme rocks forever and ever");
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, "password_contains_context");
  EXPECT_EQ(weak.error().param, "password");
  auto g = Accept(token, kPassword);
  ASSERT_TRUE(g) << g.error().code;
  EXPECT_EQ(g->mfa, MfaState::kSatisfied);  // analyst, no policy
  Caller sam = MustAuth(g->token.Expose());
  ASSERT_EQ(sam.memberships.size(), 1u);
  EXPECT_EQ(sam.memberships[0].role.id, "analyst");

  // Single use.
  auto again = Accept(token, kPassword);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "invitation_invalid");
  auto look = RunTask(accounts_->LookupInvitation(token));
  ASSERT_FALSE(look);
  EXPECT_EQ(look.error().code, "invitation_invalid");
  // Signing in later works with the chosen password.
  EXPECT_TRUE(SignIn("sam@example.com"));
  auto rows = AuditRows("invitation.accept");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor_id, sam.user_id);
  EXPECT_EQ(rows[0].merchant_id, merchant_);
  EXPECT_EQ(rows[0].target, inv.invitation.id);
}

TEST_F(InvitationsTest, AnInvitationExpiresAfter72Hours) {
  IssuedInvitation inv = Invite("sam@example.com");
  clock_.Advance(72h);
  auto late = Accept(inv.token.Expose(), kPassword);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "invitation_invalid");
  EXPECT_EQ(late.error().type, ErrorType::kInvalidRequest);
}

TEST_F(InvitationsTest, ARevokedOrReplacedInvitationIsInvalid) {
  IssuedInvitation first = Invite("sam@example.com");
  IssuedInvitation second = Invite("sam@example.com");  // replaces the first
  EXPECT_FALSE(RunTask(accounts_->LookupInvitation(first.token.Expose())));
  auto pending = RunTask(team_->ListInvitations(Owner(), merchant_, {}));
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->data.size(), 1u);
  EXPECT_EQ(pending->data[0].id, second.invitation.id);
  auto revoked = RunTask(team_->RevokeInvitation(Owner(), merchant_, second.invitation.id, Ctx()));
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, "revoked");
  auto r = Accept(second.token.Expose(), kPassword);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "invitation_invalid");
  for (const std::string& junk : {std::string(), std::string("abc"), std::string(43, 'x')}) {
    auto j = RunTask(accounts_->LookupInvitation(junk));
    ASSERT_FALSE(j);
    EXPECT_EQ(j.error().code, "invitation_invalid");
  }
}

TEST_F(InvitationsTest, AnExistingAccountJoinsWithItsCurrentPassword) {
  const std::string other = NewMerchant("Beta");
  const std::string existing = NewUser("sam@example.com", other, "developer");
  IssuedInvitation inv = Invite("sam@example.com", "developer");
  auto preview = RunTask(accounts_->LookupInvitation(inv.token.Expose()));
  ASSERT_TRUE(preview);
  EXPECT_TRUE(preview->account_exists);
  auto wrong = Accept(inv.token.Expose(), "velvet orbit canyon lanterns");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "invalid_credentials");
  EXPECT_EQ(wrong.error().param, "password");
  auto g = Accept(inv.token.Expose(), kPassword);
  ASSERT_TRUE(g) << g.error().code;
  EXPECT_EQ(g->user_id, existing);
  Caller c = MustAuth(g->token.Expose());
  EXPECT_EQ(c.memberships.size(), 2u);
  // A member cannot be invited again.
  auto dup = RunTask(team_->Invite(Owner(), merchant_, "SAM@example.com", "analyst", Ctx()));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, "already_member");
  EXPECT_EQ(dup.error().type, ErrorType::kConflict);
}

TEST_F(InvitationsTest, InviteValidatesItsParameters) {
  auto bad_email = RunTask(team_->Invite(Owner(), merchant_, "not-an-address", "analyst", Ctx()));
  ASSERT_FALSE(bad_email);
  EXPECT_EQ(bad_email.error().param, "email");
  auto bad_role = RunTask(team_->Invite(Owner(), merchant_, "sam@example.com", "boss", Ctx()));
  ASSERT_FALSE(bad_role);
  EXPECT_EQ(bad_role.error().param, "role");
  EXPECT_EQ(bad_role.error().code, "parameter_invalid");
}

TEST_F(InvitationsTest, TheHookRunsInTheInvitationsTransaction) {
  std::string seen_token, seen_id;
  invite_hook_ = [&](store::Tx& tx, const Invitation& i, const Secret<std::string>& t, int64_t) {
    seen_token = t.Expose();
    seen_id = i.id;
    // The invitation and its audit record are visible inside the same transaction.
    int64_t n = 0;
    auto q =
        tx.Query("SELECT COUNT(*) FROM invitations WHERE id = ?", {i.id}, [&](const store::Row& r) {
          n = r.Int(0);
          return false;
        });
    if (!q) {
      return q;
    }
    EXPECT_EQ(n, 1);
    return Result<void>();
  };
  IssuedInvitation inv = Invite("sam@example.com");
  // The hook gets the whole invite link: the dashboard's origin, then the token in the fragment.
  EXPECT_EQ(seen_token, std::string(kOrigin) + "/invite#" + inv.token.Expose());
  EXPECT_EQ(seen_id, inv.invitation.id);
  auto rows = AuditRows("invitation.create");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].target, inv.invitation.id);
  EXPECT_EQ(rows[0].details, R"({"email":"sam@example.com","role":"analyst"})");

  // A failing hook (the event could not be written) rolls back the invitation and its audit.
  const int64_t audits = AuditCount();
  invite_hook_ = [](store::Tx&, const Invitation&, const Secret<std::string>&, int64_t) {
    return Result<void>(Error::Internal("event store unavailable"));
  };
  auto failed = RunTask(team_->Invite(Owner(), merchant_, "kim@example.com", "analyst", Ctx()));
  ASSERT_FALSE(failed);
  EXPECT_EQ(AuditCount(), audits);
  invite_hook_ = nullptr;
  auto list = RunTask(team_->ListInvitations(Owner(), merchant_, {}));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->data.size(), 1u);
  EXPECT_EQ(list->data[0].email, "sam@example.com");
}

}  // namespace
}  // namespace lp::people::testing
