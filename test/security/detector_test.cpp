// The detectors fire at their threshold and not below, within the window, once per cooldown
// (fake time: every call takes `now`).
#include "lp/security/detector.hpp"

#include <gtest/gtest.h>

namespace lp::security {
namespace {

constexpr int64_t kS = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kS;

DetectorOptions Small() {
  DetectorOptions o;
  o.window_s = 60;
  o.cooldown_s = 600;
  o.signin_failures_per_account = 5;
  o.signin_failures_per_ip = 8;
  o.card_declines_per_ip = 4;
  o.card_declines_per_key = 6;
  o.distinct_cards_per_ip = 3;
  return o;
}

TEST(DetectorTest, SignInBurstFiresAtTheThresholdAndNotBelow) {
  Detector d(Small());
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(d.SignInFailure("usr_a", "203.0.113.7", kT0 + i * kS).empty()) << i;
  }
  auto found = d.SignInFailure("usr_a", "203.0.113.7", kT0 + 4 * kS);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, "signin_failure_burst");
  EXPECT_EQ(found[0].subject_type, "account");
  EXPECT_EQ(found[0].subject, "usr_a");
  EXPECT_EQ(found[0].count, 5);
  EXPECT_EQ(found[0].window_s, 60);
  // Within the cooldown the same burst is not reported again.
  EXPECT_TRUE(d.SignInFailure("usr_a", "203.0.113.7", kT0 + 5 * kS).empty());
}

TEST(DetectorTest, FailuresSpreadBeyondTheWindowDoNotFire) {
  Detector d(Small());
  // 20 failures, one every 15 s: never 5 within 60 s.
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(d.SignInFailure("usr_a", "", kT0 + i * 15 * kS).empty()) << i;
  }
  // Five within 60 s (the last of them at +59 s after the first) fire.
  Detector e(Small());
  for (int i = 0; i < 4; ++i) e.SignInFailure("usr_b", "", kT0 + i * 14 * kS);
  EXPECT_EQ(e.SignInFailure("usr_b", "", kT0 + 59 * kS).size(), 1u);
}

TEST(DetectorTest, PerAddressBurstAcrossAccounts) {
  Detector d(Small());
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(
        d.SignInFailure("usr_" + std::string(1, char('a' + i)), "198.51.100.9", kT0 + i * kS)
            .empty());
  }
  auto found = d.SignInFailure("usr_h", "198.51.100.9", kT0 + 7 * kS);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].subject_type, "ip");
  EXPECT_EQ(found[0].subject, "198.51.100.9");
}

TEST(DetectorTest, AlertAgainAfterTheCooldown) {
  Detector d(Small());
  for (int i = 0; i < 5; ++i) d.SignInFailure("usr_a", "", kT0 + i * kS);
  // 10 minutes later a new burst is a new alert.
  const int64_t later = kT0 + 601 * kS;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(d.SignInFailure("usr_a", "", later + i * kS).empty());
  EXPECT_EQ(d.SignInFailure("usr_a", "", later + 4 * kS).size(), 1u);
}

TEST(DetectorTest, CardTestingByDeclinesFromOneAddress) {
  Detector d(Small());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(
        d.PaymentOutcome("mer_a", "key_a", "203.0.113.7", "tok_same", true, kT0 + i * kS).empty());
  }
  auto found = d.PaymentOutcome("mer_a", "key_a", "203.0.113.7", "tok_same", true, kT0 + 3 * kS);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, "card_testing");
  EXPECT_EQ(found[0].subject_type, "ip");
  EXPECT_EQ(found[0].reason, "declines");
  // Approvals do not count as declines.
  Detector e(Small());
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(
        e.PaymentOutcome("mer_a", "key_a", "203.0.113.7", "tok_same", false, kT0 + i * kS).empty());
  }
}

TEST(DetectorTest, CardTestingByDistinctCardsFromOneAddress) {
  Detector d(Small());
  EXPECT_TRUE(d.PaymentOutcome("mer_a", "key_a", "203.0.113.7", "tok_a", false, kT0).empty());
  // The same card again is not a new card.
  EXPECT_TRUE(d.PaymentOutcome("mer_a", "key_a", "203.0.113.7", "tok_a", false, kT0 + kS).empty());
  EXPECT_TRUE(
      d.PaymentOutcome("mer_a", "key_a", "203.0.113.7", "tok_b", false, kT0 + 2 * kS).empty());
  auto found = d.PaymentOutcome("mer_a", "key_a", "203.0.113.7", "tok_c", false, kT0 + 3 * kS);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].reason, "distinct_cards");
}

TEST(DetectorTest, MerchantsAreCountedApart) {
  Detector d(Small());
  for (int i = 0; i < 3; ++i) d.PaymentOutcome("mer_a", "key_a", "203.0.113.7", "t", true, kT0);
  // mer_b's first decline from the same address is its first.
  EXPECT_TRUE(d.PaymentOutcome("mer_b", "key_b", "203.0.113.7", "t", true, kT0).empty());
}

TEST(DetectorTest, CardTestingByDeclinesOnOneKeyFromManyAddresses) {
  Detector d(Small());
  std::vector<Detection> found;
  for (int i = 0; i < 6; ++i) {
    found =
        d.PaymentOutcome("mer_a", "key_a", "10.0.0." + std::to_string(i), "t", true, kT0 + i * kS);
    if (i < 5) {
      EXPECT_TRUE(found.empty()) << i;
    }
  }
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].subject_type, "api_key");
  EXPECT_EQ(found[0].subject, "key_a");
}

TEST(DetectorTest, ZeroThresholdSwitchesADetectorOff) {
  DetectorOptions o = Small();
  o.signin_failures_per_account = 0;
  o.signin_failures_per_ip = 0;
  Detector d(o);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(d.SignInFailure("usr_a", "1.2.3.4", kT0).empty());
}

TEST(DetectorTest, MemoryIsBounded) {
  DetectorOptions o = Small();
  o.max_subjects = 100;
  Detector d(o);
  for (int i = 0; i < 10'000; ++i) {
    d.SignInFailure("usr_" + std::to_string(i), "10.1." + std::to_string(i % 250) + ".1", kT0 + i);
  }
  EXPECT_LE(d.TrackedForTest(), 100u);
}

TEST(DetectorTest, AdmitIsOncePerCooldown) {
  Detector d(Small());
  EXPECT_TRUE(d.Admit("revoked_key_used", "key_a", kT0));
  EXPECT_FALSE(d.Admit("revoked_key_used", "key_a", kT0 + 599 * kS));
  EXPECT_TRUE(d.Admit("revoked_key_used", "key_b", kT0));
  EXPECT_TRUE(d.Admit("revoked_key_used", "key_a", kT0 + 600 * kS));
}

}  // namespace
}  // namespace lp::security
