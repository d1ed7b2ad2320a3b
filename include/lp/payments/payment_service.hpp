// Payment and refund services: the payment lifecycle of PRODUCT.md §2. Writes answer with the
// payment's (refund's) canonical JSON (representation.hpp), rendered in the transaction that
// stores it for idempotent replays; reads answer with domain objects. A payment writes its
// attempt before calling the PSP and its result after; every state change writes its event and
// outbox row in the same transaction; idempotency claims and stored responses ride in the same
// transactions as the work they protect.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lp/common/api_result.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/result.hpp"
#include "lp/common/task.hpp"
#include "lp/connectors/connector.hpp"
#include "lp/payments/model.hpp"
#include "lp/store/store.hpp"

namespace lp::crypto {
class KeyRing;
}
namespace lp::routing {
class BreakerBoard;
struct BreakerTransition;
}  // namespace lp::routing

namespace lp::payments {

struct CreatePaymentParams {
  Money amount;
  std::optional<std::string> payment_method;
  // An Adyen encrypted-card object (canonical JSON; payment_method is then
  // kSchemePaymentMethod): used for this request's PSP call only, never stored.
  std::optional<std::string> payment_method_data;
  std::optional<std::string> return_url;
  CaptureMethod capture_method = CaptureMethod::kAutomatic;
  bool confirm = false;
  std::optional<std::string> description;
  std::optional<std::string> customer_country;  // ISO 3166-1 alpha-2, upper case
  std::string metadata_json = "{}";
  std::optional<std::string> connector_account;  // routing.connector_account
};

struct RefundParams {
  std::string payment_id;
  std::optional<int64_t> amount;
  std::optional<std::string> reason;
};

class PaymentService {
 public:
  // `psp_timeout_ms` is the deadline of every PSP call: past it the outcome is unclear and the
  // payment is answered `processing`.
  // `keyring` opens a connector account's credentials for connectors that read them (Stripe,
  // Adyen); without one only credential-less connectors (the sandbox) can be called.
  PaymentService(store::Store& store, const connectors::ConnectorRegistry& connectors,
                 const Clock& clock, int64_t psp_timeout_ms = 10000,
                 const crypto::KeyRing* keyring = nullptr);

  Task<Result<Answer>> Create(const Principal& p, CreatePaymentParams params, Idempotency idem);
  // `payment_method_data`: as in CreatePaymentParams.
  Task<Result<Answer>> Confirm(const Principal& p, std::string id,
                               std::optional<std::string> payment_method, Idempotency idem,
                               std::optional<std::string> payment_method_data = std::nullopt);
  // `actor`: who acts; a person's (dashboard user's) capture, cancel or refund is audited in the
  // same transaction (PRODUCT.md §5), an API key's is not.
  Task<Result<Answer>> Capture(const Principal& p, std::string id,
                               std::optional<int64_t> amount_to_capture, Idempotency idem,
                               Actor actor);
  Task<Result<Answer>> Cancel(const Principal& p, std::string id, Idempotency idem, Actor actor);
  Task<Result<Payment>> Get(const Principal& p, std::string id);
  Task<Result<Page<Payment>>> List(const Principal& p, ListParams params);

  Task<Result<Answer>> CreateRefund(const Principal& p, RefundParams params, Idempotency idem,
                                    Actor actor);
  Task<Result<Refund>> GetRefund(const Principal& p, std::string id);
  Task<Result<Page<Refund>>> ListRefunds(const Principal& p, ListParams params,
                                         std::optional<std::string> payment_id);

  // An inbound PSP webhook (POST /psp-webhooks/{connector_account_id}, docs/psp-connectors.md
  // "Inbound PSP webhooks"). Verified on the raw bytes with the account's own credentials before
  // anything is parsed; an unverifiable request is refused (400 with the verifier's code),
  // audited and logged, and changes nothing. Each event is handled once per account (the PSP
  // resends until acknowledged), only for payments routed to that account, and applied through
  // the state machine to the unsettled attempt it settles: a settled attempt is never changed (no
  // final status moves back). 404 for an unknown or deleted account, or one whose connector has
  // no webhooks (the sandbox). `headers`: lower-case names. A refusal is audited only when
  // `may_audit("<account>|<source_ip>|<reason>")` allows it (null: always), so a flood of
  // forged requests cannot flood the audit log.
  struct PspWebhookAnswer {
    int status = 200;
    std::string content_type;
    std::string body;  // what the PSP expects back (Adyen: "[accepted]")
    int applied = 0, duplicates = 0, ignored = 0;
  };
  Task<Result<PspWebhookAnswer>> ApplyPspWebhook(
      std::string account_id, std::string body,
      std::vector<std::pair<std::string, std::string>> headers, std::string source_ip,
      std::string request_id, std::function<bool(std::string_view)> may_audit = nullptr);

  // Routing configuration per merchant and mode (PRODUCT.md §2; docs/routing.md): every PUT is
  // a new version and becomes the active one; Activate rolls back to an earlier version; each
  // change is audited (`routing.update`, `routing.activate`). The active version decides the
  // candidates of every payment that names no account (routing::Decide).
  struct RoutingVersion {
    int64_t version = 0;
    std::string config_json;  // canonical
    bool active = false;
    int64_t created_us = 0;
    std::string created_by;
  };
  Task<Result<std::optional<RoutingVersion>>> GetRouting(const Principal& p);
  // `body`: the request's JSON object text. Errors name the offending path.
  Task<Result<RoutingVersion>> PutRouting(const Principal& p, std::string body, Actor actor);
  Task<Result<std::vector<RoutingVersion>>> RoutingVersions(const Principal& p);
  Task<Result<RoutingVersion>> ActivateRouting(const Principal& p, int64_t version, Actor actor);
  // The candidates the active configuration gives a payment input, without charging: JSON
  // {"candidates":[{"connector_account","reason"}],"skipped":[…],"rule":…,"version":…}.
  struct SimulateInput {
    int64_t amount = 0;
    std::string currency, payment_method, capture_method = "automatic";
    std::string customer_country;  // upper case, may be empty
    std::vector<std::pair<std::string, std::string>> metadata;
  };
  Task<Result<std::string>> SimulateRouting(const Principal& p, SimulateInput input);
  struct RoutingCache;  // parsed active configurations by merchant, mode and version

  // One PSP call as the payment flow made it, for metrics. `outcome`: succeeded | declined |
  // requires_action | pending, or the error code (psp_timeout, psp_error, psp_unavailable,
  // psp_rejected, connector_authentication_failed, error): a small fixed set.
  struct PspCall {
    std::string_view connector, connector_account, operation, outcome;
    int64_t latency_us = 0;
  };
  void SetPspCallObserver(std::function<void(const PspCall&)> observer);

  // Reconciliation at a glance (ops metrics): attempts whose outcome is not settled yet
  // (`pending`/`processing`, all merchants) and the age of the oldest, in seconds (0 if none).
  struct UnsettledStats {
    int64_t count = 0;
    double oldest_age_s = 0;
  };
  Task<Result<UnsettledStats>> Unsettled();

  // Circuit breakers per connector account (routing/breaker.hpp): every PSP call is recorded
  // (a timeout, PSP error or refused connection is a failure, a decline is not); routing tries
  // accounts whose breaker is open only after all others. `on_transition` hears each change
  // (logs, metrics, audit). Optional; call before serving.
  void SetBreakers(routing::BreakerBoard* board,
                   std::function<void(const routing::BreakerTransition&)> on_transition);

  // Settles PSP calls whose outcome is not known, among attempts last updated before
  // `updated_before_us` (wall clock): `processing` ones (unclear outcome), and with
  // `include_pending` also `pending` ones (a previous process died mid-call; pass the process
  // start time so no live call of this process is touched). Returns how many were settled.
  // Each attempt is synced on its own schedule: a sync that leaves it unsettled sets its next
  // sync 1 s, 2 s, 4 s … (capped at 1 h) later, persisted with the attempt; a sync that cannot
  // reach the PSP or whose credentials are refused settles nothing.
  Task<size_t> Recover(bool include_pending, int64_t updated_before_us);
  // Multiplies the sync backoff (tests shrink it); default 1.
  void SetSyncBackoffScale(double scale);

  // Deletes finished idempotency records older than `age_us` (retention is at least 24 h).
  Task<Result<void>> PruneIdempotency(int64_t age_us);

  struct Impl;

 private:
  Task<bool> SyncOne(std::string payment_id, std::string attempt_id, int64_t sync_count);

  store::Store& store_;
  const connectors::ConnectorRegistry& connectors_;
  const Clock& clock_;
  int64_t psp_timeout_ms_;
  const crypto::KeyRing* keyring_;
  routing::BreakerBoard* breakers_ = nullptr;
  std::function<void(const routing::BreakerTransition&)> on_breaker_transition_;
  std::function<void(const PspCall&)> on_psp_call_;
  std::shared_ptr<RoutingCache> routing_cache_;
  double sync_backoff_scale_ = 1.0;
};

}  // namespace lp::payments
