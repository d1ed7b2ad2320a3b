#include "lp/payments/payment_service.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "lp/audit/audit.hpp"
#include "lp/common/json_list.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/idempotency/idempotency.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "lp/payments/representation.hpp"
#include "lp/routing/breaker.hpp"
#include "lp/security/events.hpp"
#include "lp/store/pagination.hpp"
#include "lp/webhooks/events.hpp"
#include "payments/flow.hpp"
#include "payments/payment_repository.hpp"
#include "payments/routing_flow.hpp"

namespace lp::payments {

namespace json = boost::json;
using connectors::Operation;
using store::Tx;

namespace {

Error NoSuch(std::string_view what, std::string_view id, std::string param = "id") {
  return Error::NotFound("No such " + std::string(what) + ": '" + std::string(id) + "'",
                         std::move(param));
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
                     const Payment& payment) {
  auto accounts = merchants::ActiveAccounts(tx, p.merchant_id, p.mode);
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
      return Routed{{a}, "explicit"};
    }
    return Error::Invalid("resource_missing", "No such connector account: '" + *named + "'",
                          "routing.connector_account");
  }
  auto active = routing_flow::LoadActive(tx, cache, p.merchant_id, p.mode);
  if (!active) return active.error();
  if (active->config) {
    const int64_t now = MonotonicMicros();
    std::vector<routing::AccountView> views;
    views.reserve(accounts->size());
    for (const auto& a : *accounts) {
      views.push_back({a.id, true, accepts(a), breakers && breakers->IsOpen(a.id, now)});
    }
    std::vector<std::pair<std::string, std::string>> metadata;
    const auto facts = routing_flow::FactsOf(payment, metadata);
    const routing::Decision d =
        routing::Decide(*active->config, facts, views, routing_flow::SplitDraw());
    Routed out{{}, ""};
    for (const auto& c : d.candidates) {  // at most max_attempts (Decide cuts)
      for (auto& a : *accounts) {
        if (a.id == c.connector_account) out.candidates.push_back(a);
      }
      // The version and the reason ("rule:<name>", "fallback[0]", "default_order", …).
      if (out.reason.empty()) {
        out.reason = c.reason + "@v" + std::to_string(active->version);
      }
    }
    if (!out.candidates.empty()) return out;
    return Error::Invalid("no_connector_available",
                          "No active connector account takes this payment method.",
                          "payment_method");
  }
  Routed out{{}, "default_order"};
  for (auto& a : *accounts) {
    if (accepts(a)) out.candidates.push_back(std::move(a));
  }
  if (breakers && out.candidates.size() > 1) {
    // Accounts whose breaker is open go last: used only when nothing else takes the payment.
    const int64_t now = MonotonicMicros();
    std::stable_partition(
        out.candidates.begin(), out.candidates.end(),
        [&](const connectors::Account& a) { return !breakers->IsOpen(a.id, now); });
  }
  if (out.candidates.size() > kDefaultAuthorizeAttempts) {
    out.candidates.resize(kDefaultAuthorizeAttempts);
  }
  if (!out.candidates.empty()) return out;
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
  auto a = merchants::LoadAccount(tx, *p.connector_account_id);
  if (!a) return a.error();
  if (!*a) return Error::Internal("connector account " + *p.connector_account_id + " is gone");
  return **a;
}

// Opens the account's credentials when its connector reads them (the sandbox does not). Runs
// outside the store's transactions, just before the PSP call. A failure is clear: nothing was
// sent (psp_unavailable), and the detail goes to the log, never a credential.
Result<void> OpenCredentialsFor(const connectors::ConnectorRegistry& registry,
                                const crypto::KeyRing* keyring, connectors::Account& account) {
  auto* c = registry.Find(account.connector);
  if (!c || !c->UsesCredentials()) return {};
  Result<void> opened = keyring ? merchants::OpenAccountCredentials(*keyring, account)
                                : Result<void>(Error::Internal("no key ring"));
  if (!opened) {
    log::Error("connector_credentials_unreadable",
               {{"connector_account", account.id}, {"detail", opened.error().detail}});
    return Error{ErrorType::kUnavailable,
                 std::string(connectors::kPspUnavailable),
                 "The connector account's credentials could not be read.",
                 {},
                 "credentials unreadable"};
  }
  return {};
}

// Adyen refuses a payment without a return URL: asked for before anything is stored or sent.
Result<void> CheckReturnUrl(const connectors::Account& a, const Payment& p) {
  if (a.connector != "adyen" || !a.return_url.empty() || p.return_url) return {};
  return Error::Invalid("parameter_missing",
                        "Adyen needs a return_url: pass one with the payment or set "
                        "options.return_url on the connector account.",
                        "return_url");
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

// A capture, cancel or refund by a person (dashboard user) is a privileged action (PRODUCT.md
// §5): recorded in the transaction that makes it. An API key's own payment actions are not.
Result<void> AuditPersonAction(Tx& tx, const Actor& actor, const Principal& p, std::string action,
                               const std::string& target, json::object details, int64_t now) {
  if (actor.type != "user" && actor.type != "operator") return {};
  details["livemode"] = p.mode == Mode::kLive;
  const audit::Record rec{actor.type,      actor.id,         std::move(action),
                          target,          p.merchant_id,    "success",
                          actor.source_ip, actor.request_id, json::serialize(details)};
  return audit::Append(tx, rec, now);
}

}  // namespace

PaymentService::PaymentService(store::Store& store, const connectors::ConnectorRegistry& connectors,
                               const Clock& clock, int64_t psp_timeout_ms,
                               const crypto::KeyRing* keyring)
    : store_(store),
      connectors_(connectors),
      clock_(clock),
      psp_timeout_ms_(psp_timeout_ms),
      keyring_(keyring),
      routing_cache_(std::make_shared<RoutingCache>()) {}

// Phase two of the PSP-backed operations: the PSP call, recording its outcome, and the
// authorization's cascade (Finish, Authorize below).
struct PaymentService::Impl {
  // One PSP call for attempt `a` on `account` (its credentials opened first). Adds the wait to
  // `psp_us`.
  static Task<Result<connectors::OperationResult>> Call(PaymentService& s, const Payment& carried,
                                                        const Attempt& a,
                                                        connectors::Account account,
                                                        int64_t& psp_us,
                                                        std::string refund_reason = {}) {
    const Operation op = flow::OperationOf(a);
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
      s.on_psp_call_(PspCall{account.connector, account.id, connectors::ToString(a.operation),
                             outcome, waited});
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

  // The PSP refused the account's credentials: the account is marked (shown on it until the
  // credentials are replaced) and the change is audited once. Best effort: the payment goes on.
  static Task<void> CredentialsRefused(PaymentService& s, std::string account_id,
                                       std::string connector, std::string merchant_id) {
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

  // A breaker opened: an audit record and a `security.alert` event for the account's merchant
  // (their webhooks), in one transaction. Best effort: a failure is logged, the payment goes on.
  static Task<void> BreakerOpened(PaymentService& s, std::string merchant_id, Mode mode,
                                  routing::BreakerTransition t) {
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

  // Records a call's outcome, the events and the idempotent response in one transaction.
  static Task<Result<Answer>> Record(PaymentService& s, const Principal& principal, Payment carried,
                                     Attempt a, std::optional<Refund> refund,
                                     Result<connectors::OperationResult> result,
                                     int64_t attempt_psp_us, Idempotency idem, Answer out) {
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

  // Phase two of every PSP-backed operation but authorization: call the PSP, then record.
  // `carried` is the payment as phase one committed it (status `processing`, or a refund's
  // reservation); the outcome is applied to it without reading it back, and the optimistic
  // version check in UpdatePayment falls back to a fresh read when something changed it
  // meanwhile (a concurrent refund on the same payment).
  static Task<Result<Answer>> Finish(PaymentService& s, const Principal& principal, Payment carried,
                                     Attempt a, connectors::Account account, Idempotency idem,
                                     std::optional<Refund> refund) {
    Answer out;
    std::string reason = refund ? refund->reason.value_or("") : std::string();
    auto result = co_await Call(s, carried, a, std::move(account), out.psp_us, std::move(reason));
    const int64_t psp_us = out.psp_us;
    co_return co_await Record(s, principal, std::move(carried), std::move(a), std::move(refund),
                              std::move(result), psp_us, idem, std::move(out));
  }

  // Phase two of an authorization, with cascading (PRODUCT.md §2): while the outcome proves
  // nothing was charged and may succeed elsewhere (flow::Cascades: a soft decline, never sent,
  // refused unprocessed) and a candidate is left, one transaction records the attempt as failed
  // and the next attempt (its own idempotency key) as pending, with the payment still
  // `processing`, before that candidate is called. A crash between them leaves a pending
  // attempt that recovery settles; at most one attempt can have charged.
  static Task<Result<Answer>> Authorize(PaymentService& s, const Principal& principal,
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
          started = flow::NewAttempt(p, Operation::kAuthorize, to, p.amount, reason, now);
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
};

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
  p.currency = params.currency;
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
      a = flow::NewAttempt(p, Operation::kAuthorize, account, p.amount, route->reason, now);
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
    a = flow::NewAttempt(p, Operation::kAuthorize, account, p.amount, route->reason, now);
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
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto loaded = repo::LoadPayment(tx, principal.merchant_id, principal.mode, id);
    if (!loaded) return loaded.error();
    if (!*loaded) return NoSuch("payment", id);
    out = std::move(**loaded);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<Page<Payment>>> PaymentService::List(const Principal& principal, ListParams params) {
  Page<Payment> out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto page = repo::ListPayments(tx, principal, params);
    if (!page) return page.error();
    out = std::move(*page);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

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
    refund.amount = amount;
    refund.currency = p.currency;
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
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto loaded = repo::LoadRefund(tx, principal.merchant_id, principal.mode, id);
    if (!loaded) return loaded.error();
    if (!*loaded) return NoSuch("refund", id);
    out = std::move(**loaded);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<Page<Refund>>> PaymentService::ListRefunds(const Principal& principal,
                                                       ListParams params,
                                                       std::optional<std::string> payment_id) {
  Page<Refund> out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto page = repo::ListRefunds(tx, principal, params, payment_id);
    if (!page) return page.error();
    out = std::move(*page);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

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
  const Operation op = flow::OperationOf(a);
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
