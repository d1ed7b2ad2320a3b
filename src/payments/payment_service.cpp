#include "lp/payments/payment_service.hpp"

#include "payments/payment_service_impl.hpp"

namespace lp::payments {

namespace json = boost::json;
using namespace service_internal;

PaymentService::PaymentService(store::Store& store, const connectors::ConnectorRegistry& connectors,
                               const Clock& clock, int64_t psp_timeout_ms,
                               const crypto::KeyRing* keyring)
    : store_(store),
      connectors_(connectors),
      clock_(clock),
      psp_timeout_ms_(psp_timeout_ms),
      keyring_(keyring),
      routing_cache_(std::make_shared<RoutingCache>()) {}

Task<Result<connectors::OperationResult>> PaymentService::Impl::Call(
    PaymentService& s, const Payment& carried, const Attempt& a, connectors::Account account,
    int64_t& psp_us, std::string refund_reason) {
  const Operation op = a.operation;
  if (auto opened = OpenCredentialsFor(s.connectors_, s.keyring_, account); !opened) {
    co_return opened.error();
  }
  // The call goes ahead either way (routing already put open accounts last, and a capture or
  // refund has only its own account); a half-open breaker counts it as a probe.
  const bool counted = s.breakers_ && s.breakers_->Allow(account.id, MonotonicMicros());
  int64_t waited = 0;
  connectors::OperationRequest req = flow::RequestFor(carried, a);
  req.refund_reason = std::move(refund_reason);
  auto result = co_await flow::CallPsp(s.connectors_, account, op, std::move(req), false,
                                       s.psp_timeout_ms_, waited);
  psp_us += waited;
  if (s.on_psp_call_) {
    std::string_view outcome = "error";
    if (result) {
      outcome = result->pending                                           ? "pending"
                : result->outcome == connectors::Outcome::kDeclined       ? "declined"
                : result->outcome == connectors::Outcome::kRequiresAction ? "requires_action"
                                                                          : "succeeded";
    } else {
      for (std::string_view code :
           {connectors::kPspTimeout, connectors::kPspError, connectors::kPspUnavailable,
            connectors::kPspRejected, connectors::kConnectorAuthenticationFailed}) {
        if (result.error().code == code) outcome = code;
      }
    }
    s.on_psp_call_(
        PspCall{account.connector, account.id, connectors::ToString(a.operation), outcome, waited});
  }
  if (!result && result.error().code == connectors::kConnectorAuthenticationFailed) {
    co_await CredentialsRefused(s, account.id, account.connector, carried.merchant_id);
  }
  if (counted) {
    const bool failed = !result && (result.error().code == connectors::kPspTimeout ||
                                    result.error().code == connectors::kPspError ||
                                    result.error().code == connectors::kPspUnavailable);
    auto changed = s.breakers_->Record(account.id, MonotonicMicros(), failed, waited);
    if (changed && s.on_breaker_transition_) s.on_breaker_transition_(*changed);
    if (changed && changed->to == routing::BreakerState::kOpen) {
      co_await BreakerOpened(s, carried.merchant_id, carried.mode, *changed);
    }
  }
  co_return result;
}

Task<void> PaymentService::Impl::CredentialsRefused(PaymentService& s, std::string account_id,
                                                    std::string connector,
                                                    std::string merchant_id) {
  const int64_t now = s.clock_.NowMicros();
  auto w = co_await store::Write(s.store_, [&](Tx& tx) -> Result<void> {
    auto marked = merchants::MarkCredentialsRefused(tx, account_id, now);
    if (!marked) return marked.error();
    if (!*marked) return {};
    return audit::Append(
        tx,
        audit::Record{"system", "psp:" + connector, "connector_account.credentials_refused",
                      account_id, merchant_id, "failure", "", "",
                      R"({"code":"connector_authentication_failed"})"},
        now);
  });
  if (!w) {
    log::Error("connector_account_not_marked",
               {{"connector_account", account_id}, {"detail", w.error().detail}});
  } else {
    log::Warn("connector_credentials_refused", {{"connector_account", account_id}});
  }
}

Task<void> PaymentService::Impl::BreakerOpened(PaymentService& s, std::string merchant_id,
                                               Mode mode, routing::BreakerTransition t) {
  const int64_t now = s.clock_.NowMicros();
  security::Event e;
  e.kind = "circuit_breaker_opened";
  e.merchant_ids = {merchant_id};
  e.mode = mode;
  e.subject_type = "connector_account";
  e.subject = t.connector_account;
  e.details = json::serialize(json::object{{"calls", t.calls}, {"failures", t.failures}});
  auto w = co_await store::Write(s.store_, [&](Tx& tx) -> Result<void> {
    auto r = security::Record(tx, e, now, 0);
    if (!r) return r.error();
    return {};
  });
  if (!w) {
    log::Error("circuit_breaker_alert_not_recorded",
               {{"connector_account", t.connector_account}, {"detail", w.error().detail}});
  }
}

Task<Result<Answer>> PaymentService::Impl::Record(PaymentService& s, const Principal& principal,
                                                  Payment carried, Attempt a,
                                                  std::optional<Refund> refund,
                                                  Result<connectors::OperationResult> result,
                                                  int64_t attempt_psp_us, Idempotency idem,
                                                  Answer out) {
  const int64_t now = s.clock_.NowMicros();
  auto w = co_await store::Write(s.store_, [&](Tx& tx) -> Result<void> {
    // Runs again from the same inputs if the group commit retries its batch.
    Payment p = carried;
    Attempt at = a;
    std::optional<Refund> rf = refund;
    auto applied = flow::ApplyOutcome(tx, p, at, rf, result, attempt_psp_us, now);
    if (!applied && applied.error().code == "concurrent_update") {
      auto fresh = repo::LoadPaymentById(tx, carried.id);
      if (!fresh) return fresh.error();
      if (!*fresh) return Error::Internal("payment vanished: " + carried.id);
      p = std::move(**fresh);
      at = a;
      rf = refund;
      applied = flow::ApplyOutcome(tx, p, at, rf, result, attempt_psp_us, now);
    }
    if (!applied) return applied;
    ReplaceAttempt(p, at);
    out.body = rf ? RefundBody(*rf) : PaymentBody(p);
    return idempotency::Finish(tx, principal, idem, rf ? rf->id : p.id, 200, out.body);
  });
  if (!w) {
    // The attempt stays pending; the recovery pass settles it.
    log::Error("psp_outcome_not_recorded",
               {{"payment", carried.id}, {"attempt", a.id}, {"detail", w.error().detail}});
    co_return w.error();
  }
  co_return out;
}

Task<Result<Answer>> PaymentService::Impl::Finish(PaymentService& s, const Principal& principal,
                                                  Payment carried, Attempt a,
                                                  connectors::Account account, Idempotency idem,
                                                  std::optional<Refund> refund) {
  Answer out;
  std::string reason = refund ? refund->reason.value_or("") : std::string();
  auto result = co_await Call(s, carried, a, std::move(account), out.psp_us, std::move(reason));
  const int64_t psp_us = out.psp_us;
  co_return co_await Record(s, principal, std::move(carried), std::move(a), std::move(refund),
                            std::move(result), psp_us, idem, std::move(out));
}

Task<Result<Answer>> PaymentService::Impl::Authorize(PaymentService& s, const Principal& principal,
                                                     Payment carried, Attempt a,
                                                     std::vector<connectors::Account> candidates,
                                                     Idempotency idem) {
  Answer out;
  for (size_t i = 0;; ++i) {
    int64_t psp_us = 0;
    auto result = co_await Call(s, carried, a, candidates[i], psp_us);
    out.psp_us += psp_us;
    if (i + 1 >= candidates.size() || !flow::Cascades(a, result)) {
      out.declined =
          result && !result->pending && result->outcome == connectors::Outcome::kDeclined;
      co_return co_await Record(s, principal, std::move(carried), std::move(a), std::nullopt,
                                std::move(result), psp_us, idem, std::move(out));
    }
    const connectors::Account& to = candidates[i + 1];
    const std::string reason =
        "cascade_after_" + (result ? std::string("soft_decline") : result.error().code);
    const int64_t now = s.clock_.NowMicros();
    Payment moved;
    Attempt started;
    auto w = co_await store::Write(s.store_, [&](Tx& tx) -> Result<void> {
      Payment p = carried;
      Attempt at = a;
      if (auto r = flow::RecordAttemptOutcome(tx, at, result, psp_us, now); !r) return r;
      ReplaceAttempt(p, at);
      auto move_to_next = [&]() -> Result<void> {
        started = flow::NewAttempt(p, Operation::kAuthorize, to, p.amount.minor_units, reason, now);
        p.connector = to.connector;
        p.connector_account_id = to.id;
        return repo::UpdatePayment(tx, p, now);
      };
      auto u = move_to_next();
      if (!u && u.error().code == "concurrent_update") {
        auto fresh = repo::LoadPaymentById(tx, carried.id);
        if (!fresh) return fresh.error();
        if (!*fresh) return Error::Internal("payment vanished: " + carried.id);
        p = std::move(**fresh);
        if (p.status != PaymentStatus::kProcessing) {
          return Error::Internal("payment " + p.id + " left processing during a cascade");
        }
        u = move_to_next();
      }
      if (!u) return u;
      if (auto r = repo::InsertAttempt(tx, started); !r) return r;
      p.attempts.push_back(started);
      moved = std::move(p);
      return {};
    });
    if (!w) {
      log::Error("cascade_not_recorded",
                 {{"payment", carried.id}, {"attempt", a.id}, {"detail", w.error().detail}});
      co_return w.error();
    }
    log::Info(
        "payment_cascaded",
        {{"payment", carried.id}, {"from", candidates[i].id}, {"to", to.id}, {"reason", reason}});
    carried = std::move(moved);
    a = std::move(started);
  }
}

Task<Result<PaymentService::UnsettledStats>> PaymentService::Unsettled() {
  repo::UnsettledSummary s;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto x = repo::SummarizeUnsettled(tx);
    if (!x) return x.error();
    s = *x;
    return {};
  });
  if (!r) co_return r.error();
  UnsettledStats out;
  out.count = s.count;
  if (s.oldest_created_us) {
    out.oldest_age_s =
        std::max<double>(0, static_cast<double>(clock_.NowMicros() - *s.oldest_created_us) / 1e6);
  }
  co_return out;
}

void PaymentService::SetPspCallObserver(std::function<void(const PspCall&)> observer) {
  on_psp_call_ = std::move(observer);
}

void PaymentService::SetBreakers(
    routing::BreakerBoard* board,
    std::function<void(const routing::BreakerTransition&)> on_transition) {
  breakers_ = board;
  on_breaker_transition_ = std::move(on_transition);
}

Task<Result<Answer>> PaymentService::Create(const Principal& principal, CreatePaymentParams params,
                                            Idempotency idem) {
  const int64_t now = clock_.NowMicros();
  Payment p;
  p.id = NewId("pay");
  p.merchant_id = principal.merchant_id;
  p.mode = principal.mode;
  p.amount = params.amount;
  p.payment_method = params.payment_method;
  p.payment_method_data = params.payment_method_data;
  p.return_url = params.return_url;
  p.capture_method = params.capture_method;
  p.description = params.description;
  p.metadata = params.metadata_json;
  p.customer_country = params.customer_country;
  if (params.connector_account) {
    p.routing = json::serialize(json::object{{"connector_account", *params.connector_account}});
  }
  // The initial status of a new payment: nothing to transition from.
  p.status = p.payment_method ? PaymentStatus::kRequiresConfirmation
                              : PaymentStatus::kRequiresPaymentMethod;
  p.created = p.updated = now;

  std::optional<Answer> replay;
  Answer out;
  Attempt a;
  std::vector<connectors::Account> candidates;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = idempotency::Claim(tx, principal, idem, p.id, now, replay); !r || replay) return r;
    if (params.confirm) {
      const std::string pm = p.payment_method_data.value_or(p.payment_method.value_or(""));
      auto route = Route(tx, connectors_, principal, pm, params.connector_account, breakers_,
                         *routing_cache_, p);
      if (!route) return route.error();
      candidates = std::move(route->candidates);
      const connectors::Account& account = candidates.front();
      if (auto c = CheckReturnUrl(account, p); !c) return c;
      if (auto t = Transition(p, PaymentStatus::kProcessing); !t) return t;
      p.connector = account.connector;
      p.connector_account_id = account.id;
      a = flow::NewAttempt(p, Operation::kAuthorize, account, p.amount.minor_units, route->reason,
                           now);
    }
    if (auto r = repo::InsertPayment(tx, p); !r) return r;
    if (params.confirm) return repo::InsertAttempt(tx, a);
    out.body = PaymentBody(p);
    return idempotency::Finish(tx, principal, idem, p.id, 200, out.body);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  if (!params.confirm) co_return out;
  co_return co_await Impl::Authorize(*this, principal, std::move(p), a, std::move(candidates),
                                     idem);
}

Task<Result<Answer>> PaymentService::Confirm(const Principal& principal, std::string id,
                                             std::optional<std::string> payment_method,
                                             Idempotency idem,
                                             std::optional<std::string> payment_method_data) {
  const int64_t now = clock_.NowMicros();
  std::optional<Answer> replay;
  Payment p;
  Attempt a;
  std::vector<connectors::Account> candidates;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = idempotency::Claim(tx, principal, idem, id, now, replay); !r || replay) return r;
    if (auto r = LoadForAction(tx, principal, id, "id", PaymentAction::kConfirm, p); !r) return r;
    if (payment_method) p.payment_method = payment_method;
    p.payment_method_data = payment_method_data;
    if (!p.payment_method_data && p.payment_method == kSchemePaymentMethod) {
      // The encrypted card was never stored: it must come with the confirmation.
      return Error::Invalid("parameter_missing",
                            "Confirming an Adyen card payment needs its encrypted card fields "
                            "(payment_method).",
                            "payment_method");
    }
    if (!p.payment_method) {
      return Error::Invalid("parameter_missing",
                            "A payment_method is needed to confirm this payment.",
                            "payment_method");
    }
    std::optional<std::string> named;
    if (p.routing) {
      boost::system::error_code ec;
      auto v = json::parse(*p.routing, ec);
      if (!ec && v.is_object()) {
        if (auto* c = v.as_object().if_contains("connector_account"); c && c->is_string()) {
          named = std::string(c->as_string());
        }
      }
    }
    const std::string pm = p.payment_method_data.value_or(*p.payment_method);
    auto route = Route(tx, connectors_, principal, pm, named, breakers_, *routing_cache_, p);
    if (!route) return route.error();
    candidates = std::move(route->candidates);
    const connectors::Account& account = candidates.front();
    if (auto c = CheckReturnUrl(account, p); !c) return c;
    if (auto t = Transition(p, PaymentStatus::kProcessing); !t) return t;
    p.connector = account.connector;
    p.connector_account_id = account.id;
    a = flow::NewAttempt(p, Operation::kAuthorize, account, p.amount.minor_units, route->reason,
                         now);
    if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
    return repo::InsertAttempt(tx, a);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  co_return co_await Impl::Authorize(*this, principal, std::move(p), a, std::move(candidates),
                                     idem);
}

Task<Result<Answer>> PaymentService::Capture(const Principal& principal, std::string id,
                                             std::optional<int64_t> amount_to_capture,
                                             Idempotency idem, Actor actor) {
  const int64_t now = clock_.NowMicros();
  std::optional<Answer> replay;
  Payment p;
  Attempt a;
  connectors::Account account;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = idempotency::Claim(tx, principal, idem, id, now, replay); !r || replay) return r;
    if (auto r = LoadForAction(tx, principal, id, "id", PaymentAction::kCapture, p); !r) return r;
    const int64_t amount = amount_to_capture.value_or(p.amount_capturable);
    if (amount > p.amount_capturable) {
      return Error::Invalid("amount_too_large",
                            "amount_to_capture (" + std::to_string(amount) +
                                ") is greater than the capturable amount (" +
                                std::to_string(p.amount_capturable) + ").",
                            "amount_to_capture");
    }
    auto acc = AccountOf(tx, p);
    if (!acc) return acc.error();
    account = *acc;
    if (auto t = Transition(p, PaymentStatus::kProcessing); !t) return t;
    a = flow::NewAttempt(p, Operation::kCapture, account, amount, "authorization", now);
    if (auto r = AuditPersonAction(tx, actor, principal, "payment.capture", p.id,
                                   json::object{{"amount", amount}}, now);
        !r) {
      return r;
    }
    if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
    return repo::InsertAttempt(tx, a);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  co_return co_await Impl::Finish(*this, principal, std::move(p), a, account, idem, std::nullopt);
}

Task<Result<Answer>> PaymentService::Cancel(const Principal& principal, std::string id,
                                            Idempotency idem, Actor actor) {
  const int64_t now = clock_.NowMicros();
  std::optional<Answer> replay;
  Answer out;
  Payment p;
  Attempt a;
  bool needs_void = false;
  connectors::Account account;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = idempotency::Claim(tx, principal, idem, id, now, replay); !r || replay) return r;
    if (auto r = LoadForAction(tx, principal, id, "id", PaymentAction::kCancel, p); !r) return r;
    if (auto r = AuditPersonAction(tx, actor, principal, "payment.cancel", p.id, {}, now); !r) {
      return r;
    }
    if (p.status == PaymentStatus::kRequiresCapture) {
      // Funds are held at the PSP: release them (void) before the payment is cancelled.
      needs_void = true;
      auto acc = AccountOf(tx, p);
      if (!acc) return acc.error();
      account = *acc;
      if (auto t = Transition(p, PaymentStatus::kProcessing); !t) return t;
      a = flow::NewAttempt(p, Operation::kVoid, account, p.amount_capturable, "authorization", now);
      if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
      return repo::InsertAttempt(tx, a);
    }
    if (auto t = Transition(p, PaymentStatus::kCancelled); !t) return t;
    p.amount_capturable = 0;
    if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
    if (auto r = webhooks::EmitEvent(tx, p.merchant_id, p.mode, "payment.cancelled", p.id,
                                     PaymentEventObject(p), now);
        !r) {
      return r;
    }
    out.body = PaymentBody(p);
    return idempotency::Finish(tx, principal, idem, p.id, 200, out.body);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  if (!needs_void) co_return out;
  co_return co_await Impl::Finish(*this, principal, std::move(p), a, account, idem, std::nullopt);
}

Task<Result<Payment>> PaymentService::Get(const Principal& principal, std::string id) {
  Payment out;
  auto r = co_await store::ReadInto(store_, out, [&](Tx& tx) {
    return Found(repo::LoadPayment(tx, principal.merchant_id, principal.mode, id), "payment", id);
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<Page<Payment>>> PaymentService::List(const Principal& principal, ListParams params) {
  Page<Payment> out;
  auto r = co_await store::ReadInto(
      store_, out, [&](Tx& tx) { return repo::ListPayments(tx, principal, params); });
  if (!r) co_return r.error();
  co_return out;
}

}  // namespace lp::payments
