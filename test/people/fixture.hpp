// A hermetic people module for tests: a real SQLite store and key ring in a temp dir, a fake
// clock, the real argon2id parameters on a 2-thread pool, and helpers to make merchants,
// accounts, sessions and TOTP codes.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lp/audit/audit.hpp"
#include "lp/common/random.hpp"
#include "lp/crypto/totp.hpp"
#include "lp/people/account_service.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/operator_service.hpp"
#include "lp/people/team_service.hpp"
#include "support/temp_dir.hpp"

namespace lp::people::testing {

using namespace std::chrono_literals;

// Runs a coroutine to completion on a private io_context.
template <class T>
T RunTask(Task<T> task) {
  boost::asio::io_context ioc;
  auto fut = boost::asio::co_spawn(ioc, std::move(task), boost::asio::use_future);
  while (fut.wait_for(0ms) != std::future_status::ready) {
    ioc.restart();
    ioc.run_for(2ms);
  }
  return fut.get();
}

inline constexpr const char* kPassword = "velvet orbit canyon lantern";
inline constexpr const char* kIp = "203.0.113.7";
inline constexpr const char* kOrigin = "https://dashboard.example.test";

// An audit record as stored.
struct AuditRow {
  int64_t seq = 0;
  int64_t time = 0;
  std::string actor_type, actor_id, action, target, merchant_id, outcome, source_ip, request_id,
      details;
};

// RFC 4648 base32 decoding (the secret in an otpauth:// URI).
std::string Base32Decode(std::string_view s);

class PeopleTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  Deps MakeDeps() { return Deps{*store_, *keyring_, *hasher_, policy_, clock_, SystemRandom()}; }
  RequestContext Ctx(std::string request_id = "req_test") {
    return RequestContext{kIp, "test-agent/1.0", std::move(request_id), kOrigin};
  }

  std::string NewMerchant(const std::string& name);
  // A user (member of `merchant` with `role`) or an operator with kPassword.
  std::string NewUser(const std::string& email, const std::string& merchant,
                      const std::string& role);
  std::string NewOperator(const std::string& email, const std::string& role);

  Result<SessionGrant> SignIn(const std::string& email, const std::string& password = kPassword,
                              AccountKind kind = AccountKind::kUser);
  SessionGrant MustSignIn(const std::string& email, AccountKind kind = AccountKind::kUser);
  Result<Caller> Auth(const std::string& token, MfaGate gate = MfaGate::kSatisfied,
                      AccountKind kind = AccountKind::kUser);
  Caller MustAuth(const std::string& token, MfaGate gate = MfaGate::kSatisfied,
                  AccountKind kind = AccountKind::kUser);

  // Enrols MFA for the session's account; returns the raw TOTP secret and the rotated session.
  struct Enrolled {
    std::string secret;
    std::vector<std::string> recovery_codes;
    SessionGrant session;
  };
  Enrolled Enrol(const std::string& token, AccountKind kind = AccountKind::kUser);
  // A fully signed-in session (password, then enrolment or the TOTP step).
  SessionGrant SignInWithMfa(const std::string& email, const std::string& secret,
                             AccountKind kind = AccountKind::kUser);
  std::string CodeAt(const std::string& secret, int64_t step_offset = 0);
  // Moves the clock to the start of the next TOTP step (so a new code exists).
  void NextStep();

  std::vector<AuditRow> AuditRows(const std::string& action = {});
  int64_t AuditCount();
  std::string DumpDatabase();  // the database and WAL files as bytes

  std::unique_ptr<lp::testing::TempDir> tmp_;  // a new scratch directory per test
  std::filesystem::path dir_;                  // tmp_'s path
  store::StorePtr store_;
  std::unique_ptr<crypto::KeyRing> keyring_;
  std::unique_ptr<crypto::PasswordHasher> hasher_;
  PasswordPolicy policy_;
  FakeClock clock_{1'767'225'600'000'000};  // 2026-01-01T00:00:00Z
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<TeamService> team_;
  std::unique_ptr<OperatorService> operators_;
  // Called inside Invite's transaction (TeamService's hook).
  std::function<Result<void>(store::Tx&, const Invitation&, const Secret<std::string>&, int64_t)>
      invite_hook_;
};

}  // namespace lp::people::testing
