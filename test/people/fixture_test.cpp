#include "fixture.hpp"

#include <fstream>
#include <iterator>

#include "lp/crypto/keyring.hpp"
#include "support/temp_keyring.hpp"

namespace lp::people::testing {

std::string Base32Decode(std::string_view s) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : s) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    }
    if (v < 0) {
      continue;
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

void PeopleTest::SetUp() {
  tmp_ = std::make_unique<lp::testing::TempDir>("lp_people");
  dir_ = tmp_->path();
  auto s = store::OpenStore({(dir_ / "people.db").string(), 2, true});
  ASSERT_TRUE(s) << s.error().detail;
  store_ = std::move(*s);
  auto k = lp::testing::OpenTempKeyRing(*tmp_);
  ASSERT_TRUE(k) << k.error().detail;
  keyring_ = std::move(*k);
  hasher_ = std::make_unique<crypto::PasswordHasher>(crypto::PasswordHasher::Options{2, 64, {}});
  accounts_ = std::make_unique<AccountService>(MakeDeps());
  team_ = std::make_unique<TeamService>(
      MakeDeps(), TeamOptions{},
      [this](store::Tx& tx, const Invitation& i, const Secret<std::string>& t, int64_t now) {
        return invite_hook_ ? invite_hook_(tx, i, t, now) : Result<void>();
      });
  operators_ = std::make_unique<OperatorService>(MakeDeps());
}

void PeopleTest::TearDown() {
  operators_.reset();
  team_.reset();
  accounts_.reset();
  hasher_.reset();
  if (store_) {
    store_->Close();
  }
  store_.reset();
  tmp_.reset();
}

std::string PeopleTest::NewMerchant(const std::string& name) {
  const std::string id = NewId("mer");
  auto r = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto e = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?,?,?)",
                     {id, name, clock_.NowMicros()});
    if (!e) {
      return e.error();
    }
    return {};
  });
  EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  return id;
}

std::string PeopleTest::NewUser(const std::string& email, const std::string& merchant,
                                const std::string& role) {
  AccountSpec spec;
  spec.kind = AccountKind::kUser;
  spec.email = email;
  spec.merchant_id = merchant;
  spec.role = role;
  spec.password = kPassword;
  auto c = CreateAccountSync(*store_, policy_, SystemRandom(), clock_, spec,
                             Actor{"system", "test", "", ""});
  EXPECT_TRUE(c) << (c ? "" : c.error().code + ": " + c.error().message);
  return c ? c->user_id : std::string();
}

std::string PeopleTest::NewOperator(const std::string& email, const std::string& role) {
  AccountSpec spec;
  spec.kind = AccountKind::kOperator;
  spec.email = email;
  spec.role = role;
  spec.password = std::string(kPassword) + " 42";
  auto c = CreateAccountSync(*store_, policy_, SystemRandom(), clock_, spec,
                             Actor{"system", "test", "", ""});
  EXPECT_TRUE(c) << (c ? "" : c.error().code + ": " + c.error().message);
  return c ? c->user_id : std::string();
}

Result<SessionGrant> PeopleTest::SignIn(const std::string& email, const std::string& password,
                                        AccountKind kind) {
  return RunTask(accounts_->SignIn(kind, email, SecureBytes(password), Ctx()));
}

SessionGrant PeopleTest::MustSignIn(const std::string& email, AccountKind kind) {
  auto g = SignIn(
      email, kind == AccountKind::kOperator ? std::string(kPassword) + " 42" : kPassword, kind);
  EXPECT_TRUE(g) << (g ? "" : g.error().code);
  return g ? std::move(*g) : SessionGrant{};
}

Result<Caller> PeopleTest::Auth(const std::string& token, MfaGate gate, AccountKind kind) {
  return RunTask(accounts_->Authenticate(kind, token, gate, Ctx()));
}

Caller PeopleTest::MustAuth(const std::string& token, MfaGate gate, AccountKind kind) {
  auto c = Auth(token, gate, kind);
  EXPECT_TRUE(c) << (c ? "" : c.error().code);
  return c ? std::move(*c) : Caller{};
}

PeopleTest::Enrolled PeopleTest::Enrol(const std::string& token, AccountKind kind) {
  Enrolled out;
  Caller c = MustAuth(token, MfaGate::kEnrollment, kind);
  auto e = RunTask(accounts_->StartEnrollment(c, Ctx()));
  EXPECT_TRUE(e) << (e ? "" : e.error().code);
  if (!e) {
    return out;
  }
  out.secret = Base32Decode(e->secret_base32);
  auto codes = RunTask(accounts_->ConfirmEnrollment(c, CodeAt(out.secret), Ctx()));
  EXPECT_TRUE(codes) << (codes ? "" : codes.error().code);
  if (!codes) {
    return out;
  }
  for (const auto& s : codes->codes) {
    out.recovery_codes.push_back(s.Expose());
  }
  out.session = std::move(*codes->session);
  return out;
}

SessionGrant PeopleTest::SignInWithMfa(const std::string& email, const std::string& secret,
                                       AccountKind kind) {
  NextStep();  // a code never used before
  SessionGrant g = MustSignIn(email, kind);
  EXPECT_EQ(g.mfa, MfaState::kRequired);
  Caller c = MustAuth(g.token.Expose(), MfaGate::kMfaChallenge, kind);
  auto v = RunTask(accounts_->VerifyMfa(c, SecondFactor{CodeAt(secret), false}, Ctx()));
  EXPECT_TRUE(v) << (v ? "" : v.error().code);
  return v ? std::move(*v) : SessionGrant{};
}

std::string PeopleTest::CodeAt(const std::string& secret, int64_t step_offset) {
  const int64_t step = crypto::TotpStep(clock_.NowSeconds()) + step_offset;
  auto code = crypto::TotpCodeAtStep(secret, step);
  EXPECT_TRUE(code);
  return code ? *code : std::string();
}

void PeopleTest::NextStep() {
  const int64_t s = clock_.NowSeconds();
  clock_.Set((s - s % 30 + 30) * 1'000'000 + 1'000'000);
}

std::vector<AuditRow> PeopleTest::AuditRows(const std::string& action) {
  std::vector<AuditRow> out;
  auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
    return tx.Query(
        "SELECT seq, time, actor_type, actor_id, action, target, merchant_id, outcome, source_ip, "
        "request_id, details FROM audit_log ORDER BY seq",
        {}, [&](const store::Row& row) {
          AuditRow a{row.Int(0),  row.Int(1),  row.Text(2), row.Text(3), row.Text(4), row.Text(5),
                     row.Text(6), row.Text(7), row.Text(8), row.Text(9), row.Text(10)};
          if (action.empty() || a.action == action) {
            out.push_back(std::move(a));
          }
          return true;
        });
  });
  EXPECT_TRUE(r);
  return out;
}

int64_t PeopleTest::AuditCount() { return static_cast<int64_t>(AuditRows().size()); }

std::string PeopleTest::DumpDatabase() {
  // The database file and its WAL as bytes: what an attacker with a copy of the disk reads.
  std::string out;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().filename().string().rfind("people.db", 0) != 0) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

}  // namespace lp::people::testing
