// Per-entity SQL of the payments core (payments, attempts, refunds, events + outbox,
// idempotency records, connector accounts). Runs inside a caller's transaction; no I/O else.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lp/connectors/connector.hpp"
#include "lp/core/model.hpp"
#include "lp/core/payments.hpp"
#include "lp/store/store.hpp"

namespace lp::core::repo {

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

Result<std::optional<Refund>> LoadRefund(Tx& tx, const std::string& merchant_id, Mode mode,
                                         std::string_view id);
Result<std::optional<Refund>> LoadRefundByAttempt(Tx& tx, const Attempt& a);
Result<void> InsertRefund(Tx& tx, const Refund& r);
Result<void> UpdateRefund(Tx& tx, const Refund& r);

// Writes the event, and its outbox row when the merchant has a webhook endpoint in that mode
// (delivery comes from the webhook dispatcher).
Result<void> EmitEvent(Tx& tx, const std::string& merchant_id, Mode mode, std::string_view type,
                       std::string_view object_id, std::string_view object_json, int64_t now);

// Claims an idempotency key for the resource the request works on (recovery finishes the
// record from that resource). When a finished response exists for the same request, `replay`
// is set; a different request under the key is 400 idempotency_error; a running one is 409.
Result<void> ClaimIdempotency(Tx& tx, const Principal& p, const Idempotency& idem,
                              std::string_view resource_id, int64_t now,
                              std::optional<ApiResult>& replay);
Result<void> FinishIdempotency(Tx& tx, const Principal& p, const Idempotency& idem,
                               std::string_view resource_id, int status, std::string_view body);

struct AccountRow {
  connectors::Account account;
  std::string merchant_id;
};
Result<std::vector<connectors::Account>> ActiveAccounts(Tx& tx, const std::string& merchant_id,
                                                        Mode mode);
Result<std::optional<connectors::Account>> LoadAccount(Tx& tx, std::string_view id);

std::optional<Mode> ParseMode(std::string_view s);

}  // namespace lp::core::repo
