#include "payments/flow.hpp"

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <variant>

#include "lp/common/clock.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/idempotency/idempotency.hpp"
#include "lp/payments/representation.hpp"
#include "lp/webhooks/events.hpp"

namespace lp::payments::flow {

using connectors::Operation;
using connectors::Outcome;

Attempt NewAttempt(const Payment& p, Operation op, const connectors::Account& account,
                   int64_t amount, std::string routing_reason, int64_t now) {
  Attempt a;
  a.id = NewId("att");
  a.payment_id = p.id;
  a.seq = static_cast<int64_t>(p.attempts.size()) + 1;
  a.operation = op;
  a.connector = account.connector;
  a.connector_account_id = account.id;
  a.status = AttemptStatus::kPending;
  a.amount = amount;
  a.routing_reason = std::move(routing_reason);
  // Stable per attempt, so a retried or synced PSP call is deduplicated by the PSP.
  a.idempotency_key = a.id;
  a.created = a.updated = now;
  return a;
}

connectors::OperationRequest RequestFor(const Payment& p, const Attempt& a) {
  connectors::OperationRequest r;
  r.payment_id = p.id;
  r.idempotency_key = a.idempotency_key;
  // An Adyen encrypted card exists only in the request that brought it.
  r.payment_method = p.payment_method_data ? *p.payment_method_data : p.payment_method.value_or("");
  r.return_url = p.return_url.value_or("");
  r.amount = Money{a.amount, p.amount.currency};
  r.auto_capture = p.capture_method == CaptureMethod::kAutomatic;
  r.psp_reference = p.psp_reference.value_or("");
  // Sync needs it: while the PSP still keeps the key (Stripe: 24 h) the same call is replayed.
  r.attempt_created = a.created / 1'000'000;
  return r;
}

PaymentAction ActionOf(const Attempt& a) {
  switch (a.operation) {
    case Operation::kCapture:
      return PaymentAction::kCapture;
    case Operation::kVoid:
      return PaymentAction::kCancel;
    case Operation::kRefund:
      return PaymentAction::kRefund;
    case Operation::kAuthorize:
      break;
  }
  return PaymentAction::kConfirm;
}

Task<Result<connectors::OperationResult>> CallPsp(const connectors::ConnectorRegistry& registry,
                                                  const connectors::Account& account, Operation op,
                                                  connectors::OperationRequest req, bool sync,
                                                  int64_t timeout_ms, int64_t& psp_us) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto* c = registry.Find(account.connector);
  if (!c) {
    co_return Error::Internal("connector " + account.connector + " is not built in");
  }
  const int64_t t0 = MonotonicMicros();
  boost::asio::steady_timer deadline(co_await boost::asio::this_coro::executor,
                                     std::chrono::milliseconds(timeout_ms));
  // The call races the deadline; the loser is cancelled. (No co_await inside a conditional
  // expression: GCC 12 miscompiles that.)
  std::variant<Result<connectors::OperationResult>, std::monostate> raced;
  if (sync) {
    raced = co_await (c->Sync(account, op, req) || deadline.async_wait(boost::asio::use_awaitable));
  } else {
    raced =
        co_await (c->Execute(account, op, req) || deadline.async_wait(boost::asio::use_awaitable));
  }
  psp_us += MonotonicMicros() - t0;
  if (raced.index() == 1) {
    co_return Error{ErrorType::kUnavailable,
                    std::string(connectors::kPspTimeout),
                    "The payment provider did not answer in time.",
                    {},
                    "deadline of " + std::to_string(timeout_ms) + " ms passed"};
  }
  co_return std::move(std::get<0>(raced));
}

bool IsClearFailure(const Result<connectors::OperationResult>& r) {
  if (r) return false;
  const std::string& code = r.error().code;
  return code == connectors::kPspUnknown || code == connectors::kPspUnavailable ||
         code == connectors::kPspRejected || code == connectors::kConnectorAuthenticationFailed;
}

bool IsClear(const Result<connectors::OperationResult>& r) {
  return r ? !r->pending : IsClearFailure(r);
}

std::optional<NextAction> NextActionOf(std::string_view psp_action_json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(psp_action_json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  NextAction n;
  n.type = "unknown";
  if (auto* t = o.if_contains("type"); t && t->is_string()) {
    const std::string_view type = t->as_string();
    const bool word =
        !type.empty() && type.size() <= 40 && std::all_of(type.begin(), type.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_';
        });
    if (word) n.type = std::string(type);
  }
  // Stripe: redirect_to_url.url; Adyen: url (type redirect). https only, bounded.
  const boost::json::value* url = o.if_contains("url");
  if (auto* r = o.if_contains("redirect_to_url"); r && r->is_object()) {
    url = r->as_object().if_contains("url");
  }
  if (url && url->is_string() && url->as_string().starts_with("https://") &&
      url->as_string().size() <= 2048) {
    n.redirect_url = std::string(url->as_string());
  }
  return n;
}

int64_t SyncDelayUs(int64_t syncs_done, double scale) {
  constexpr int64_t kBaseUs = 1'000'000, kCapUs = int64_t{3600} * 1'000'000;
  const int64_t us = syncs_done >= 12 ? kCapUs : std::min(kCapUs, kBaseUs << syncs_done);
  return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(us) * scale));
}

bool SyncSettles(const Result<connectors::OperationResult>& r) {
  if (!IsClear(r)) return false;
  return r || (r.error().code != connectors::kPspUnavailable &&
               r.error().code != connectors::kConnectorAuthenticationFailed);
}

namespace {

// The code a clear failure shows merchants (last_error.code, a refund's failure_code): a sync's
// "no record" reads as the psp_error the merchant saw while it was unclear.
std::string FailureCode(const Error& e) {
  return e.code == connectors::kPspUnknown ? "psp_error" : e.code;
}

PspOutcome ToPspOutcome(const Result<connectors::OperationResult>& r) {
  if (!r || r->pending) return PspOutcome::kUnclear;
  switch (r->outcome) {
    case Outcome::kAuthorized:
      return PspOutcome::kAuthorized;
    case Outcome::kCaptured:
    case Outcome::kRefunded:
      return PspOutcome::kCaptured;
    case Outcome::kRequiresAction:
      return PspOutcome::kRequiresAction;
    case Outcome::kDeclined:
      return PspOutcome::kDeclined;
    case Outcome::kVoided:
      return PspOutcome::kVoided;
  }
  return PspOutcome::kUnclear;
}

std::string_view EventFor(PaymentAction action, PaymentStatus before, PaymentStatus after) {
  if (after == before && after != PaymentStatus::kProcessing) return {};
  switch (after) {
    case PaymentStatus::kSucceeded:
      return action == PaymentAction::kCapture ? "payment.captured" : "payment.succeeded";
    case PaymentStatus::kFailed:
      return "payment.failed";
    case PaymentStatus::kProcessing:
      return "payment.processing";
    case PaymentStatus::kRequiresCapture:
      return action == PaymentAction::kConfirm ? "payment.requires_capture" : "";
    case PaymentStatus::kCancelled:
      return "payment.cancelled";
    default:
      return {};
  }
}

}  // namespace

Result<void> RecordAttemptOutcome(store::Tx& tx, Attempt& a,
                                  const Result<connectors::OperationResult>& result,
                                  int64_t psp_latency_us, int64_t now) {
  const PspOutcome outcome = IsClearFailure(result) ? PspOutcome::kDeclined : ToPspOutcome(result);
  a.updated = now;
  a.latency_us = psp_latency_us;
  if (result) {
    if (!result->psp_reference.empty()) a.psp_reference = result->psp_reference;
    if (!result->decline_code.empty()) a.decline_code = result->decline_code;
    if (outcome == PspOutcome::kRequiresAction && !result->next_action_json.empty()) {
      a.next_action = NextActionOf(result->next_action_json);
    }
  } else {
    a.error_code = result.error().code;
    a.error_message = result.error().message;
  }
  a.status = outcome == PspOutcome::kUnclear    ? AttemptStatus::kProcessing
             : outcome == PspOutcome::kDeclined ? AttemptStatus::kFailed
                                                : AttemptStatus::kSucceeded;
  return repo::UpdateAttempt(tx, a);
}

bool Cascades(const Attempt& a, const Result<connectors::OperationResult>& result) {
  if (a.operation != Operation::kAuthorize) return false;
  if (result)
    return result->outcome == Outcome::kDeclined && result->soft_decline && !result->pending;
  return IsClearFailure(result) && result.error().code != connectors::kPspUnknown;
}

Result<void> ApplyOutcome(store::Tx& tx, Payment& p, Attempt& a, std::optional<Refund>& refund,
                          const Result<connectors::OperationResult>& result, int64_t psp_latency_us,
                          int64_t now) {
  const PaymentAction action = ActionOf(a);
  // A clear failure ("no record at the PSP" from a sync, never sent, refused unprocessed, the
  // credentials refused) means the call never took effect: the attempt fails, nothing charged.
  const bool no_record = IsClearFailure(result);
  PspOutcome outcome = no_record ? PspOutcome::kDeclined : ToPspOutcome(result);
  if (auto r = RecordAttemptOutcome(tx, a, result, psp_latency_us, now); !r) return r;

  if (action == PaymentAction::kRefund) {
    if (!refund) return Error::Internal("refund attempt without refund " + a.id);
    if (outcome == PspOutcome::kUnclear) return {};  // stays pending, amount stays reserved
    refund->updated = now;
    if (outcome == PspOutcome::kDeclined) {
      refund->status = RefundStatus::kFailed;
      refund->failure_code =
          no_record ? FailureCode(result.error()) : a.decline_code.value_or("declined");
      p.amount_refunded -= refund->amount.minor_units;  // release the reservation
      if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
    } else {
      refund->status = RefundStatus::kSucceeded;
      refund->psp_reference = a.psp_reference;
    }
    if (auto r = repo::UpdateRefund(tx, *refund); !r) return r;
    std::string obj = RefundBody(*refund);
    return webhooks::EmitEvent(
        tx, p.merchant_id, p.mode,
        refund->status == RefundStatus::kSucceeded ? "refund.succeeded" : "refund.failed",
        refund->id, obj, now);
  }

  // Status before the action started (the payment sits in `processing` while the PSP works).
  const PaymentStatus before = action == PaymentAction::kConfirm
                                   ? PaymentStatus::kRequiresConfirmation
                                   : PaymentStatus::kRequiresCapture;
  PaymentStatus next = StatusAfter(action, outcome, p.capture_method, before);
  if (auto t = Transition(p, next); !t) return t;
  switch (action) {
    case PaymentAction::kConfirm:
      if (outcome == PspOutcome::kCaptured) {
        p.amount_received = a.amount;
        p.amount_capturable = 0;
      } else if (outcome == PspOutcome::kAuthorized) {
        p.amount_capturable = next == PaymentStatus::kSucceeded ? 0 : a.amount;
        if (next == PaymentStatus::kSucceeded) p.amount_received = a.amount;
      }
      if (a.psp_reference) p.psp_reference = a.psp_reference;
      break;
    case PaymentAction::kCapture:
      if (outcome == PspOutcome::kCaptured) {
        p.amount_received = a.amount;
        p.amount_capturable = 0;  // the uncaptured rest is released
      }
      break;
    case PaymentAction::kCancel:
      if (outcome == PspOutcome::kVoided) p.amount_capturable = 0;
      break;
    case PaymentAction::kRefund:
      break;
  }
  if (outcome == PspOutcome::kDeclined) {
    if (no_record) {
      p.last_error =
          result.error().code == connectors::kPspUnknown
              ? LastError{"psp_error", "", "The payment provider could not process the request."}
              : LastError{FailureCode(result.error()), "", result.error().message};
    } else {
      p.last_error = LastError{action == PaymentAction::kConfirm ? "card_declined" : "psp_declined",
                               a.decline_code.value_or(""), result ? result->message : ""};
    }
  } else if (outcome != PspOutcome::kUnclear) {
    p.last_error.reset();
  }
  if (next == PaymentStatus::kRequiresAction) {
    p.next_action = a.next_action;
  } else {
    p.next_action.reset();
  }
  if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
  // One event per status change; an unclear outcome is reported once, as payment.processing
  // (recovery applies only clear outcomes, so it never repeats it).
  std::string_view ev = EventFor(action, before, next);
  if (!ev.empty()) {
    return webhooks::EmitEvent(tx, p.merchant_id, p.mode, ev, p.id, PaymentEventObject(p), now);
  }
  return {};
}

Result<bool> SettleAttempt(store::Tx& tx, std::string_view payment_id, std::string_view attempt_id,
                           const Result<connectors::OperationResult>& result, int64_t now) {
  auto fresh = repo::LoadPaymentById(tx, payment_id);
  if (!fresh) return fresh.error();
  if (!*fresh) return Error::Internal("payment missing");
  Payment& p = **fresh;
  Attempt att;
  for (const auto& x : p.attempts) {
    if (x.id == attempt_id) att = x;
  }
  if (att.id.empty() ||
      (att.status != AttemptStatus::kPending && att.status != AttemptStatus::kProcessing))
    return false;
  std::optional<Refund> refund;
  if (att.operation == Operation::kRefund) {
    auto f = repo::LoadRefundByAttempt(tx, att);
    if (!f) return f.error();
    refund = *f;
  }
  if (auto x = ApplyOutcome(tx, p, att, refund, result, att.latency_us.value_or(0), now); !x) {
    return x.error();
  }
  for (auto& x : p.attempts) {
    if (x.id == att.id) x = att;
  }
  const std::string body = refund ? RefundBody(*refund) : PaymentBody(p);
  const std::string resource = refund ? refund->id : p.id;
  if (auto u = idempotency::FinishForResource(tx, resource, 200, body); !u) return u.error();
  return true;
}

}  // namespace lp::payments::flow
