// Shared steps of the payment flows: build an attempt, call the PSP, apply its outcome.
#pragma once

#include <optional>

#include "lp/connectors/connector.hpp"
#include "lp/payments/payment_service.hpp"
#include "lp/payments/state_machine.hpp"
#include "payments/payment_repository.hpp"

namespace lp::payments::flow {

Attempt NewAttempt(const Payment& p, connectors::Operation op, const connectors::Account& account,
                   int64_t amount, std::string routing_reason, int64_t now);

connectors::OperationRequest RequestFor(const Payment& p, const Attempt& a);

// Calls the attempt's connector (Execute, or Sync when `sync`) with a deadline; past it the
// call is cancelled and the result is a psp_timeout error. Adds the time spent to `psp_us`.
Task<Result<connectors::OperationResult>> CallPsp(const connectors::ConnectorRegistry& registry,
                                                  const connectors::Account& account,
                                                  connectors::Operation op,
                                                  connectors::OperationRequest req, bool sync,
                                                  int64_t timeout_ms, int64_t& psp_us);

// Errors that prove the operation did nothing at the PSP: no record of it (sync), never sent,
// refused without processing, the account's credentials refused. The attempt fails clearly.
bool IsClearFailure(const Result<connectors::OperationResult>& r);
// Whether a result settles the operation now: a stated outcome that is not pending at the PSP,
// or a clear failure. Anything else leaves the payment `processing` for a sync or a webhook.
bool IsClear(const Result<connectors::OperationResult>& r);

// Records a PSP result on the attempt alone (status, PSP reference, decline or error, latency):
// the first step of ApplyOutcome, and all a cascade does to the attempt it moves on from.
Result<void> RecordAttemptOutcome(store::Tx& tx, Attempt& a,
                                  const Result<connectors::OperationResult>& result,
                                  int64_t psp_latency_us, int64_t now);

// Whether an authorization's result lets the payment move on to the next candidate account
// (PRODUCT.md §2): a soft decline, or a failure that proves nothing was charged (never sent,
// refused unprocessed, the account's credentials refused). A hard decline stops; a timeout or any
// unclear outcome never cascades (the first PSP may have charged).
bool Cascades(const Attempt& a, const Result<connectors::OperationResult>& result);

// Applies a PSP outcome to the payment, the attempt and (for refunds) the refund inside `tx`,
// with the events it causes. A stale `p` is refused with "concurrent_update" (the version check
// in UpdatePayment) before anything that depends on it is written; the caller reloads and retries.
// `psp_latency_us` is stored on the attempt.
Result<void> ApplyOutcome(store::Tx& tx, Payment& p, Attempt& a, std::optional<Refund>& refund,
                          const Result<connectors::OperationResult>& result, int64_t psp_latency_us,
                          int64_t now);

// Reconciliation backoff: the wait before the next sync of an attempt that `syncs_done` syncs
// left unsettled: 1 s, 2 s, 4 s, … capped at one hour (times `scale`, which tests shrink).
int64_t SyncDelayUs(int64_t syncs_done, double scale = 1.0);

// Whether a sync's result settles the attempt. Stricter than IsClear: a sync that could not
// reach the PSP (psp_unavailable) or whose credentials were refused learned nothing about the
// earlier call, which may have charged: the attempt stays unsettled.
bool SyncSettles(const Result<connectors::OperationResult>& r);

// The part of a PSP's next action (Stripe `next_action`, Adyen `action`) shown to merchants:
// its type word and an https redirect URL; nothing else (client secrets, SDK data) is kept.
std::optional<NextAction> NextActionOf(std::string_view psp_action_json);

PaymentAction ActionOf(const Attempt& a);

// Settles one attempt later than its call (recovery sync, PSP webhook): reloads the payment in
// `tx`, and if the attempt is still unsettled (`pending`/`processing`) applies `result` to it
// (ApplyOutcome) and updates the stored idempotent response of its payment or refund. Returns
// whether it applied anything; a settled attempt is left as it is (a final status never moves
// back).
Result<bool> SettleAttempt(store::Tx& tx, std::string_view payment_id, std::string_view attempt_id,
                           const Result<connectors::OperationResult>& result, int64_t now);

}  // namespace lp::payments::flow
