#include "lp/payments/state_machine.hpp"

namespace lp::payments {

using S = PaymentStatus;

std::string_view ToString(PaymentAction a) {
  switch (a) {
    case PaymentAction::kConfirm:
      return "confirm";
    case PaymentAction::kCapture:
      return "capture";
    case PaymentAction::kCancel:
      return "cancel";
    case PaymentAction::kRefund:
      return "refund";
  }
  return "unknown";
}

bool IsTerminal(PaymentStatus s) {
  return s == S::kSucceeded || s == S::kFailed || s == S::kCancelled;
}

Result<void> CheckAction(PaymentStatus from, PaymentAction action) {
  bool ok = false;
  switch (action) {
    case PaymentAction::kConfirm:
      ok = from == S::kRequiresConfirmation || from == S::kRequiresPaymentMethod;
      break;
    case PaymentAction::kCapture:
      ok = from == S::kRequiresCapture;
      break;
    case PaymentAction::kCancel:
      ok = from == S::kRequiresPaymentMethod || from == S::kRequiresConfirmation ||
           from == S::kRequiresAction || from == S::kRequiresCapture;
      break;
    case PaymentAction::kRefund:
      ok = from == S::kSucceeded;
      break;
  }
  if (ok) return {};
  return Error::Conflict("invalid_state", "This payment's status is " +
                                              std::string(ToString(from)) + "; it cannot be " +
                                              (action == PaymentAction::kConfirm   ? "confirmed"
                                               : action == PaymentAction::kCapture ? "captured"
                                               : action == PaymentAction::kCancel  ? "cancelled"
                                                                                   : "refunded") +
                                              ".");
}

bool IsAllowedTransition(PaymentStatus from, PaymentStatus to) {
  if (from == to) return true;
  switch (from) {
    case S::kRequiresPaymentMethod:
      return to == S::kRequiresConfirmation || to == S::kProcessing || to == S::kCancelled;
    case S::kRequiresConfirmation:
      return to == S::kProcessing || to == S::kCancelled;
    case S::kProcessing:
      return to == S::kSucceeded || to == S::kFailed || to == S::kRequiresCapture ||
             to == S::kRequiresAction || to == S::kCancelled;
    case S::kRequiresAction:
      return to == S::kProcessing || to == S::kCancelled || to == S::kFailed ||
             to == S::kSucceeded || to == S::kRequiresCapture;
    case S::kRequiresCapture:
      return to == S::kProcessing || to == S::kSucceeded || to == S::kCancelled;
    case S::kSucceeded:
    case S::kFailed:
    case S::kCancelled:
      return false;
  }
  return false;
}

Result<void> Transition(Payment& p, PaymentStatus to) {
  if (!IsAllowedTransition(p.status, to)) {
    return Error::Internal("state machine refused " + std::string(ToString(p.status)) + " -> " +
                           std::string(ToString(to)));
  }
  p.status = to;
  return {};
}

PaymentStatus StatusAfter(PaymentAction action, PspOutcome outcome, CaptureMethod capture_method,
                          PaymentStatus current) {
  if (outcome == PspOutcome::kUnclear) return S::kProcessing;
  switch (action) {
    case PaymentAction::kConfirm:
      switch (outcome) {
        case PspOutcome::kAuthorized:
          return capture_method == CaptureMethod::kManual ? S::kRequiresCapture : S::kSucceeded;
        case PspOutcome::kCaptured:
          return S::kSucceeded;
        case PspOutcome::kRequiresAction:
          return S::kRequiresAction;
        case PspOutcome::kDeclined:
          return S::kFailed;
        default:
          return S::kProcessing;
      }
    case PaymentAction::kCapture:
      // A declined capture leaves the authorization in place.
      return outcome == PspOutcome::kCaptured ? S::kSucceeded : S::kRequiresCapture;
    case PaymentAction::kCancel:
      return outcome == PspOutcome::kVoided ? S::kCancelled : S::kRequiresCapture;
    case PaymentAction::kRefund:
      return current;
  }
  return current;
}

}  // namespace lp::payments
