// Recovery: settling attempts left pending or processing (crash, unclear PSP answer) by asking
// the PSP, and pruning old idempotency records.
#include "payments/payment_service_impl.hpp"

namespace lp::payments {

namespace json = boost::json;
using namespace service_internal;

void PaymentService::SetSyncBackoffScale(double scale) { sync_backoff_scale_ = scale; }

Task<size_t> PaymentService::Recover(bool include_pending, int64_t updated_before_us) {
  const int64_t cutoff = updated_before_us;
  std::vector<repo::UnsettledAttempt> items;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto rows = repo::UnsettledAttempts(tx, include_pending, cutoff, clock_.NowMicros(), 5000);
    if (!rows) return rows.error();
    items = std::move(*rows);
    return {};
  });
  if (!r) {
    log::Error("recovery_scan_failed", {{"detail", r.error().detail}});
    co_return 0;
  }
  size_t settled = 0;
  for (const auto& item : items) {
    auto s = co_await SyncOne(item.payment_id, item.attempt_id, item.sync_count);
    if (s) ++settled;
  }
  co_return settled;
}

// One attempt's sync: the PSP's record of the call, applied if it settles it; else the next sync
// is scheduled with exponential backoff (persisted, so a restart keeps the schedule).
Task<bool> PaymentService::SyncOne(std::string payment_id, std::string attempt_id,
                                   int64_t sync_count) {
  Payment p;
  Attempt a;
  connectors::Account account;
  std::string refund_reason;
  bool ok = false;
  auto load = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto loaded = repo::LoadPaymentById(tx, payment_id);
    if (!loaded || !*loaded) return Error::Internal("payment missing");
    p = std::move(**loaded);
    for (const auto& x : p.attempts) {
      if (x.id == attempt_id) a = x;
    }
    auto acc = AccountOf(tx, p);
    if (!acc) return acc.error();
    account = *acc;
    ok = !a.id.empty();
    if (ok && a.operation == connectors::Operation::kRefund) {
      auto refund = repo::LoadRefundByAttempt(tx, a);
      if (!refund) return refund.error();
      if (*refund) refund_reason = (*refund)->reason.value_or("");
    }
    return {};
  });
  if (!load || !ok) co_return false;
  const Operation op = a.operation;
  int64_t psp_us = 0;
  // A background sync may wait longer than a merchant's request would.
  const int64_t sync_timeout_ms = std::min<int64_t>(psp_timeout_ms_ * 10, 30'000);
  Result<connectors::OperationResult> result = Error::Internal("not synced");
  if (OpenCredentialsFor(connectors_, keyring_, account)) {  // else logged; try later
    connectors::OperationRequest req = flow::RequestFor(p, a);
    req.refund_reason = refund_reason;  // the identical request: Adyen's sync replays it
    result = co_await flow::CallPsp(connectors_, account, op, std::move(req), true,
                                    std::max(sync_timeout_ms, psp_timeout_ms_), psp_us);
  }
  if (!result && result.error().code == connectors::kConnectorAuthenticationFailed) {
    co_await Impl::CredentialsRefused(*this, account.id, account.connector, p.merchant_id);
  }
  const int64_t now = clock_.NowMicros();
  if (!flow::SyncSettles(result)) {
    // Still unclear (or pending at the PSP): the next sync waits longer.
    const int64_t next = now + flow::SyncDelayUs(sync_count, sync_backoff_scale_);
    auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
      return repo::ScheduleSync(tx, attempt_id, sync_count + 1, next);
    });
    if (!w) {
      log::Error("recovery_schedule_failed",
                 {{"attempt", attempt_id}, {"detail", w.error().detail}});
    }
    co_return false;
  }
  bool applied = false;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    auto s = flow::SettleAttempt(tx, payment_id, attempt_id, result, now);
    if (!s) return s.error();
    applied = *s;
    return {};
  });
  if (!w) {
    log::Error("recovery_apply_failed", {{"attempt", attempt_id}, {"detail", w.error().detail}});
    co_return false;
  }
  if (applied) {
    log::Info("attempt_recovered", {{"attempt", attempt_id}, {"payment", payment_id}});
  }
  co_return applied;
}

Task<Result<void>> PaymentService::PruneIdempotency(int64_t age_us) {
  const int64_t cutoff = clock_.NowMicros() - age_us;
  co_return co_await store::Write(store_,
                                  [cutoff](Tx& tx) { return idempotency::Prune(tx, cutoff); });
}

}  // namespace lp::payments
