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

Attempt Op(const char* operation) {
  Attempt a;
  a.operation = operation;
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
