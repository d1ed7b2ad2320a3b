// Which PSP results settle an operation now (payments/flow.hpp): the rule the payment flow and
// the recovery sync share, so that an unclear or PSP-pending outcome is never applied as final.
#include "payments/flow.hpp"

#include <gtest/gtest.h>

namespace lp::payments::flow {
namespace {

using connectors::OperationResult;
using connectors::Outcome;

Result<OperationResult> Failure(std::string_view code) {
  return Error{ErrorType::kUnavailable, std::string(code), "m", {}, ""};
}

Result<OperationResult> Stated(Outcome o, bool pending = false) {
  OperationResult r;
  r.outcome = o;
  r.pending = pending;
  return r;
}

TEST(FlowTest, ClearFailuresAreThoseThatProveNothingWasDone) {
  for (auto code : {connectors::kPspUnknown, connectors::kPspUnavailable, connectors::kPspRejected,
                    connectors::kConnectorAuthenticationFailed}) {
    EXPECT_TRUE(IsClearFailure(Failure(code))) << code;
    EXPECT_TRUE(IsClear(Failure(code))) << code;
  }
}

TEST(FlowTest, SyncSettlesNothingWhenItCouldNotAskThePsp) {
  // A sync that could not reach the PSP, or whose credentials were refused, learned nothing
  // about a call that may have charged.
  EXPECT_FALSE(SyncSettles(Failure(connectors::kPspUnavailable)));
  EXPECT_FALSE(SyncSettles(Failure(connectors::kConnectorAuthenticationFailed)));
  EXPECT_FALSE(SyncSettles(Failure(connectors::kPspTimeout)));
  EXPECT_FALSE(SyncSettles(Stated(Outcome::kCaptured, true)));
  EXPECT_TRUE(SyncSettles(Failure(connectors::kPspUnknown)));
  EXPECT_TRUE(SyncSettles(Failure(connectors::kPspRejected)));
  EXPECT_TRUE(SyncSettles(Stated(Outcome::kCaptured)));
  EXPECT_TRUE(SyncSettles(Stated(Outcome::kDeclined)));
}

TEST(FlowTest, SyncBackoffDoublesFromOneSecondAndStopsAtAnHour) {
  EXPECT_EQ(SyncDelayUs(0), 1'000'000);
  EXPECT_EQ(SyncDelayUs(1), 2'000'000);
  EXPECT_EQ(SyncDelayUs(2), 4'000'000);
  EXPECT_EQ(SyncDelayUs(11), 2048'000'000);
  EXPECT_EQ(SyncDelayUs(12), 3600'000'000);
  EXPECT_EQ(SyncDelayUs(500), 3600'000'000);
  EXPECT_EQ(SyncDelayUs(3, 0.001), 8'000);
}

TEST(FlowTest, NextActionKeepsTheTypeAndAnHttpsRedirectOnly) {
  auto stripe = NextActionOf(
      R"({"type":"redirect_to_url","redirect_to_url":{"url":"https://hooks.stripe.com/3ds",)"
      R"("return_url":"https://shop.example"},"use_stripe_sdk":{"client_secret":"pi_s3cr3t"}})");
  ASSERT_TRUE(stripe);
  EXPECT_EQ(stripe->type, "redirect_to_url");
  EXPECT_EQ(stripe->redirect_url, "https://hooks.stripe.com/3ds");
  auto adyen = NextActionOf(
      R"({"type":"redirect","url":"https://checkoutshopper-test.adyen.com/x","method":"GET"})");
  ASSERT_TRUE(adyen);
  EXPECT_EQ(adyen->type, "redirect");
  EXPECT_EQ(adyen->redirect_url, "https://checkoutshopper-test.adyen.com/x");
  auto sdk = NextActionOf(R"({"type":"use_stripe_sdk","use_stripe_sdk":{"token":"t"}})");
  ASSERT_TRUE(sdk);
  EXPECT_FALSE(sdk->redirect_url);
  auto odd = NextActionOf(R"j({"type":"<script>","url":"javascript:alert(1)"})j");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->type, "unknown");
  EXPECT_FALSE(odd->redirect_url);
  EXPECT_FALSE(NextActionOf("not json"));
}

TEST(FlowTest, TimeoutsAndPspErrorsStayUnclear) {
  for (auto code : {connectors::kPspTimeout, connectors::kPspError, std::string_view("other")}) {
    EXPECT_FALSE(IsClearFailure(Failure(code))) << code;
    EXPECT_FALSE(IsClear(Failure(code))) << code;
  }
}

TEST(FlowTest, StatedOutcomesSettleUnlessPendingAtThePsp) {
  for (auto o : {Outcome::kAuthorized, Outcome::kCaptured, Outcome::kDeclined, Outcome::kVoided,
                 Outcome::kRefunded, Outcome::kRequiresAction}) {
    EXPECT_TRUE(IsClear(Stated(o)));
    EXPECT_FALSE(IsClearFailure(Stated(o)));
  }
  // Adyen's "received" capture/refund, a Stripe PaymentIntent in `processing`.
  EXPECT_FALSE(IsClear(Stated(Outcome::kCaptured, true)));
  EXPECT_FALSE(IsClear(Stated(Outcome::kRefunded, true)));
}

Attempt Op(std::string_view operation) {
  Attempt a;
  a.operation = *connectors::ParseOperation(operation);
  return a;
}

TEST(FlowTest, AuthorizationsCascadeOnSoftDeclinesAndProvableNonCharges) {
  auto soft = Stated(Outcome::kDeclined);
  soft->soft_decline = true;
  EXPECT_TRUE(Cascades(Op("authorize"), soft));
  for (auto code : {connectors::kPspUnavailable, connectors::kPspRejected,
                    connectors::kConnectorAuthenticationFailed}) {
    EXPECT_TRUE(Cascades(Op("authorize"), Failure(code))) << code;
  }
}

TEST(FlowTest, NoCascadeOnHardDeclinesSuccessesUnclearOutcomesOrOtherOperations) {
  EXPECT_FALSE(Cascades(Op("authorize"), Stated(Outcome::kDeclined)));  // hard
  EXPECT_FALSE(Cascades(Op("authorize"), Stated(Outcome::kCaptured)));
  EXPECT_FALSE(Cascades(Op("authorize"), Stated(Outcome::kRequiresAction)));
  // The first PSP may have charged: a timeout or an unclear error never moves on.
  for (auto code : {connectors::kPspTimeout, connectors::kPspError, connectors::kPspUnknown}) {
    EXPECT_FALSE(Cascades(Op("authorize"), Failure(code))) << code;
  }
  auto pending_soft = Stated(Outcome::kDeclined, true);
  pending_soft->soft_decline = true;
  EXPECT_FALSE(Cascades(Op("authorize"), pending_soft));
  auto soft = Stated(Outcome::kDeclined);
  soft->soft_decline = true;
  for (auto op : {"capture", "void", "refund"}) {
    EXPECT_FALSE(Cascades(Op(op), soft)) << op;
    EXPECT_FALSE(Cascades(Op(op), Failure(connectors::kPspUnavailable))) << op;
  }
}

}  // namespace
}  // namespace lp::payments::flow
