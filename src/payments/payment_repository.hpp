// SQL of payments, their attempts and refunds. Runs inside a caller's transaction; no I/O else.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lp/common/api_result.hpp"
#include "lp/connectors/connector.hpp"
#include "lp/payments/model.hpp"
#include "lp/payments/payment_service.hpp"
#include "lp/store/store.hpp"

namespace lp::payments::repo {

using store::Tx;

Result<std::optional<Payment>> LoadPayment(Tx& tx, const std::string& merchant_id, Mode mode,
                                           std::string_view id);
// Loads by id alone (recovery; never reachable from a merchant request).
Result<std::optional<Payment>> LoadPaymentById(Tx& tx, std::string_view id);
Result<void> InsertPayment(Tx& tx, const Payment& p);
// Optimistic update: fails with "concurrent_update" unless the stored version is p.version;
// on success p.version is incremented.
Result<void> UpdatePayment(Tx& tx, Payment& p, int64_t now);
Result<void> InsertAttempt(Tx& tx, const Attempt& a);
Result<void> UpdateAttempt(Tx& tx, const Attempt& a);

// A page of the caller's payments (each with its attempts), filtered by `params.status`.
Result<Page<Payment>> ListPayments(Tx& tx, const Principal& p, const ListParams& params);
// Attempts whose outcome is not known, last updated at or before `cutoff_us` and whose next
// sync is due at `now_us` (next_sync_at unset or past): `processing` ones, and `pending` ones too
// when `include_pending`. Oldest first.
struct UnsettledAttempt {
  std::string attempt_id, payment_id;
  int64_t sync_count = 0;  // syncs that left it unsettled so far
};
Result<std::vector<UnsettledAttempt>> UnsettledAttempts(Tx& tx, bool include_pending,
                                                        int64_t cutoff_us, int64_t now_us,
                                                        int64_t limit);
// Records one more sync that left the attempt unsettled and when the next one is due.
Result<void> ScheduleSync(Tx& tx, std::string_view attempt_id, int64_t sync_count,
                          int64_t next_sync_at_us);

// How many attempts are unsettled (`pending`/`processing`) and when the oldest was created.
struct UnsettledSummary {
  int64_t count = 0;
  std::optional<int64_t> oldest_created_us;
};
Result<UnsettledSummary> SummarizeUnsettled(Tx& tx);

// Inbound PSP webhooks: which payment (and attempt) an event is about, only among the payments
// of `account_id` — by the idempotency key we sent (`our_reference`, echoed by the PSP), else by
// the payment's reference at the PSP. (payment id, attempt id or empty).
Result<std::optional<std::pair<std::string, std::string>>> FindPaymentForPspEvent(
    Tx& tx, std::string_view account_id, std::string_view our_reference,
    std::string_view payment_reference);
// Whether the account's event was handled already; records it (once) with what was done.
Result<bool> PspEventSeen(Tx& tx, std::string_view account_id, std::string_view event_id);
Result<void> RecordPspEvent(Tx& tx, std::string_view account_id, std::string_view event_id,
                            std::string_view type, std::string_view outcome, int64_t now);

Result<std::optional<Refund>> LoadRefund(Tx& tx, const std::string& merchant_id, Mode mode,
                                         std::string_view id);
Result<std::optional<Refund>> LoadRefundByAttempt(Tx& tx, const Attempt& a);
// A page of the caller's refunds, filtered by payment and `params.status`.
Result<Page<Refund>> ListRefunds(Tx& tx, const Principal& p, const ListParams& params,
                                 const std::optional<std::string>& payment_id);
Result<void> InsertRefund(Tx& tx, const Refund& r);
Result<void> UpdateRefund(Tx& tx, const Refund& r);

}  // namespace lp::payments::repo
