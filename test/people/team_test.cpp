// A merchant's team: roles (built-in and custom), the last owner, granting only what one holds,
// tenancy (another merchant's objects are not found), the security policy, and the principal a
// user becomes for the merchant API's services.
#include "fixture.hpp"
#include "lp/people/permissions.hpp"

namespace lp::people::testing {
namespace {

class TeamTest : public PeopleTest {
 protected:
  void SetUp() override {
    PeopleTest::SetUp();
    merchant_ = NewMerchant("Acme");
    owner_ = NewUser("owner@example.com", merchant_, "owner");
    Enrolled e = Enrol(MustSignIn("owner@example.com").token.Expose());
    owner_secret_ = e.secret;
    owner_token_ = e.session.token.Expose();
  }
  Caller Owner() { return MustAuth(owner_token_); }
  // A signed-in member with `role` (and MFA when the role needs it).
  Caller Member(const std::string& email, const std::string& role) {
    NewUser(email, merchant_, role);
    SessionGrant g = MustSignIn(email);
    if (g.mfa == MfaState::kEnroll) {
      return MustAuth(Enrol(g.token.Expose()).session.token.Expose());
    }
    return MustAuth(g.token.Expose());
  }
  std::string merchant_, owner_, owner_secret_, owner_token_;
};

TEST_F(TeamTest, BuiltInRolesFollowTheContractTable) {
  const auto& owner = FindBuiltinRole("owner")->permissions;
  const auto& support = FindBuiltinRole("support")->permissions;
  EXPECT_EQ(owner.size(), MerchantPermissions().size());
  EXPECT_TRUE(Holds(support, "payments:read"));
  EXPECT_FALSE(Holds(support, "pii:read"));
  EXPECT_FALSE(Holds(support, "api_keys:read"));
  EXPECT_TRUE(Holds(FindBuiltinRole("developer")->permissions, "webhooks:read"));  // via :write
  EXPECT_FALSE(Holds(FindBuiltinRole("developer")->permissions, "users:write"));
  EXPECT_FALSE(Holds(FindBuiltinRole("analyst")->permissions, "refunds:write"));
  EXPECT_FALSE(Holds(FindBuiltinRole("admin")->permissions, "merchants:read"));
  EXPECT_TRUE(FindBuiltinRole("owner")->mfa_required);
  EXPECT_TRUE(FindBuiltinRole("admin")->mfa_required);
  EXPECT_FALSE(FindBuiltinRole("developer")->mfa_required);
  EXPECT_FALSE(Holds({}, "payments:read"));  // deny by default
  EXPECT_FALSE(Holds(FindOperatorRole("support")->permissions, "merchants:write"));
  EXPECT_TRUE(Holds(FindOperatorRole("security_auditor")->permissions, "audit:read"));
}

TEST_F(TeamTest, TheLastOwnerCannotBeDemotedOrRemoved) {
  Caller owner = Owner();
  auto demote = RunTask(team_->ChangeRole(owner, merchant_, owner_, "admin", Ctx()));
  ASSERT_FALSE(demote);
  EXPECT_EQ(demote.error().code, "last_owner");
  EXPECT_EQ(demote.error().type, ErrorType::kConflict);
  auto remove = RunTask(team_->RemoveUser(owner, merchant_, owner_, Ctx()));
  ASSERT_FALSE(remove);
  EXPECT_EQ(remove.error().code, "last_owner");
  // With a second owner, the first may step down.
  Caller admin = Member("admin@example.com", "admin");
  auto promote = RunTask(team_->ChangeRole(owner, merchant_, admin.user_id, "owner", Ctx()));
  ASSERT_TRUE(promote) << promote.error().code;
  EXPECT_EQ(promote->role.id, "owner");
  auto step_down = RunTask(team_->ChangeRole(owner, merchant_, owner_, "admin", Ctx()));
  EXPECT_TRUE(step_down) << step_down.error().code;
  auto rows = AuditRows("user.role_change");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].actor_id, owner_);
  EXPECT_EQ(rows[1].target, owner_);
  EXPECT_EQ(rows[1].merchant_id, merchant_);
  EXPECT_EQ(rows[1].details, R"({"from":"owner","to":"admin"})");
}

TEST_F(TeamTest, OnlyAnOwnerTouchesOwnersAndNobodyGrantsWhatTheyLack) {
  Caller admin = Member("admin@example.com", "admin");
  auto make_owner = RunTask(team_->ChangeRole(admin, merchant_, admin.user_id, "owner", Ctx()));
  ASSERT_FALSE(make_owner);
  EXPECT_EQ(make_owner.error().code, "permission_denied");
  auto touch_owner = RunTask(team_->ChangeRole(admin, merchant_, owner_, "analyst", Ctx()));
  ASSERT_FALSE(touch_owner);
  EXPECT_EQ(touch_owner.error().code, "permission_denied");
  auto remove_owner = RunTask(team_->RemoveUser(admin, merchant_, owner_, Ctx()));
  ASSERT_FALSE(remove_owner);
  EXPECT_EQ(remove_owner.error().code, "permission_denied");
  // A developer lacks users:write: the route's permission.
  Caller dev = Member("dev@example.com", "developer");
  auto by_dev = RunTask(team_->ChangeRole(dev, merchant_, dev.user_id, "admin", Ctx()));
  ASSERT_FALSE(by_dev);
  EXPECT_EQ(by_dev.error().code, "permission_denied");
  EXPECT_EQ(by_dev.error().message, "Your role lacks `users:write`.");
  // A custom role with users:write but not refunds:write cannot hand out "developer".
  RoleParams rp;
  rp.name = "People desk";
  rp.permissions = std::vector<std::string>{"users:write", "payments:read"};
  auto role = RunTask(team_->CreateRole(Owner(), merchant_, rp, Ctx()));
  ASSERT_TRUE(role) << role.error().code;
  NewUser("hr@example.com", merchant_, "analyst");
  ASSERT_TRUE(store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec("UPDATE memberships SET role_id = ? WHERE merchant_id = ? AND user_id = "
                     "(SELECT id FROM users WHERE email = 'hr@example.com')",
                     {role->id, merchant_});
    if (!r) {
      return r.error();
    }
    return {};
  }));
  Caller hr = MustAuth(MustSignIn("hr@example.com").token.Expose());
  auto grant = RunTask(team_->ChangeRole(hr, merchant_, dev.user_id, "admin", Ctx()));
  ASSERT_FALSE(grant);
  EXPECT_EQ(grant.error().code, "permission_denied");
  auto invite = RunTask(team_->Invite(hr, merchant_, "new@example.com", "developer", Ctx()));
  ASSERT_FALSE(invite);
  EXPECT_EQ(invite.error().code, "permission_denied");
  auto ok = RunTask(team_->Invite(hr, merchant_, "new@example.com", role->id, Ctx()));
  EXPECT_TRUE(ok) << ok.error().code;
}

TEST_F(TeamTest, AnotherMerchantsUsersAndObjectsAreNotFound) {
  const std::string other = NewMerchant("Beta");
  const std::string beta_user = NewUser("beta@example.com", other, "developer");
  Caller owner = Owner();
  // Acme's owner has no membership of Beta: 404, never 403.
  auto list = RunTask(team_->ListUsers(owner, other, {}));
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().type, ErrorType::kNotFound);
  auto policy = RunTask(team_->GetPolicy(owner, other));
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().type, ErrorType::kNotFound);
  // Beta's user is not a member of Acme.
  auto change = RunTask(team_->ChangeRole(owner, merchant_, beta_user, "analyst", Ctx()));
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().type, ErrorType::kNotFound);
  auto end = RunTask(team_->RevokeUserSessions(owner, merchant_, beta_user, Ctx()));
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().type, ErrorType::kNotFound);
  // A custom role of Beta cannot be granted in Acme.
  ASSERT_TRUE(store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec(
        "INSERT INTO roles (id, merchant_id, name, name_key, permissions, created, updated) "
        "VALUES ('role_beta', ?, 'Beta role', 'beta role', 'payments:read', 0, 0)",
        {other});
    if (!r) {
      return r.error();
    }
    return {};
  }));
  Caller dev = Member("dev@example.com", "developer");
  auto foreign_role = RunTask(team_->ChangeRole(owner, merchant_, dev.user_id, "role_beta", Ctx()));
  ASSERT_FALSE(foreign_role);
  EXPECT_EQ(foreign_role.error().param, "role");
  auto del = RunTask(team_->DeleteRole(owner, merchant_, "role_beta", Ctx()));
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().type, ErrorType::kNotFound);
  // Authorize itself: membership before anything else.
  auto a = Authorize(owner, other, "payments:read");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().type, ErrorType::kNotFound);
}

TEST_F(TeamTest, CustomRolesAreValidatedAndCannotBeDeletedWhileInUse) {
  Caller owner = Owner();
  RoleParams bad;
  bad.name = "Refunds desk";
  bad.permissions = std::vector<std::string>{"payments:read", "refunds:explode"};
  auto unknown = RunTask(team_->CreateRole(owner, merchant_, bad, Ctx()));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "parameter_invalid");
  EXPECT_EQ(unknown.error().param, "permissions[1]");
  RoleParams builtin_name;
  builtin_name.name = "owner";
  builtin_name.permissions = std::vector<std::string>{"payments:read"};
  auto clash = RunTask(team_->CreateRole(owner, merchant_, builtin_name, Ctx()));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().param, "name");
  RoleParams empty_name;
  empty_name.name = "  ";
  empty_name.permissions = std::vector<std::string>{};
  auto blank = RunTask(team_->CreateRole(owner, merchant_, empty_name, Ctx()));
  ASSERT_FALSE(blank);
  EXPECT_EQ(blank.error().param, "name");

  RoleParams good;
  good.name = "Refunds desk";
  good.permissions = std::vector<std::string>{"payments:read", "refunds:write"};
  auto role = RunTask(team_->CreateRole(owner, merchant_, good, Ctx()));
  ASSERT_TRUE(role) << role.error().code;
  EXPECT_EQ(role->id.rfind("role_", 0), 0u);
  RoleParams dup;
  dup.name = "REFUNDS DESK";
  dup.permissions = std::vector<std::string>{"payments:read"};
  auto twice = RunTask(team_->CreateRole(owner, merchant_, dup, Ctx()));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().param, "name");

  // Held by an invitation: in use.
  auto inv = RunTask(team_->Invite(owner, merchant_, "sam@example.com", role->id, Ctx()));
  ASSERT_TRUE(inv);
  auto in_use = RunTask(team_->DeleteRole(owner, merchant_, role->id, Ctx()));
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().code, "role_in_use");
  ASSERT_TRUE(RunTask(team_->RevokeInvitation(owner, merchant_, inv->invitation.id, Ctx())));
  RoleParams update;
  update.permissions = std::vector<std::string>{"payments:read"};
  auto updated = RunTask(team_->UpdateRole(owner, merchant_, role->id, update, Ctx()));
  ASSERT_TRUE(updated) << updated.error().code;
  EXPECT_EQ(updated->permissions, std::vector<std::string>{"payments:read"});
  EXPECT_EQ(updated->name, "Refunds desk");
  auto builtin = RunTask(team_->UpdateRole(owner, merchant_, "admin", update, Ctx()));
  ASSERT_FALSE(builtin);
  EXPECT_EQ(builtin.error().param, "id");
  ASSERT_TRUE(RunTask(team_->DeleteRole(owner, merchant_, role->id, Ctx())));
  auto roles = RunTask(team_->ListRoles(owner, merchant_));
  ASSERT_TRUE(roles);
  ASSERT_EQ(roles->size(), 5u);
  EXPECT_EQ((*roles)[0].id, "owner");
  EXPECT_EQ((*roles)[0].users, 1);
  for (const char* action : {"role.create", "role.update", "role.delete"}) {
    auto rows = AuditRows(action);
    ASSERT_EQ(rows.size(), 1u) << action;
    EXPECT_EQ(rows[0].merchant_id, merchant_);
    EXPECT_EQ(rows[0].target, role->id);
    EXPECT_EQ(rows[0].outcome, "success");
  }
}

TEST_F(TeamTest, StepUpIsNeededForRoleAndPolicyChanges) {
  Caller dev = Member("dev@example.com", "developer");
  clock_.Advance(5min + 1s);
  Caller owner = Owner();
  auto change = RunTask(team_->ChangeRole(owner, merchant_, dev.user_id, "analyst", Ctx()));
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().code, "reauthentication_required");
  PolicyParams p;
  p.idle_timeout_minutes = 10;
  auto policy = RunTask(team_->UpdatePolicy(owner, merchant_, p, Ctx()));
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().code, "reauthentication_required");
  NextStep();
  auto re = RunTask(accounts_->Reauthenticate(owner, SecureBytes(kPassword),
                                              SecondFactor{CodeAt(owner_secret_), false}, Ctx()));
  ASSERT_TRUE(re) << re.error().code;
  owner_token_ = re->token.Expose();
  EXPECT_TRUE(RunTask(team_->ChangeRole(Owner(), merchant_, dev.user_id, "analyst", Ctx())));
}

TEST_F(TeamTest, PolicyLimitsAndAudit) {
  Caller owner = Owner();
  PolicyParams too_long;
  too_long.idle_timeout_minutes = 16;
  auto idle = RunTask(team_->UpdatePolicy(owner, merchant_, too_long, Ctx()));
  ASSERT_FALSE(idle);
  EXPECT_EQ(idle.error().param, "idle_timeout_minutes");
  PolicyParams zero;
  zero.absolute_timeout_hours = 0;
  auto abs = RunTask(team_->UpdatePolicy(owner, merchant_, zero, Ctx()));
  ASSERT_FALSE(abs);
  EXPECT_EQ(abs.error().param, "absolute_timeout_hours");
  auto before = RunTask(team_->GetPolicy(owner, merchant_));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->idle_timeout_minutes, 15);
  EXPECT_EQ(before->absolute_timeout_hours, 12);
  PolicyParams p;
  p.idle_timeout_minutes = 10;
  p.absolute_timeout_hours = 8;
  auto after = RunTask(team_->UpdatePolicy(owner, merchant_, p, Ctx()));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->idle_timeout_minutes, 10);
  EXPECT_EQ(after->updated_by, owner_);
  auto rows = AuditRows("security_policy.update");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].details.find(R"("before":{"mfa_required_for_all":false,"idle_timeout_minutes":15)"),
            std::string::npos)
      << rows[0].details;
  EXPECT_NE(rows[0].details.find(R"("idle_timeout_minutes":10,"absolute_timeout_hours":8)"),
            std::string::npos);
}

TEST_F(TeamTest, RemovingAMemberEndsItsAccessAtOnce) {
  Caller dev = Member("dev@example.com", "developer");
  auto list = RunTask(team_->ListUsers(Owner(), merchant_, {}));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->data.size(), 2u);
  EXPECT_EQ(list->data[0].user_id, dev.user_id);  // newest first
  ASSERT_TRUE(RunTask(team_->RemoveUser(Owner(), merchant_, dev.user_id, Ctx())));
  // The next request of the removed member has no membership: 404.
  SessionGrant g = MustSignIn("dev@example.com");
  Caller again = MustAuth(g.token.Expose());
  EXPECT_TRUE(again.memberships.empty());
  auto a = Authorize(again, merchant_, "payments:read");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().type, ErrorType::kNotFound);
  auto rows = AuditRows("user.remove");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].target, dev.user_id);
}

TEST_F(TeamTest, UsersListIsCursorPaginated) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(1s);
    ids.push_back(NewUser("m" + std::to_string(i) + "@example.com", merchant_, "analyst"));
  }
  ListParams p;
  p.limit = 2;
  auto first = RunTask(team_->ListUsers(Owner(), merchant_, p));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->data.size(), 2u);
  EXPECT_TRUE(first->has_more);
  EXPECT_EQ(first->data[0].user_id, ids[4]);
  EXPECT_EQ(first->data[1].user_id, ids[3]);
  p.starting_after = ids[3];
  auto second = RunTask(team_->ListUsers(Owner(), merchant_, p));
  ASSERT_TRUE(second);
  ASSERT_EQ(second->data.size(), 2u);
  EXPECT_EQ(second->data[0].user_id, ids[2]);
  p.starting_after.reset();
  p.ending_before = ids[2];
  auto back = RunTask(team_->ListUsers(Owner(), merchant_, p));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->data.size(), 2u);
  EXPECT_EQ(back->data[0].user_id, ids[4]);
  EXPECT_EQ(back->data[1].user_id, ids[3]);
  p.ending_before = "usr_nobody";
  auto unknown = RunTask(team_->ListUsers(Owner(), merchant_, p));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().param, "ending_before");
}

TEST_F(TeamTest, APrincipalCarriesTheRolesPermissionsAsScopes) {
  Caller owner = Owner();
  const Membership* m = owner.FindMembership(merchant_);
  ASSERT_NE(m, nullptr);
  Principal p = ToPrincipal(owner, *m, Mode::kLive);
  EXPECT_EQ(p.key_type, "user");
  EXPECT_EQ(p.merchant_id, merchant_);
  EXPECT_EQ(p.mode, Mode::kLive);
  EXPECT_EQ(p.user_id, owner_);
  EXPECT_EQ(p.session_id, owner.session_id);
  EXPECT_EQ(p.role, "owner");
  EXPECT_FALSE(p.pii_masked);
  EXPECT_NE(std::find(p.scopes.begin(), p.scopes.end(), std::string(kSecretKeyGrant)),
            p.scopes.end());
  Caller support = Member("support@example.com", "support");
  Principal s = ToPrincipal(support, *support.FindMembership(merchant_), Mode::kTest);
  EXPECT_TRUE(s.pii_masked);
  EXPECT_EQ(std::find(s.scopes.begin(), s.scopes.end(), std::string(kSecretKeyGrant)),
            s.scopes.end());
  Actor actor = ToActor(support, Ctx());
  EXPECT_EQ(actor.type, "user");
  EXPECT_EQ(actor.id, support.user_id);
  EXPECT_EQ(actor.source_ip, kIp);
  EXPECT_EQ(MaskEmail("jane@example.com"), "j•••@example.com");
  EXPECT_EQ(MaskEmail("élodie@example.fr"), "é•••@example.fr");
}

TEST_F(TeamTest, AFrozenMerchantRefusesItsMembers) {
  ASSERT_TRUE(store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec("UPDATE merchants SET frozen = 1 WHERE id = ?", {merchant_});
    if (!r) {
      return r.error();
    }
    return {};
  }));
  Caller owner = Owner();
  auto a = Authorize(owner, merchant_, "payments:read");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, "merchant_frozen");
  auto list = RunTask(team_->ListUsers(owner, merchant_, {}));
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, "merchant_frozen");
}

}  // namespace
}  // namespace lp::people::testing
