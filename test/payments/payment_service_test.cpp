// PaymentService over a real SQLite store (test/support/temp_store.hpp) with the fake PSP
// (test/support/fake_psp/): what the service answers and stores for each PSP outcome, and what
// the PSP was asked (operation, account, amount, idempotency key). The merchant and its
// connector accounts are made with the merchants module's own functions, as the server does.
#include "lp/payments/payment_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "lp/crypto/keyring.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "support/fake_psp/fake_psp.hpp"
#include "support/run_task.hpp"
#include "support/temp_keyring.hpp"
#include "support/temp_store.hpp"

namespace lp::payments {
namespace {

namespace fake_psp = lp::testing::fake_psp;
using connectors::Operation;
using lp::testing::RunTask;

Money Eur(int64_t minor_units) { return Money{minor_units, *LookupCurrency("EUR")}; }

class PaymentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = lp::testing::OpenTempStore(dir_);
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
    auto k = lp::testing::OpenTempKeyRing(dir_);
    ASSERT_TRUE(k) << k.error().detail;
    keyring_ = std::move(*k);
    // The built-in connectors (the sandbox, without an executor) plus the fake: one line.
    connectors::BuiltinOptions options;
    options.sandbox_ledger_path = dir_.File("sandbox.jsonl");
    auto registry = connectors::MakeBuiltinConnectors(options);
    ASSERT_TRUE(registry) << registry.error().detail;
    registry_ = std::move(*registry);
    registry_->Add(psp_.Connector());

    // A merchant as `liasonpay merchant create` makes it (with its test sandbox account).
    auto w = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
      auto m = merchants::CreateMerchant(tx, "Acme", clock_);
      if (!m) return m.error();
      principal_.merchant_id = *m;
      return {};
    });
    ASSERT_TRUE(w) << w.error().detail;
    principal_.mode = Mode::kTest;
    principal_.key_id = "key_test";
    principal_.key_type = "secret";
    accounts_ = std::make_unique<merchants::ConnectorAccountService>(*store_, *keyring_, clock_,
                                                                     /*dev_mode=*/false);
    service_ = std::make_unique<PaymentService>(*store_, *registry_, clock_, 10000, keyring_.get());
  }

  // A "fakepsp" connector account of the merchant, as POST /v1/connector_accounts makes it.
  // Accounts are routed in creation order: each is made one second after the previous one.
  std::string FakeAccount(const std::string& label) {
    clock_.Advance(std::chrono::seconds(1));
    merchants::AccountParams params;
    params.connector = std::string(fake_psp::kName);
    params.label = label;
    auto a = RunTask(accounts_->Create(principal_, params, actor_));
    EXPECT_TRUE(a) << a.error().detail;
    return a ? a->id : std::string();
  }

  static std::string IdOf(const Answer& answer) {
    return std::string(boost::json::parse(answer.body).as_object().at("id").as_string());
  }

  Result<Answer> Pay(int64_t amount, CaptureMethod capture = CaptureMethod::kAutomatic,
                     Idempotency idem = {}, std::optional<std::string> account = std::nullopt) {
    CreatePaymentParams params;
    params.amount = Eur(amount);
    params.payment_method = std::string(fake_psp::kCard);
    params.capture_method = capture;
    params.confirm = true;
    params.connector_account = std::move(account);
    return RunTask(service_->Create(principal_, std::move(params), std::move(idem)));
  }

  Payment Get(const std::string& id) {
    auto p = RunTask(service_->Get(principal_, id));
    EXPECT_TRUE(p) << p.error().detail;
    return p ? *p : Payment{};
  }

  // A payment that went through with automatic capture (amount received).
  Payment Paid(int64_t amount) {
    auto answer = Pay(amount);
    EXPECT_TRUE(answer) << answer.error().detail;
    Payment p = Get(answer ? IdOf(*answer) : "");
    EXPECT_EQ(p.status, PaymentStatus::kSucceeded);
    return p;
  }

  Result<Answer> RefundOf(const std::string& payment, std::optional<int64_t> amount) {
    RefundParams params;
    params.payment_id = payment;
    params.amount = amount;
    return RunTask(service_->CreateRefund(principal_, params, {}, actor_));
  }

  // The recovery pass as the server runs it (attempts last updated before now).
  size_t Recover() {
    clock_.Advance(std::chrono::seconds(1));
    return RunTask(service_->Recover(false, clock_.NowMicros()));
  }

  lp::testing::TempDir dir_{"lp_payment_service"};
  store::StorePtr store_;
  std::unique_ptr<crypto::KeyRing> keyring_;
  FakeClock clock_{1'767'225'600'000'000};  // 2026-01-01T00:00:00Z
  fake_psp::FakePsp psp_;
  std::unique_ptr<connectors::ConnectorRegistry> registry_;
  Principal principal_;
  Actor actor_{"api_key", "key_test", "203.0.113.7", "req_test"};
  std::unique_ptr<merchants::ConnectorAccountService> accounts_;
  std::unique_ptr<PaymentService> service_;
};

TEST_F(PaymentServiceTest, AnApprovedPaymentSucceedsAfterOneAuthorizationAtThePsp) {
  const std::string account = FakeAccount("Fake A");
  auto answer = Pay(2500);
  ASSERT_TRUE(answer) << answer.error().detail;
  EXPECT_FALSE(answer->replayed);
  EXPECT_FALSE(answer->declined);
  const Payment p = Get(IdOf(*answer));
  EXPECT_EQ(p.status, PaymentStatus::kSucceeded);
  EXPECT_EQ(p.amount_received, 2500);
  EXPECT_EQ(p.amount_capturable, 0);
  EXPECT_EQ(p.connector, std::string(fake_psp::kName));
  EXPECT_EQ(p.connector_account_id, account);  // the sandbox account does not take fake_…
  EXPECT_FALSE(p.last_error);
  // The rendered answer says the same.
  const auto body = boost::json::parse(answer->body).as_object();
  EXPECT_EQ(body.at("status").as_string(), "succeeded");
  EXPECT_EQ(body.at("amount_received").as_int64(), 2500);

  const auto calls = psp_.Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].operation, Operation::kAuthorize);
  EXPECT_FALSE(calls[0].sync);
  EXPECT_EQ(calls[0].connector_account, account);
  EXPECT_EQ(calls[0].payment_id, p.id);
  EXPECT_EQ(calls[0].amount, Eur(2500));
  EXPECT_EQ(calls[0].payment_method, fake_psp::kCard);
  EXPECT_TRUE(calls[0].auto_capture);
  // The PSP idempotency key is the attempt's, stored before the call.
  ASSERT_EQ(p.attempts.size(), 1u);
  EXPECT_EQ(calls[0].idempotency_key, p.attempts[0].idempotency_key);
  EXPECT_EQ(calls[0].idempotency_key, p.attempts[0].id);
  EXPECT_EQ(p.psp_reference, "fake_1");
}

TEST_F(PaymentServiceTest, AManualCaptureHoldsTheAmountThenCapturesPartOfIt) {
  FakeAccount("Fake A");
  auto answer = Pay(4000, CaptureMethod::kManual);
  ASSERT_TRUE(answer) << answer.error().detail;
  const std::string id = IdOf(*answer);
  Payment p = Get(id);
  EXPECT_EQ(p.status, PaymentStatus::kRequiresCapture);
  EXPECT_EQ(p.amount_capturable, 4000);
  EXPECT_EQ(p.amount_received, 0);

  // More than was authorized is refused before the PSP is asked.
  auto too_much = RunTask(service_->Capture(principal_, id, 4001, {}, actor_));
  ASSERT_FALSE(too_much);
  EXPECT_EQ(too_much.error().code, "amount_too_large");
  EXPECT_EQ(psp_.Executed(Operation::kCapture).size(), 0u);

  auto captured = RunTask(service_->Capture(principal_, id, 3000, {}, actor_));
  ASSERT_TRUE(captured) << captured.error().detail;
  p = Get(id);
  EXPECT_EQ(p.status, PaymentStatus::kSucceeded);
  EXPECT_EQ(p.amount_received, 3000);
  EXPECT_EQ(p.amount_capturable, 0);  // the rest is released

  const auto auth = psp_.Executed(Operation::kAuthorize);
  const auto capture = psp_.Executed(Operation::kCapture);
  ASSERT_EQ(auth.size(), 1u);
  ASSERT_EQ(capture.size(), 1u);
  EXPECT_FALSE(auth[0].auto_capture);
  EXPECT_EQ(capture[0].amount, Eur(3000));
  EXPECT_EQ(capture[0].payment_id, id);
  EXPECT_EQ(capture[0].psp_reference, "fake_1");                   // the authorization's reference
  EXPECT_NE(capture[0].idempotency_key, auth[0].idempotency_key);  // an attempt of its own
}

TEST_F(PaymentServiceTest, CancellingAnAuthorizationVoidsItAtThePsp) {
  FakeAccount("Fake A");
  auto answer = Pay(1200, CaptureMethod::kManual);
  ASSERT_TRUE(answer) << answer.error().detail;
  const std::string id = IdOf(*answer);
  auto cancelled = RunTask(service_->Cancel(principal_, id, {}, actor_));
  ASSERT_TRUE(cancelled) << cancelled.error().detail;
  const Payment p = Get(id);
  EXPECT_EQ(p.status, PaymentStatus::kCancelled);
  EXPECT_EQ(p.amount_capturable, 0);
  const auto voids = psp_.Executed(Operation::kVoid);
  ASSERT_EQ(voids.size(), 1u);
  EXPECT_EQ(voids[0].amount, Eur(1200));
  EXPECT_EQ(voids[0].psp_reference, "fake_1");
}

TEST_F(PaymentServiceTest, RefundsArePartialOrFullAndNeverMoreThanWasReceived) {
  FakeAccount("Fake A");
  const Payment paid = Paid(5000);

  auto partial = RefundOf(paid.id, 2000);
  ASSERT_TRUE(partial) << partial.error().detail;
  const std::string first_id = IdOf(*partial);
  auto first = RunTask(service_->GetRefund(principal_, first_id));
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->status, RefundStatus::kSucceeded);
  EXPECT_EQ(first->amount, Eur(2000));
  EXPECT_EQ(first->payment_id, paid.id);
  EXPECT_EQ(Get(paid.id).amount_refunded, 2000);

  // Over-refunding is refused before the PSP is asked, and reserves nothing.
  auto over = RefundOf(paid.id, 3001);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "amount_too_large");
  EXPECT_EQ(psp_.Executed(Operation::kRefund).size(), 1u);
  EXPECT_EQ(Get(paid.id).amount_refunded, 2000);

  // No amount: the rest.
  auto rest = RefundOf(paid.id, std::nullopt);
  ASSERT_TRUE(rest) << rest.error().detail;
  auto second = RunTask(service_->GetRefund(principal_, IdOf(*rest)));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, RefundStatus::kSucceeded);
  EXPECT_EQ(second->amount, Eur(3000));
  const Payment refunded = Get(paid.id);
  EXPECT_EQ(refunded.amount_refunded, 5000);
  EXPECT_EQ(refunded.amount_received, 5000);

  auto again = RefundOf(paid.id, 1);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "charge_already_refunded");

  const auto refunds = psp_.Executed(Operation::kRefund);
  ASSERT_EQ(refunds.size(), 2u);
  EXPECT_EQ(refunds[0].amount, Eur(2000));
  EXPECT_EQ(refunds[1].amount, Eur(3000));
  // A refund's PSP idempotency key is the refund's id; both refer to the payment's charge.
  EXPECT_EQ(refunds[0].idempotency_key, first_id);
  EXPECT_EQ(refunds[1].idempotency_key, second->id);
  EXPECT_EQ(refunds[0].psp_reference, paid.psp_reference.value_or("?"));
  EXPECT_EQ(first->psp_reference, "fakere_2");
}

TEST_F(PaymentServiceTest, AHardDeclineFailsThePaymentWithItsCodeAndNeverCascades) {
  const std::string a = FakeAccount("Fake A");
  FakeAccount("Fake B");  // a second account is there, but a hard decline stays a decline
  psp_.Then(fake_psp::HardDecline("stolen_card"));
  auto answer = Pay(900);
  ASSERT_TRUE(answer) << answer.error().detail;
  EXPECT_TRUE(answer->declined);
  const Payment p = Get(IdOf(*answer));
  EXPECT_EQ(p.status, PaymentStatus::kFailed);
  EXPECT_EQ(p.amount_received, 0);
  ASSERT_TRUE(p.last_error);
  EXPECT_EQ(p.last_error->code, "card_declined");
  EXPECT_EQ(p.last_error->decline_code, "stolen_card");
  const auto calls = psp_.Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].connector_account, a);

  // A failed payment is not captured or refunded: nothing reaches the PSP.
  EXPECT_FALSE(RefundOf(p.id, std::nullopt));
  EXPECT_EQ(psp_.Calls().size(), 1u);
}

TEST_F(PaymentServiceTest, ASoftDeclineFailsOverToTheNextAccountWithANewIdempotencyKey) {
  const std::string a = FakeAccount("Fake A");
  const std::string b = FakeAccount("Fake B");
  psp_.Then(fake_psp::SoftDecline("do_not_honor")).Then(fake_psp::Approve());
  auto answer = Pay(1500);
  ASSERT_TRUE(answer) << answer.error().detail;
  EXPECT_FALSE(answer->declined);
  const Payment p = Get(IdOf(*answer));
  EXPECT_EQ(p.status, PaymentStatus::kSucceeded);
  EXPECT_EQ(p.connector_account_id, b);
  EXPECT_EQ(p.amount_received, 1500);
  ASSERT_EQ(p.attempts.size(), 2u);
  EXPECT_EQ(p.attempts[0].connector_account_id, a);
  EXPECT_EQ(p.attempts[0].decline_code, "do_not_honor");
  EXPECT_EQ(p.attempts[1].connector_account_id, b);
  EXPECT_EQ(p.attempts[1].routing_reason, "cascade_after_soft_decline");

  const auto calls = psp_.Executed(Operation::kAuthorize);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].connector_account, a);
  EXPECT_EQ(calls[1].connector_account, b);
  EXPECT_EQ(calls[0].amount, Eur(1500));
  EXPECT_EQ(calls[1].amount, Eur(1500));
  EXPECT_EQ(calls[0].payment_id, calls[1].payment_id);
  EXPECT_NE(calls[0].idempotency_key, calls[1].idempotency_key);
  EXPECT_EQ(calls[1].idempotency_key, p.attempts[1].idempotency_key);
}

TEST_F(PaymentServiceTest, SoftDeclinesEverywhereFailWithTheLastDecline) {
  FakeAccount("Fake A");
  FakeAccount("Fake B");
  psp_.Then(fake_psp::SoftDecline("do_not_honor"))
      .Then(fake_psp::SoftDecline("insufficient_funds"));
  auto answer = Pay(700);
  ASSERT_TRUE(answer) << answer.error().detail;
  EXPECT_TRUE(answer->declined);
  const Payment p = Get(IdOf(*answer));
  EXPECT_EQ(p.status, PaymentStatus::kFailed);
  ASSERT_TRUE(p.last_error);
  EXPECT_EQ(p.last_error->decline_code, "insufficient_funds");
  EXPECT_EQ(psp_.Executed(Operation::kAuthorize).size(), 2u);
}

TEST_F(PaymentServiceTest, ANamedAccountIsTheOnlyOneCalled) {
  FakeAccount("Fake A");
  const std::string b = FakeAccount("Fake B");
  psp_.Then(fake_psp::SoftDecline());
  auto answer = Pay(800, CaptureMethod::kAutomatic, {}, b);
  ASSERT_TRUE(answer) << answer.error().detail;
  EXPECT_EQ(Get(IdOf(*answer)).status, PaymentStatus::kFailed);  // no cascade from a choice
  const auto calls = psp_.Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].connector_account, b);
}

TEST_F(PaymentServiceTest, AnUnclearOutcomeStaysProcessingUntilRecoverySyncsIt) {
  FakeAccount("Fake A");
  FakeAccount("Fake B");
  psp_.Then(fake_psp::Timeout());  // the PSP charged, but its answer was lost
  auto answer = Pay(3300);
  ASSERT_TRUE(answer) << answer.error().detail;
  const std::string id = IdOf(*answer);
  Payment p = Get(id);
  EXPECT_EQ(p.status, PaymentStatus::kProcessing);
  EXPECT_EQ(p.amount_received, 0);
  // A timeout may have charged: never cascaded to the second account.
  EXPECT_EQ(psp_.Executed(Operation::kAuthorize).size(), 1u);

  EXPECT_EQ(Recover(), 1u);
  p = Get(id);
  EXPECT_EQ(p.status, PaymentStatus::kSucceeded);
  EXPECT_EQ(p.amount_received, 3300);
  EXPECT_EQ(p.psp_reference, "fake_1");
  // The sync asked about the very call that timed out (same key, same account), and the PSP
  // processed one operation: the customer was charged once.
  const auto auth = psp_.Executed(Operation::kAuthorize);
  const auto synced = psp_.Synced();
  ASSERT_EQ(synced.size(), 1u);
  EXPECT_EQ(synced[0].idempotency_key, auth[0].idempotency_key);
  EXPECT_EQ(synced[0].connector_account, auth[0].connector_account);
  EXPECT_EQ(synced[0].amount, Eur(3300));
  EXPECT_EQ(psp_.Processed(), 1u);
  EXPECT_EQ(Recover(), 0u);  // settled: nothing left to sync
  EXPECT_EQ(psp_.Synced().size(), 1u);
}

TEST_F(PaymentServiceTest, AnUnclearOutcomeThePspHasNoRecordOfFailsTheSyncedPayment) {
  FakeAccount("Fake A");
  psp_.Then(fake_psp::LostTimeout());
  auto answer = Pay(600);
  ASSERT_TRUE(answer) << answer.error().detail;
  const std::string id = IdOf(*answer);
  EXPECT_EQ(Get(id).status, PaymentStatus::kProcessing);
  EXPECT_EQ(Recover(), 1u);
  const Payment p = Get(id);
  EXPECT_EQ(p.status, PaymentStatus::kFailed);
  EXPECT_EQ(p.amount_received, 0);
  ASSERT_TRUE(p.last_error);
  EXPECT_EQ(p.last_error->code, "psp_error");
  EXPECT_EQ(psp_.Synced().size(), 1u);
  EXPECT_EQ(psp_.Processed(), 0u);
}

TEST_F(PaymentServiceTest, AnUnreachablePspFailsOverBecauseNothingWasSent) {
  FakeAccount("Fake A");
  const std::string b = FakeAccount("Fake B");
  psp_.Then(fake_psp::Unavailable());
  auto answer = Pay(1000);
  ASSERT_TRUE(answer) << answer.error().detail;
  const Payment p = Get(IdOf(*answer));
  EXPECT_EQ(p.status, PaymentStatus::kSucceeded);
  EXPECT_EQ(p.connector_account_id, b);
  ASSERT_EQ(p.attempts.size(), 2u);
  EXPECT_EQ(p.attempts[1].routing_reason, "cascade_after_psp_unavailable");
  EXPECT_EQ(psp_.Processed(), 1u);
}

TEST_F(PaymentServiceTest, RequiresActionKeepsThePspsRedirectForTheCustomer) {
  FakeAccount("Fake A");
  psp_.Then(fake_psp::RequiresAction());
  auto answer = Pay(1900);
  ASSERT_TRUE(answer) << answer.error().detail;
  const Payment p = Get(IdOf(*answer));
  EXPECT_EQ(p.status, PaymentStatus::kRequiresAction);
  EXPECT_EQ(p.amount_received, 0);
  const auto body = boost::json::parse(answer->body).as_object();
  EXPECT_EQ(body.at("status").as_string(), "requires_action");
  const auto* next = body.if_contains("next_action");
  ASSERT_TRUE(next && next->is_object()) << answer->body;
  EXPECT_NE(boost::json::serialize(*next).find("https://fakepsp.test/3ds"), std::string::npos)
      << answer->body;
}

TEST_F(PaymentServiceTest, ARetriedRequestIsAnsweredFromItsIdempotencyRecordWithoutAPspCall) {
  FakeAccount("Fake A");
  const Idempotency idem{"order-42", "hash-of-the-request", {"payments:write"}};
  auto first = Pay(2100, CaptureMethod::kAutomatic, idem);
  ASSERT_TRUE(first) << first.error().detail;
  auto retry = Pay(2100, CaptureMethod::kAutomatic, idem);
  ASSERT_TRUE(retry) << retry.error().detail;
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->body, first->body);
  EXPECT_EQ(psp_.Calls().size(), 1u);
  // Another request under the same key is refused, and reaches no PSP either.
  auto other = Pay(2200, CaptureMethod::kAutomatic,
                   Idempotency{"order-42", "hash-of-another-request", {"payments:write"}});
  ASSERT_FALSE(other);
  EXPECT_EQ(psp_.Calls().size(), 1u);
  auto list = RunTask(service_->List(principal_, ListParams{}));
  ASSERT_TRUE(list);
  EXPECT_EQ(list->items.size(), 1u);
}

TEST_F(PaymentServiceTest, APspRetryOfTheSameAttemptIsDeduplicatedByItsKey) {
  // What the PSP idempotency key buys: the attempt's key sent again (a sync after a lost
  // answer, or any replay of the same call) is answered from the PSP's record, not charged again.
  FakeAccount("Fake A");
  psp_.Then(fake_psp::Timeout()).Then(fake_psp::HardDecline());  // the decline is never used
  auto answer = Pay(5100);
  ASSERT_TRUE(answer) << answer.error().detail;
  const std::string id = IdOf(*answer);
  EXPECT_EQ(Recover(), 1u);
  EXPECT_EQ(Get(id).status, PaymentStatus::kSucceeded);
  // The same request again, straight to the connector: the recorded approval, nothing new.
  auto connector = psp_.Connector();
  const Payment p = Get(id);
  connectors::OperationRequest req;
  req.payment_id = id;
  req.idempotency_key = p.attempts[0].idempotency_key;
  req.payment_method = std::string(fake_psp::kCard);
  req.amount = Eur(5100);
  connectors::Account account;
  account.id = *p.connector_account_id;
  account.connector = std::string(fake_psp::kName);
  auto again = RunTask(connector->Execute(account, Operation::kAuthorize, req));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, connectors::Outcome::kCaptured);
  EXPECT_EQ(again->psp_reference, "fake_1");
  EXPECT_EQ(psp_.Processed(), 1u);
  EXPECT_TRUE(psp_.Calls().back().replayed);
}

TEST_F(PaymentServiceTest, TheFakesDescriptorNamesItAndMakesAConnector) {
  const auto& d = fake_psp::Descriptor();
  EXPECT_EQ(d.name, fake_psp::kName);
  EXPECT_TRUE(d.accepts(fake_psp::kCard));
  EXPECT_FALSE(d.accepts("tok_visa"));
  auto c = d.make(connectors::ConnectorContext{});
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->Name(), fake_psp::kName);
  EXPECT_TRUE((*c)->Accepts(fake_psp::kCard));
}

}  // namespace
}  // namespace lp::payments
