#include "lp/core/payments.hpp"

#include <boost/json.hpp>

#include "core/flow.hpp"
#include "core/pagination.hpp"
#include "core/render.hpp"
#include "core/repo.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"

namespace lp::core {

namespace json = boost::json;
using connectors::Operation;
using store::Tx;

namespace {

Error NoSuch(std::string_view what, std::string_view id, std::string param = "id") {
  return Error::NotFound("No such " + std::string(what) + ": '" + std::string(id) + "'",
                         std::move(param));
}

// Routing without rules: an explicitly named account, else the merchant's active accounts in
// creation order, keeping those whose connector takes the payment method.
Result<std::pair<connectors::Account, std::string>> Route(
    Tx& tx, const connectors::ConnectorRegistry& registry, const Principal& p,
    const std::string& payment_method, const std::optional<std::string>& named) {
  auto accounts = repo::ActiveAccounts(tx, p.merchant_id, p.mode);
  if (!accounts) return accounts.error();
  auto accepts = [&](const connectors::Account& a) {
    auto* c = registry.Find(a.connector);
    return c && c->Accepts(payment_method);
  };
  if (named) {
    for (const auto& a : *accounts) {
      if (a.id != *named) continue;
      if (!accepts(a)) {
        return Error::Invalid("payment_method_unsupported",
                              "The named connector account does not take this payment method.",
                              "payment_method");
      }
      return std::make_pair(a, std::string("explicit"));
    }
    return Error::Invalid("resource_missing", "No such connector account: '" + *named + "'",
                          "routing.connector_account");
  }
  for (const auto& a : *accounts) {
    if (accepts(a)) return std::make_pair(a, std::string("default_order"));
  }
  return Error::Invalid("no_connector_available",
                        "No active connector account takes this payment method.", "payment_method");
}

// The head of a payment action's first transaction: the caller's payment (404 when it is not
// theirs, naming `param`) and the state machine's answer whether `action` may start now.
Result<void> LoadForAction(Tx& tx, const Principal& principal, std::string_view id,
                           std::string param, PaymentAction action, Payment& out) {
  auto loaded = repo::LoadPayment(tx, principal.merchant_id, principal.mode, id);
  if (!loaded) return loaded.error();
  if (!*loaded) return NoSuch("payment", id, std::move(param));
  out = std::move(**loaded);
  return CheckAction(out.status, action);
}

Result<connectors::Account> AccountOf(Tx& tx, const Payment& p) {
  if (!p.connector_account_id) return Error::Internal("payment " + p.id + " has no account");
  auto a = repo::LoadAccount(tx, *p.connector_account_id);
  if (!a) return a.error();
  if (!*a) return Error::Internal("connector account " + *p.connector_account_id + " is gone");
  return **a;
}

void ReplaceAttempt(Payment& p, const Attempt& a) {
  for (auto& x : p.attempts) {
    if (x.id == a.id) {
      x = a;
      return;
    }
  }
  p.attempts.push_back(a);
}

}  // namespace

PaymentService::PaymentService(store::Store& store, const connectors::ConnectorRegistry& connectors,
                               const Clock& clock, int64_t psp_timeout_ms)
    : store_(store), connectors_(connectors), clock_(clock), psp_timeout_ms_(psp_timeout_ms) {}

// Phase two of every PSP-backed operation: call the PSP, then record the outcome, the events and
// the idempotent response in one transaction. `carried` is the payment as phase one committed it
// (status `processing`, or a refund's reservation); the outcome is applied to it without reading
// it back, and the optimistic version check in UpdatePayment falls back to a fresh read when
// something changed it meanwhile (a concurrent refund on the same payment).
struct PaymentService::Impl {
  static Task<Result<ApiResult>> Finish(PaymentService& s, const Principal& principal,
                                        Payment carried, Attempt a, connectors::Account account,
                                        Idempotency idem, std::optional<Refund> refund) {
    ApiResult out;
    const Operation op = a.operation == "capture"  ? Operation::kCapture
                         : a.operation == "void"   ? Operation::kVoid
                         : a.operation == "refund" ? Operation::kRefund
                                                   : Operation::kAuthorize;
    auto result = co_await flow::CallPsp(s.connectors_, account, op, flow::RequestFor(carried, a),
                                         false, s.psp_timeout_ms_, out.psp_us);
    const int64_t now = s.clock_.NowMicros();
    auto w = co_await store::Write(s.store_, [&](Tx& tx) -> Result<void> {
      // Runs again from the same inputs if the group commit retries its batch.
      Payment p = carried;
      Attempt at = a;
      std::optional<Refund> rf = refund;
      auto applied = flow::ApplyOutcome(tx, p, at, rf, result, out.psp_us, now);
      if (!applied && applied.error().code == "concurrent_update") {
        auto fresh = repo::LoadPaymentById(tx, carried.id);
        if (!fresh) return fresh.error();
        if (!*fresh) return Error::Internal("payment vanished: " + carried.id);
        p = std::move(**fresh);
        at = a;
        rf = refund;
        applied = flow::ApplyOutcome(tx, p, at, rf, result, out.psp_us, now);
      }
      if (!applied) return applied;
      ReplaceAttempt(p, at);
      out.body = rf ? RefundBody(*rf) : PaymentBody(p);
      return repo::FinishIdempotency(tx, principal, idem, rf ? rf->id : p.id, 200, out.body);
    });
    if (!w) {
      // The attempt stays pending; the recovery pass settles it.
      log::Error("psp_outcome_not_recorded",
                 {{"payment", carried.id}, {"attempt", a.id}, {"detail", w.error().detail}});
      co_return w.error();
    }
    co_return out;
  }
};

Task<Result<ApiResult>> PaymentService::Create(const Principal& principal,
                                               CreatePaymentParams params, Idempotency idem) {
  const int64_t now = clock_.NowMicros();
  Payment p;
  p.id = NewId("pay");
  p.merchant_id = principal.merchant_id;
  p.mode = principal.mode;
  p.amount = params.amount;
  p.currency = params.currency;
  p.payment_method = params.payment_method;
  p.capture_method = params.capture_method;
  p.description = params.description;
  p.metadata = params.metadata_json;
  if (params.connector_account) {
    p.routing = json::serialize(json::object{{"connector_account", *params.connector_account}});
  }
  p.status = p.payment_method ? PaymentStatus::kRequiresConfirmation
                              : PaymentStatus::kRequiresPaymentMethod;
  p.created = p.updated = now;

  std::optional<ApiResult> replay;
  ApiResult out;
  Attempt a;
  connectors::Account account;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = repo::ClaimIdempotency(tx, principal, idem, p.id, now, replay); !r || replay)
      return r;
    if (params.confirm) {
      auto route = Route(tx, connectors_, principal, p.payment_method.value_or(""),
                         params.connector_account);
      if (!route) return route.error();
      account = route->first;
      p.status = PaymentStatus::kProcessing;
      p.connector = account.connector;
      p.connector_account_id = account.id;
      a = flow::NewAttempt(p, Operation::kAuthorize, account, p.amount, route->second, now);
    }
    if (auto r = repo::InsertPayment(tx, p); !r) return r;
    if (params.confirm) return repo::InsertAttempt(tx, a);
    out.body = PaymentBody(p);
    return repo::FinishIdempotency(tx, principal, idem, p.id, 200, out.body);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  if (!params.confirm) co_return out;
  co_return co_await Impl::Finish(*this, principal, std::move(p), a, account, idem, std::nullopt);
}

Task<Result<ApiResult>> PaymentService::Confirm(const Principal& principal, std::string id,
                                                std::optional<std::string> payment_method,
                                                Idempotency idem) {
  const int64_t now = clock_.NowMicros();
  std::optional<ApiResult> replay;
  Payment p;
  Attempt a;
  connectors::Account account;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = repo::ClaimIdempotency(tx, principal, idem, id, now, replay); !r || replay)
      return r;
    if (auto r = LoadForAction(tx, principal, id, "id", PaymentAction::kConfirm, p); !r) return r;
    if (payment_method) p.payment_method = payment_method;
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
    auto route = Route(tx, connectors_, principal, *p.payment_method, named);
    if (!route) return route.error();
    account = route->first;
    p.status = PaymentStatus::kProcessing;
    p.connector = account.connector;
    p.connector_account_id = account.id;
    a = flow::NewAttempt(p, Operation::kAuthorize, account, p.amount, route->second, now);
    if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
    return repo::InsertAttempt(tx, a);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  co_return co_await Impl::Finish(*this, principal, std::move(p), a, account, idem, std::nullopt);
}

Task<Result<ApiResult>> PaymentService::Capture(const Principal& principal, std::string id,
                                                std::optional<int64_t> amount_to_capture,
                                                Idempotency idem) {
  const int64_t now = clock_.NowMicros();
  std::optional<ApiResult> replay;
  Payment p;
  Attempt a;
  connectors::Account account;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = repo::ClaimIdempotency(tx, principal, idem, id, now, replay); !r || replay)
      return r;
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
    p.status = PaymentStatus::kProcessing;
    a = flow::NewAttempt(p, Operation::kCapture, account, amount, "authorization", now);
    if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
    return repo::InsertAttempt(tx, a);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  co_return co_await Impl::Finish(*this, principal, std::move(p), a, account, idem, std::nullopt);
}

Task<Result<ApiResult>> PaymentService::Cancel(const Principal& principal, std::string id,
                                               Idempotency idem) {
  const int64_t now = clock_.NowMicros();
  std::optional<ApiResult> replay;
  ApiResult out;
  Payment p;
  Attempt a;
  bool needs_void = false;
  connectors::Account account;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = repo::ClaimIdempotency(tx, principal, idem, id, now, replay); !r || replay)
      return r;
    if (auto r = LoadForAction(tx, principal, id, "id", PaymentAction::kCancel, p); !r) return r;
    if (p.status == PaymentStatus::kRequiresCapture) {
      // Funds are held at the PSP: release them (void) before the payment is cancelled.
      needs_void = true;
      auto acc = AccountOf(tx, p);
      if (!acc) return acc.error();
      account = *acc;
      p.status = PaymentStatus::kProcessing;
      a = flow::NewAttempt(p, Operation::kVoid, account, p.amount_capturable, "authorization", now);
      if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
      return repo::InsertAttempt(tx, a);
    }
    p.status = PaymentStatus::kCancelled;
    p.amount_capturable = 0;
    if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
    if (auto r = repo::EmitEvent(tx, p.merchant_id, p.mode, "payment.cancelled", p.id,
                                 PaymentEventObject(p), now);
        !r) {
      return r;
    }
    out.body = PaymentBody(p);
    return repo::FinishIdempotency(tx, principal, idem, p.id, 200, out.body);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  if (!needs_void) co_return out;
  co_return co_await Impl::Finish(*this, principal, std::move(p), a, account, idem, std::nullopt);
}

Task<Result<ApiResult>> PaymentService::Get(const Principal& principal, std::string id) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto loaded = repo::LoadPayment(tx, principal.merchant_id, principal.mode, id);
    if (!loaded) return loaded.error();
    if (!*loaded) return NoSuch("payment", id);
    out.body = PaymentBody(**loaded);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

namespace {

// A page of payment or refund ids (the objects are then loaded with their attempts).
struct Page {
  std::vector<std::string> ids;
  bool has_more = false;
};

Result<Page> ListIds(Tx& tx, std::string_view table, const Principal& principal,
                     const ListParams& params,
                     std::vector<std::pair<std::string, std::string>> eq) {
  Page page;
  ListSpec spec{table, "id", std::move(eq), {}, false};
  auto more = ListPage(tx, spec, principal, params,
                       [&](const store::Row& row) { page.ids.push_back(row.Text(0)); });
  if (!more) return more.error();
  page.has_more = *more;
  return page;
}

}  // namespace

Task<Result<ApiResult>> PaymentService::List(const Principal& principal, ListParams params) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    std::vector<std::pair<std::string, std::string>> eq;
    if (params.status) eq.emplace_back("status", *params.status);
    auto page = ListIds(tx, "payments", principal, params, eq);
    if (!page) return page.error();
    std::vector<std::string> items;
    for (const auto& id : page->ids) {
      auto p = repo::LoadPayment(tx, principal.merchant_id, principal.mode, id);
      if (!p) return p.error();
      if (*p) items.push_back(PaymentBody(**p));
    }
    out.body = RenderTextList(items, page->has_more, "/v1/payments");
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<ApiResult>> PaymentService::CreateRefund(const Principal& principal,
                                                     RefundParams params, Idempotency idem) {
  const int64_t now = clock_.NowMicros();
  std::optional<ApiResult> replay;
  Payment p;
  Attempt a;
  Refund refund;
  refund.id = NewId("re");
  connectors::Account account;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    if (auto r = repo::ClaimIdempotency(tx, principal, idem, refund.id, now, replay); !r || replay)
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
    refund.amount = amount;
    refund.currency = p.currency;
    refund.reason = params.reason;
    refund.created = refund.updated = now;
    p.amount_refunded += amount;
    a = flow::NewAttempt(p, Operation::kRefund, account, amount, "payment", now);
    a.idempotency_key = refund.id;  // ties the attempt to its refund (recovery finds it so)
    if (auto r = repo::UpdatePayment(tx, p, now); !r) return r;
    if (auto r = repo::InsertRefund(tx, refund); !r) return r;
    return repo::InsertAttempt(tx, a);
  });
  if (!w) co_return w.error();
  if (replay) co_return *replay;
  co_return co_await Impl::Finish(*this, principal, std::move(p), a, account, idem, refund);
}

Task<Result<ApiResult>> PaymentService::GetRefund(const Principal& principal, std::string id) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto loaded = repo::LoadRefund(tx, principal.merchant_id, principal.mode, id);
    if (!loaded) return loaded.error();
    if (!*loaded) return NoSuch("refund", id);
    out.body = RefundBody(**loaded);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<ApiResult>> PaymentService::ListRefunds(const Principal& principal, ListParams params,
                                                    std::optional<std::string> payment_id) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    std::vector<std::pair<std::string, std::string>> eq;
    if (payment_id) eq.emplace_back("payment_id", *payment_id);
    if (params.status) eq.emplace_back("status", *params.status);
    auto page = ListIds(tx, "refunds", principal, params, eq);
    if (!page) return page.error();
    std::vector<std::string> items;
    for (const auto& id : page->ids) {
      auto f = repo::LoadRefund(tx, principal.merchant_id, principal.mode, id);
      if (!f) return f.error();
      if (*f) items.push_back(RefundBody(**f));
    }
    out.body = RenderTextList(items, page->has_more, "/v1/refunds");
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<ApiResult>> PaymentService::GetEvent(const Principal& principal, std::string id) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    bool found = false;
    auto q =
        tx.Query("SELECT data FROM events WHERE id = ? AND merchant_id = ? AND mode = ?",
                 {id, principal.merchant_id, ToString(principal.mode)}, [&](const store::Row& row) {
                   found = true;
                   out.body = row.Text(0);
                   return false;
                 });
    if (!q) return q.error();
    if (!found) return NoSuch("event", id);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<ApiResult>> PaymentService::ListEvents(const Principal& principal, ListParams params,
                                                   std::optional<std::string> type) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    std::string sql = "SELECT data, id FROM events WHERE merchant_id = ? AND mode = ?";
    std::vector<store::Value> args{principal.merchant_id, ToString(principal.mode)};
    if (type) {
      sql += " AND type = ?";
      args.emplace_back(*type);
    }
    AppendCreatedBounds(params, sql, args);
    const std::optional<std::string>& cursor =
        params.starting_after ? params.starting_after : params.ending_before;
    const bool reverse = params.ending_before.has_value() && !params.starting_after;
    if (cursor) {
      bool known = false;
      auto k = tx.Query("SELECT 1 FROM events WHERE id = ? AND merchant_id = ? AND mode = ?",
                        {*cursor, principal.merchant_id, ToString(principal.mode)},
                        [&](const store::Row&) {
                          known = true;
                          return false;
                        });
      if (!k) return k.error();
      if (!known) {
        return Error::Invalid("resource_missing", "No such object: '" + *cursor + "'",
                              params.starting_after ? "starting_after" : "ending_before");
      }
      sql += reverse ? " AND seq > " : " AND seq < ";
      sql += "(SELECT seq FROM events WHERE id = ? AND merchant_id = ? AND mode = ?)";
      args.emplace_back(*cursor);
      args.emplace_back(principal.merchant_id);
      args.emplace_back(ToString(principal.mode));
    }
    sql += reverse ? " ORDER BY seq ASC LIMIT ?" : " ORDER BY seq DESC LIMIT ?";
    args.emplace_back(static_cast<int64_t>(params.limit) + 1);
    std::vector<std::string> bodies;
    auto q = tx.QueryV(sql, args, [&](const store::Row& row) {
      bodies.push_back(row.Text(0));
      return true;
    });
    if (!q) return q.error();
    bool has_more = static_cast<int>(bodies.size()) > params.limit;
    if (has_more) bodies.pop_back();
    if (reverse) std::reverse(bodies.begin(), bodies.end());
    // The stored bodies are JSON text as webhooks deliver it (repo::EmitEvent).
    out.body = RenderTextList(bodies, has_more, "/v1/events");
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<size_t> PaymentService::Recover(bool include_pending, int64_t updated_before_us) {
  const int64_t cutoff = updated_before_us;
  struct Item {
    std::string attempt_id, payment_id;
  };
  std::vector<Item> items;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    return tx.Query(
        include_pending
            ? "SELECT id, payment_id FROM payment_attempts WHERE status IN ('pending', "
              "'processing') AND updated <= ? ORDER BY created LIMIT 5000"
            : "SELECT id, payment_id FROM payment_attempts WHERE status = 'processing' AND "
              "updated <= ? ORDER BY created LIMIT 5000",
        {cutoff}, [&](const store::Row& row) {
          items.push_back({row.Text(0), row.Text(1)});
          return true;
        });
  });
  if (!r) {
    log::Error("recovery_scan_failed", {{"detail", r.error().detail}});
    co_return 0;
  }
  size_t settled = 0;
  for (const auto& item : items) {
    Payment p;
    Attempt a;
    connectors::Account account;
    bool ok = false;
    auto load = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
      auto loaded = repo::LoadPaymentById(tx, item.payment_id);
      if (!loaded || !*loaded) return Error::Internal("payment missing");
      p = std::move(**loaded);
      for (const auto& x : p.attempts) {
        if (x.id == item.attempt_id) a = x;
      }
      auto acc = AccountOf(tx, p);
      if (!acc) return acc.error();
      account = *acc;
      ok = !a.id.empty();
      return {};
    });
    if (!load || !ok) continue;
    const Operation op = a.operation == "capture"  ? Operation::kCapture
                         : a.operation == "void"   ? Operation::kVoid
                         : a.operation == "refund" ? Operation::kRefund
                                                   : Operation::kAuthorize;
    int64_t psp_us = 0;
    // A background sync may wait longer than a merchant's request would.
    const int64_t sync_timeout_ms = std::min<int64_t>(psp_timeout_ms_ * 10, 30'000);
    auto result = co_await flow::CallPsp(connectors_, account, op, flow::RequestFor(p, a), true,
                                         std::max(sync_timeout_ms, psp_timeout_ms_), psp_us);
    if (!result && result.error().code != connectors::kPspUnknown) continue;  // still unclear
    const int64_t now = clock_.NowMicros();
    bool applied = false;
    auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
      auto fresh = repo::LoadPaymentById(tx, item.payment_id);
      if (!fresh || !*fresh) return Error::Internal("payment missing");
      Payment& q = **fresh;
      Attempt att;
      for (const auto& x : q.attempts) {
        if (x.id == item.attempt_id) att = x;
      }
      if (att.id.empty() || (att.status != "pending" && att.status != "processing")) return {};
      std::optional<Refund> refund;
      if (att.operation == "refund") {
        auto f = repo::LoadRefundByAttempt(tx, att);
        if (!f) return f.error();
        refund = *f;
      }
      if (auto x = flow::ApplyOutcome(tx, q, att, refund, result, att.latency_us.value_or(0), now);
          !x) {
        return x;
      }
      ReplaceAttempt(q, att);
      const std::string body = refund ? RefundBody(*refund) : PaymentBody(q);
      const std::string resource = refund ? refund->id : q.id;
      auto u = tx.Exec(
          "UPDATE idempotency_keys SET state = 'done', response_status = 200, response_body = ? "
          "WHERE resource_id = ? AND state = 'in_progress'",
          {body, resource});
      if (!u) return u.error();
      applied = true;
      return {};
    });
    if (!w) {
      log::Error("recovery_apply_failed",
                 {{"attempt", item.attempt_id}, {"detail", w.error().detail}});
      continue;
    }
    if (applied) {
      ++settled;
      log::Info("attempt_recovered", {{"attempt", item.attempt_id}, {"payment", item.payment_id}});
    }
  }
  co_return settled;
}

Task<Result<void>> PaymentService::PruneIdempotency(int64_t age_us) {
  const int64_t cutoff = clock_.NowMicros() - age_us;
  co_return co_await store::Write(store_, [cutoff](Tx& tx) -> Result<void> {
    auto r = tx.Exec("DELETE FROM idempotency_keys WHERE state = 'done' AND created < ?", {cutoff});
    if (!r) return r.error();
    return {};
  });
}

}  // namespace lp::core
