#include "lp/connectors/sandbox.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>

#include "support/money.hpp"
#include "support/temp_dir.hpp"

namespace lp::connectors::sandbox {
namespace {

OperationRequest Req(std::string token, std::string key = "k1", bool auto_capture = true) {
  OperationRequest r;
  r.payment_id = "pay_1";
  r.idempotency_key = std::move(key);
  r.payment_method = std::move(token);
  r.amount = lp::testing::MoneyOf(1000, "USD");
  r.auto_capture = auto_capture;
  return r;
}

TEST(SandboxDecide, TokensMapToDeterministicOutcomes) {
  EXPECT_EQ(SandboxConnector::Decide(Operation::kAuthorize, Req("tok_visa")).outcome, "captured");
  EXPECT_EQ(
      SandboxConnector::Decide(Operation::kAuthorize, Req("tok_mastercard", "k", false)).outcome,
      "authorized");
  EXPECT_EQ(SandboxConnector::Decide(Operation::kAuthorize, Req("tok_3ds_required")).outcome,
            "requires_action");
  auto d = SandboxConnector::Decide(Operation::kAuthorize, Req("tok_decline_stolen"));
  EXPECT_EQ(d.outcome, "declined");
  EXPECT_EQ(d.decline_code, "stolen_card");
  EXPECT_EQ(
      SandboxConnector::Decide(Operation::kAuthorize, Req("tok_decline_do_not_honor")).decline_code,
      "do_not_honor");
  EXPECT_EQ(SandboxConnector::Decide(Operation::kAuthorize, Req("tok_decline_insufficient_funds"))
                .decline_code,
            "insufficient_funds");
  EXPECT_EQ(SandboxConnector::Decide(Operation::kRefund, Req("tok_visa")).outcome, "refunded");
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = Ledger::Open(path_);
    ASSERT_TRUE(l);
    ledger_ = std::move(*l);
  }
  void TearDown() override { ledger_.reset(); }
  Result<OperationResult> Run(SandboxConnector& c, bool sync, OperationRequest req,
                              std::string simulate = {}) {
    boost::asio::io_context ioc;
    Account acct{"ca_1", "sandbox", "Sandbox", "", 0};
    acct.simulate = std::move(simulate);
    auto fut = boost::asio::co_spawn(
        ioc,
        [&]() -> Task<Result<OperationResult>> {
          if (sync) co_return co_await c.Sync(acct, Operation::kAuthorize, req);
          co_return co_await c.Execute(acct, Operation::kAuthorize, req);
        },
        boost::asio::use_future);
    ioc.run();
    return fut.get();
  }
  testing::TempDir dir_{"lp_sbx"};
  std::string path_ = dir_.File("ledger.jsonl");
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(SandboxTest, ARepeatedIdempotencyKeyChargesOnce) {
  SandboxConnector c(*ledger_, 0, 10);
  auto a = Run(c, false, Req("tok_visa", "same"));
  auto b = Run(c, false, Req("tok_visa", "same"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->psp_reference, b->psp_reference);
  EXPECT_EQ(ledger_->Size(), 1u);
}

TEST_F(SandboxTest, TimeoutChargesButDoesNotAnswerAndSyncFindsTheCharge) {
  SandboxConnector c(*ledger_, 0, 5);
  auto r = Run(c, false, Req("tok_timeout", "t1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kPspTimeout);
  auto s = Run(c, true, Req("tok_timeout", "t1"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->outcome, Outcome::kCaptured);
}

TEST_F(SandboxTest, UnavailableRecordsNothingSyncHasNoRecord) {
  SandboxConnector c(*ledger_, 0, 5);
  for (auto [token, simulate] :
       {std::pair{"tok_psp_unavailable", ""}, std::pair{"tok_visa", "unavailable"}}) {
    const std::string key = std::string("u-") + token;
    auto r = Run(c, false, Req(token, key), simulate);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kPspUnavailable);
    auto s = Run(c, true, Req(token, key), simulate);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, kPspUnknown);
  }
  EXPECT_EQ(ledger_->Size(), 0u);
}

TEST_F(SandboxTest, SimulatedSoftDeclineAndTimeoutOverrideTheToken) {
  SandboxConnector c(*ledger_, 0, 5);
  auto d = Run(c, false, Req("tok_visa", "s1"), "soft_decline");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->outcome, Outcome::kDeclined);
  EXPECT_EQ(d->decline_code, "do_not_honor");
  EXPECT_TRUE(d->soft_decline);
  auto t = Run(c, false, Req("tok_decline_stolen", "t1"), "timeout");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, kPspTimeout);
  auto s = Run(c, true, Req("tok_decline_stolen", "t1"), "timeout");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->outcome, Outcome::kCaptured);  // it charged: the sync finds it
}

TEST_F(SandboxTest, PspErrorChargesNothingAndSyncHasNoRecord) {
  SandboxConnector c(*ledger_, 0, 5);
  auto r = Run(c, false, Req("tok_psp_error", "e1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kPspError);
  auto s = Run(c, true, Req("tok_psp_error", "e1"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, kPspUnknown);
  EXPECT_EQ(ledger_->Size(), 0u);
}

TEST_F(SandboxTest, TheLedgerSurvivesAReopen) {
  {
    SandboxConnector c(*ledger_, 0, 5);
    ASSERT_TRUE(Run(c, false, Req("tok_visa", "persist")));
  }
  ledger_.reset();
  auto l = Ledger::Open(path_);
  ASSERT_TRUE(l);
  auto e = (*l)->Find("persist");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->outcome, "captured");
  EXPECT_EQ(e->amount, 1000);
}

TEST_F(SandboxTest, ManyEntriesAreFoundByKeyFromTheFileAfterAReopen) {
  constexpr int kEntries = 2000;
  for (int i = 0; i < kEntries; ++i) {
    LedgerEntry e;
    e.idempotency_key = "k" + std::to_string(i);
    e.operation = "authorize";
    e.amount = i;
    e.outcome = "captured";
    ledger_->Record(e);
  }
  LedgerEntry again;
  again.idempotency_key = "k7";
  again.amount = 999999;  // a repeated key keeps the first record
  EXPECT_EQ(ledger_->Record(again).amount, 7);
  ledger_.reset();
  auto l = Ledger::Open(path_);
  ASSERT_TRUE(l);
  EXPECT_EQ((*l)->Size(), static_cast<size_t>(kEntries));
  for (int i : {0, 1, 7, 1234, kEntries - 1}) {
    auto e = (*l)->Find("k" + std::to_string(i));
    ASSERT_TRUE(e.has_value()) << i;
    EXPECT_EQ(e->amount, i);
  }
  EXPECT_FALSE((*l)->Find("k" + std::to_string(kEntries)).has_value());
  ledger_ = std::move(*l);
}

TEST_F(SandboxTest, ATornLastLineIsEndedSoTheNextEntryStaysReadable) {
  ledger_->Record(
      LedgerEntry{"whole", "authorize", "pay_1", "tok_visa", 1, "usd", "r1", "captured", ""});
  ledger_.reset();
  {
    std::ofstream torn(path_, std::ios::app);
    torn << R"({"idempotency_key":"torn","operat)";  // killed mid-write
  }
  auto l = Ledger::Open(path_);
  ASSERT_TRUE(l);
  (*l)->Record(
      LedgerEntry{"after", "authorize", "pay_2", "tok_visa", 2, "usd", "r2", "captured", ""});
  EXPECT_FALSE((*l)->Find("torn").has_value());
  l->reset();
  auto again = Ledger::Open(path_);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->Size(), 2u);
  ASSERT_TRUE((*again)->Find("whole").has_value());
  auto after = (*again)->Find("after");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->psp_reference, "r2");
  ledger_ = std::move(*again);
}

}  // namespace
}  // namespace lp::connectors::sandbox
