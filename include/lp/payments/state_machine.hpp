// The payment state machine: the only place that knows which statuses allow which actions and
// which status an outcome leads to. Handlers and services ask it; they never compare statuses.
#pragma once

#include "lp/common/result.hpp"
#include "lp/payments/model.hpp"

namespace lp::payments {

enum class PaymentAction { kConfirm, kCapture, kCancel, kRefund };
std::string_view ToString(PaymentAction a);

// OK when `action` may start from `from`; otherwise 409 invalid_state naming both.
Result<void> CheckAction(PaymentStatus from, PaymentAction action);

// Whether a stored status may change from `from` to `to` (same status is always allowed).
bool IsAllowedTransition(PaymentStatus from, PaymentStatus to);

// Moves `p` to `to` if IsAllowedTransition permits it; otherwise leaves it and returns an internal
// error (a refused move is a bug in the caller: CheckAction admitted an action it cannot start).
Result<void> Transition(Payment& p, PaymentStatus to);

// What a PSP said about an operation.
enum class PspOutcome {
  kAuthorized,      // funds held; capture needed
  kCaptured,        // funds captured
  kRequiresAction,  // e.g. 3-D Secure
  kDeclined,        // a clear decline
  kVoided,          // authorization released
  kUnclear,         // timeout, 5xx, unknown status: settled later, never "failed"
};

// The status a payment takes after `action` ended with `outcome`.
PaymentStatus StatusAfter(PaymentAction action, PspOutcome outcome, CaptureMethod capture_method,
                          PaymentStatus current);

// True for succeeded, failed, cancelled.
bool IsTerminal(PaymentStatus s);

}  // namespace lp::payments
