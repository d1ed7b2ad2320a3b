// Refunds: create (phase one reserves the amount, phase two calls the PSP), read and list.
#include "payments/payment_service_impl.hpp"

namespace lp::payments {

namespace json = boost::json;
using namespace service_internal;

Task<Result<Answer>> PaymentService::CreateRefund(const Principal& principal, RefundParams params,
                                                  Idempotency idem, Actor actor) {
  const int64_t now = clock_.NowMicros();
  std::optional<Answer> replay;
  Payment p;
  Attempt a;
  Refund refund;
  refund.id = NewId("re");
  connectors::Account account;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = idempotency::Claim(tx, principal, idem, refund.id, now, replay); !r || replay)
      return r;
    auto r = LoadForAction(tx, principal, params.payment_id, "payment", PaymentAction::kRefund, p);
    if (!r) return r;
    // amount_refunded includes pending refunds: they reserve their amount until they settle.
    const int64_t remaining = p.amount_received - p.amount_refunded;
    const int64_t amount = params.amount.value_or(remaining);
    if (remaining <= 0) {
      return Error::Invalid("charge_already_refunded", "This payment has been fully refunded.",
                            "payment");
    }
    if (amount > remaining) {
      return Error::Invalid("amount_too_large",
                            "Refund amount (" + std::to_string(amount) +
                                ") is greater than the unrefunded amount (" +
                                std::to_string(remaining) + ").",
                            "amount");
    }
    auto acc = AccountOf(tx, p);
    if (!acc) return acc.error();
    account = *acc;
    refund.merchant_id = p.merchant_id;
    refund.mode = p.mode;
    refund.payment_id = p.id;
    refund.amount = Money{amount, p.amount.currency};
    refund.reason = params.reason;
    refund.created = refund.updated = now;
    p.amount_refunded += amount;
    a = flow::NewAttempt(p, Operation::kRefund, account, amount, "payment", now);
    a.idempotency_key = refund.id;  // ties the attempt to its refund (recovery finds it so)
    if (auto r = AuditPersonAction(tx, actor, principal, "refund.create", refund.id,
                                   json::object{{"payment", p.id}, {"amount", amount}}, now);
        !r) {
      return r;
    }
    if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
    if (auto r = repo::InsertRefund(tx, refund); !r) return r;
    return repo::InsertAttempt(tx, a);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  co_return co_await Impl::Finish(*this, principal, std::move(p), a, account, idem, refund);
}

Task<Result<Refund>> PaymentService::GetRefund(const Principal& principal, std::string id) {
  Refund out;
  auto r = co_await store::ReadInto(store_, out, [&](Tx& tx) {
    return Found(repo::LoadRefund(tx, principal.merchant_id, principal.mode, id), "refund", id);
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<Page<Refund>>> PaymentService::ListRefunds(const Principal& principal,
                                                       ListParams params,
                                                       std::optional<std::string> payment_id) {
  Page<Refund> out;
  auto r = co_await store::ReadInto(
      store_, out, [&](Tx& tx) { return repo::ListRefunds(tx, principal, params, payment_id); });
  if (!r) co_return r.error();
  co_return out;
}

}  // namespace lp::payments
