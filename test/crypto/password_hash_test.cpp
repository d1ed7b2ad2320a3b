// argon2id password hashes (libsodium) and the bounded hashing pool.
#include "lp/crypto/password_hash.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <latch>

#include "support/run_task.hpp"

namespace lp::crypto {
namespace {

using namespace std::chrono_literals;

using lp::testing::RunTask;

TEST(PasswordHash, IsAnArgon2idPhcStringWithTheChosenParameters) {
  auto h = HashPassword("correct horse battery staple");
  ASSERT_TRUE(h) << h.error().detail;
  // ASVS 5 Appendix C / STANDARDS AUTH-23: m = 19 MiB (19456 KiB), t = 2, p = 1.
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *h;
}

TEST(PasswordHash, SamePasswordGivesDifferentHashesAndBothVerify) {
  auto a = HashPassword("correct horse battery staple");
  auto b = HashPassword("correct horse battery staple");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // per-hash random salt
  EXPECT_TRUE(VerifyPassword(*a, "correct horse battery staple").value());
  EXPECT_TRUE(VerifyPassword(*b, "correct horse battery staple").value());
  EXPECT_FALSE(VerifyPassword(*a, "correct horse battery stapl").value());
  EXPECT_FALSE(VerifyPassword(*a, "Correct horse battery staple").value());
}

TEST(PasswordHash, NoTruncationOfLongPasswords) {
  const std::string long_pw(200, 'x');
  auto h = HashPassword(long_pw);
  ASSERT_TRUE(h);
  EXPECT_TRUE(VerifyPassword(*h, long_pw).value());
  EXPECT_FALSE(VerifyPassword(*h, long_pw.substr(0, 72)).value());  // the bcrypt pitfall
}

TEST(PasswordHash, RefusesParametersBelowTheFloorAndMalformedHashes) {
  EXPECT_FALSE(HashPassword("x", PasswordHashParams{1, kMinMemLimit}));
  EXPECT_FALSE(HashPassword("x", PasswordHashParams{2, 8u * 1024 * 1024}));
  EXPECT_FALSE(VerifyPassword("$2b$10$abcdefghijklmnopqrstuv", "x"));
  EXPECT_FALSE(VerifyPassword("", "x"));
}

TEST(PasswordHash, NeedsRehashWhenParametersGrow) {
  auto h = HashPassword("correct horse battery staple");
  ASSERT_TRUE(h);
  EXPECT_FALSE(PasswordNeedsRehash(*h));
  EXPECT_TRUE(PasswordNeedsRehash(*h, PasswordHashParams{3, kMinMemLimit}));
}

TEST(PasswordHasher, HashesAndVerifiesOffTheCallingThread) {
  PasswordHasher pool({2, 8, {}});
  auto h = RunTask(pool.Hash(SecureBytes("correct horse battery staple")));
  ASSERT_TRUE(h);
  EXPECT_TRUE(RunTask(pool.Verify(*h, SecureBytes("correct horse battery staple"))).value());
  EXPECT_FALSE(RunTask(pool.Verify(*h, SecureBytes("wrong horse battery staple"))).value());
  auto other = HashPassword("another password entirely");
  ASSERT_TRUE(other);
  EXPECT_EQ(
      RunTask(pool.VerifyAny({*other, *h}, SecureBytes("correct horse battery staple"))).value(),
      1);
  EXPECT_EQ(RunTask(pool.VerifyAny({*other}, SecureBytes("nope nope nope nope"))).value(), -1);
  EXPECT_EQ(pool.GetStats().completed, 5u);
}

TEST(PasswordHasher, RefusesAtOnceWhenTheQueueIsFull) {
  // One thread, room for two waiting jobs: the fourth job is refused without waiting.
  PasswordHasher pool({1, 2, {}});
  std::latch release(1);
  std::atomic<int> ran{0};
  std::atomic<int> refused{0};
  std::atomic<int> done{0};
  auto on_done = [&](Result<void> r) {
    if (!r) {
      EXPECT_EQ(r.error().type, ErrorType::kUnavailable);
      EXPECT_EQ(r.error().code, "service_unavailable");
      ++refused;
    }
    ++done;
  };
  std::latch started(1);
  pool.Submit(
      [&] {
        started.count_down();
        release.wait();
        ++ran;
      },
      on_done);
  started.wait();  // the first job runs; the next two wait in the queue
  pool.Submit([&] { ++ran; }, on_done);
  pool.Submit([&] { ++ran; }, on_done);
  pool.Submit([&] { ++ran; }, on_done);
  EXPECT_EQ(refused.load(), 1);
  EXPECT_EQ(pool.GetStats().queued, 2u);
  EXPECT_EQ(pool.GetStats().rejected, 1u);
  release.count_down();
  while (done.load() < 4) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(ran.load(), 3);
}

TEST(PasswordHasher, RunsAtMostThreadsJobsAtOnce) {
  PasswordHasher pool({2, 64, {}});
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<int> done{0};
  for (int i = 0; i < 12; ++i) {
    pool.Submit(
        [&] {
          const int now = ++running;
          int p = peak.load();
          while (now > p && !peak.compare_exchange_weak(p, now)) {
          }
          std::this_thread::sleep_for(5ms);
          --running;
        },
        [&](Result<void>) { ++done; });
  }
  while (done.load() < 12) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(peak.load(), 2);
}

}  // namespace
}  // namespace lp::crypto
