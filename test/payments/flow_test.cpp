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

}  // namespace
}  // namespace lp::payments::flow
