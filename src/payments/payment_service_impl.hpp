// What payment_service.cpp, refunds.cpp and recovery.cpp share: the helpers of the service's
// phase one (routing, loading for an action, the account and its credentials) and the PSP call
// path of phase two (PaymentService::Impl). Private to the payments module.
#pragma once

#include <algorithm>
#include <boost/json.hpp>

#include "lp/audit/audit.hpp"
#include "lp/common/json_list.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/idempotency/idempotency.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "lp/payments/payment_service.hpp"
#include "lp/payments/representation.hpp"
#include "lp/routing/breaker.hpp"
#include "lp/security/events.hpp"
#include "lp/store/pagination.hpp"
#include "lp/webhooks/events.hpp"
#include "payments/flow.hpp"
#include "payments/payment_repository.hpp"
#include "payments/routing_flow.hpp"

namespace lp::payments::service_internal {

using connectors::Operation;
using store::Tx;

Error NoSuch(std::string_view what, std::string_view id, std::string param = "id");

// A repository load's answer as the service's: the object, or resource_missing when absent.
template <class T>
Result<T> Found(Result<std::optional<T>> loaded, std::string_view what, std::string_view id,
                std::string param = "id") {
  if (!loaded) return loaded.error();
  if (!*loaded) return NoSuch(what, id, std::move(param));
  return std::move(**loaded);
}

// Authorization attempts per payment confirmation (the first and the cascaded ones): the active
// routing configuration's max_attempts (routing::Decide cuts its candidates to it); without a
// configuration the default (3).
constexpr auto kDefaultAuthorizeAttempts = static_cast<size_t>(routing::kDefaultMaxAttempts);

// Where an authorization goes: the first candidate, then (cascade) the next ones in order.
struct Routed {
  std::vector<connectors::Account> candidates;  // never empty
  std::string reason;                           // of the first: explicit | default_order
};

// An explicitly named account (alone: no cascade away from a merchant's choice); else the
// active routing configuration's decision (routing::Decide: rules, fallback, then the rest in
// creation order; accounts whose breaker is open last), or without one the merchant's active
// accounts in creation order; only accounts whose connector takes the payment method.
Result<Routed> Route(Tx& tx, const connectors::ConnectorRegistry& registry, const Principal& p,
                     const std::string& payment_method, const std::optional<std::string>& named,
                     routing::BreakerBoard* breakers, PaymentService::RoutingCache& cache,
                     const Payment& payment);

// The head of a payment action's first transaction: the caller's payment (404 when it is not
// theirs, naming `param`) and the state machine's answer whether `action` may start now.
Result<void> LoadForAction(Tx& tx, const Principal& principal, std::string_view id,
                           std::string param, PaymentAction action, Payment& out);

Result<connectors::Account> AccountOf(Tx& tx, const Payment& p);

// Opens the account's credentials when its connector reads them (the sandbox does not). Runs
// outside the store's transactions, just before the PSP call. A failure is clear: nothing was
// sent (psp_unavailable), and the detail goes to the log, never a credential.
Result<void> OpenCredentialsFor(const connectors::ConnectorRegistry& registry,
                                const crypto::KeyRing* keyring, connectors::Account& account);

// A PSP that refuses a payment without a return URL (its descriptor's requires_return_url:
// Adyen) gets one, or the request is refused before anything is stored or sent.
Result<void> CheckReturnUrl(const connectors::Account& a, const Payment& p);

void ReplaceAttempt(Payment& p, const Attempt& a);

// A capture, cancel or refund by a person (dashboard user) is a privileged action (PRODUCT.md
// §5): recorded in the transaction that makes it. An API key's own payment actions are not.
Result<void> AuditPersonAction(Tx& tx, const Actor& actor, const Principal& p, std::string action,
                               const std::string& target, boost::json::object details, int64_t now);

}  // namespace lp::payments::service_internal

namespace lp::payments {

// Phase two of the PSP-backed operations: the PSP call, recording its outcome, and the
// authorization's cascade (Finish, Authorize below).
struct PaymentService::Impl {
  // One PSP call for attempt `a` on `account` (its credentials opened first). Adds the wait to
  // `psp_us`.
  static Task<Result<connectors::OperationResult>> Call(PaymentService& s, const Payment& carried,
                                                        const Attempt& a,
                                                        connectors::Account account,
                                                        int64_t& psp_us,
                                                        std::string refund_reason = {});

  // The PSP refused the account's credentials: the account is marked (shown on it until the
  // credentials are replaced) and the change is audited once. Best effort: the payment goes on.
  static Task<void> CredentialsRefused(PaymentService& s, std::string account_id,
                                       std::string connector, std::string merchant_id);

  // A breaker opened: an audit record and a `security.alert` event for the account's merchant
  // (their webhooks), in one transaction. Best effort: a failure is logged, the payment goes on.
  static Task<void> BreakerOpened(PaymentService& s, std::string merchant_id, Mode mode,
                                  routing::BreakerTransition t);

  // Records a call's outcome, the events and the idempotent response in one transaction.
  static Task<Result<Answer>> Record(PaymentService& s, const Principal& principal, Payment carried,
                                     Attempt a, std::optional<Refund> refund,
                                     Result<connectors::OperationResult> result,
                                     int64_t attempt_psp_us, Idempotency idem, Answer out);

  // Phase two of every PSP-backed operation but authorization: call the PSP, then record.
  // `carried` is the payment as phase one committed it (status `processing`, or a refund's
  // reservation); the outcome is applied to it without reading it back, and the optimistic
  // version check in UpdatePayment falls back to a fresh read when something changed it
  // meanwhile (a concurrent refund on the same payment).
  static Task<Result<Answer>> Finish(PaymentService& s, const Principal& principal, Payment carried,
                                     Attempt a, connectors::Account account, Idempotency idem,
                                     std::optional<Refund> refund);

  // Phase two of an authorization, with cascading (PRODUCT.md §2): while the outcome proves
  // nothing was charged and may succeed elsewhere (flow::Cascades: a soft decline, never sent,
  // refused unprocessed) and a candidate is left, one transaction records the attempt as failed
  // and the next attempt (its own idempotency key) as pending, with the payment still
  // `processing`, before that candidate is called. A crash between them leaves a pending
  // attempt that recovery settles; at most one attempt can have charged.
  static Task<Result<Answer>> Authorize(PaymentService& s, const Principal& principal,
                                        Payment carried, Attempt a,
                                        std::vector<connectors::Account> candidates,
                                        Idempotency idem);
};

}  // namespace lp::payments
