#include "lp/payments/state_machine.hpp"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace lp::payments {
namespace {

using S = PaymentStatus;
const S kAll[] = {S::kRequiresPaymentMethod,
                  S::kRequiresConfirmation,
                  S::kRequiresAction,
                  S::kProcessing,
                  S::kRequiresCapture,
                  S::kSucceeded,
                  S::kFailed,
                  S::kCancelled};

TEST(StateMachine, EveryTransitionIsAllowedOrForbiddenExactlyAsSpecified) {
  const std::set<std::pair<S, S>> allowed = {
      {S::kRequiresPaymentMethod, S::kRequiresConfirmation},
      {S::kRequiresPaymentMethod, S::kProcessing},
      {S::kRequiresPaymentMethod, S::kCancelled},
      {S::kRequiresConfirmation, S::kProcessing},
      {S::kRequiresConfirmation, S::kCancelled},
      {S::kProcessing, S::kSucceeded},
      {S::kProcessing, S::kFailed},
      {S::kProcessing, S::kRequiresCapture},
      {S::kProcessing, S::kRequiresAction},
      {S::kProcessing, S::kCancelled},
      {S::kRequiresAction, S::kProcessing},
      {S::kRequiresAction, S::kCancelled},
      {S::kRequiresAction, S::kFailed},
      {S::kRequiresAction, S::kSucceeded},
      {S::kRequiresAction, S::kRequiresCapture},
      {S::kRequiresCapture, S::kProcessing},
      {S::kRequiresCapture, S::kSucceeded},
      {S::kRequiresCapture, S::kCancelled},
  };
  for (S from : kAll) {
    for (S to : kAll) {
      const bool expect = from == to || allowed.count({from, to}) > 0;
      EXPECT_EQ(IsAllowedTransition(from, to), expect) << ToString(from) << " -> " << ToString(to);
    }
  }
}

TEST(StateMachine, TerminalStatusesNeverChange) {
  for (S from : {S::kSucceeded, S::kFailed, S::kCancelled}) {
    EXPECT_TRUE(IsTerminal(from));
    for (S to : kAll) {
      if (to != from) {
        EXPECT_FALSE(IsAllowedTransition(from, to)) << ToString(from);
      }
    }
  }
}

TEST(StateMachine, ActionsStartOnlyFromTheirStatuses) {
  const std::set<std::pair<S, PaymentAction>> allowed = {
      {S::kRequiresPaymentMethod, PaymentAction::kConfirm},
      {S::kRequiresConfirmation, PaymentAction::kConfirm},
      {S::kRequiresCapture, PaymentAction::kCapture},
      {S::kRequiresPaymentMethod, PaymentAction::kCancel},
      {S::kRequiresConfirmation, PaymentAction::kCancel},
      {S::kRequiresAction, PaymentAction::kCancel},
      {S::kRequiresCapture, PaymentAction::kCancel},
      {S::kSucceeded, PaymentAction::kRefund},
  };
  for (S s : kAll) {
    for (auto a : {PaymentAction::kConfirm, PaymentAction::kCapture, PaymentAction::kCancel,
                   PaymentAction::kRefund}) {
      auto r = CheckAction(s, a);
      if (allowed.count({s, a})) {
        EXPECT_TRUE(r) << ToString(s) << " " << ToString(a);
      } else {
        ASSERT_FALSE(r) << ToString(s) << " " << ToString(a);
        EXPECT_EQ(r.error().type, ErrorType::kConflict);
        EXPECT_EQ(r.error().code, "invalid_state");
        EXPECT_NE(r.error().message.find(ToString(s)), std::string::npos);
      }
    }
  }
}

TEST(StateMachine, UnclearOutcomeIsProcessingNeverFailed) {
  for (auto a : {PaymentAction::kConfirm, PaymentAction::kCapture, PaymentAction::kCancel}) {
    EXPECT_EQ(StatusAfter(a, PspOutcome::kUnclear, CaptureMethod::kAutomatic, S::kProcessing),
              S::kProcessing);
  }
}

TEST(StateMachine, ConfirmOutcomesMapToStatuses) {
  EXPECT_EQ(StatusAfter(PaymentAction::kConfirm, PspOutcome::kCaptured, CaptureMethod::kAutomatic,
                        S::kRequiresConfirmation),
            S::kSucceeded);
  EXPECT_EQ(StatusAfter(PaymentAction::kConfirm, PspOutcome::kAuthorized, CaptureMethod::kManual,
                        S::kRequiresConfirmation),
            S::kRequiresCapture);
  EXPECT_EQ(StatusAfter(PaymentAction::kConfirm, PspOutcome::kDeclined, CaptureMethod::kAutomatic,
                        S::kRequiresConfirmation),
            S::kFailed);
  EXPECT_EQ(StatusAfter(PaymentAction::kConfirm, PspOutcome::kRequiresAction,
                        CaptureMethod::kAutomatic, S::kRequiresConfirmation),
            S::kRequiresAction);
}

TEST(StateMachine, CaptureAndVoidOutcomes) {
  EXPECT_EQ(StatusAfter(PaymentAction::kCapture, PspOutcome::kCaptured, CaptureMethod::kManual,
                        S::kRequiresCapture),
            S::kSucceeded);
  // A declined capture keeps the authorization.
  EXPECT_EQ(StatusAfter(PaymentAction::kCapture, PspOutcome::kDeclined, CaptureMethod::kManual,
                        S::kRequiresCapture),
            S::kRequiresCapture);
  EXPECT_EQ(StatusAfter(PaymentAction::kCancel, PspOutcome::kVoided, CaptureMethod::kManual,
                        S::kRequiresCapture),
            S::kCancelled);
}

TEST(StateMachine, StatusNamesRoundTrip) {
  for (S s : kAll) EXPECT_EQ(ParsePaymentStatus(ToString(s)), s);
  EXPECT_FALSE(ParsePaymentStatus("paid").has_value());
}

}  // namespace
}  // namespace lp::payments
