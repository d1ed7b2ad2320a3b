// The service's phase-one helpers (payment_service_impl.hpp).
#include <algorithm>

#include "lp/connectors/descriptor.hpp"
#include "payments/payment_service_impl.hpp"

namespace lp::payments::service_internal {

Error NoSuch(std::string_view what, std::string_view id, std::string param) {
  return Error::NotFound("No such " + std::string(what) + ": '" + std::string(id) + "'",
                         std::move(param));
}

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

Result<void> LoadForAction(Tx& tx, const Principal& principal, std::string_view id,
                           std::string param, PaymentAction action, Payment& out) {
  auto found = Found(repo::LoadPayment(tx, principal.merchant_id, principal.mode, id), "payment",
                     id, std::move(param));
  if (!found) return found.error();
  out = std::move(*found);
  return CheckAction(out.status, action);
}

Result<connectors::Account> AccountOf(Tx& tx, const Payment& p) {
  if (!p.connector_account_id) return Error::Internal("payment " + p.id + " has no account");
  auto a = merchants::LoadAccount(tx, *p.connector_account_id);
  if (!a) return a.error();
  if (!*a) return Error::Internal("connector account " + *p.connector_account_id + " is gone");
  return **a;
}

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

Result<void> CheckReturnUrl(const connectors::Account& a, const Payment& p) {
  if (!a.return_url.empty() || p.return_url) return {};
  const auto* d = connectors::FindDescriptor(a.connector);
  if (!d || !d->requires_return_url) return {};
  return Error::Invalid("parameter_missing",
                        std::string(d->display_name) +
                            " needs a return_url: pass one with the payment or set "
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

Result<void> AuditPersonAction(Tx& tx, const Actor& actor, const Principal& p, std::string action,
                               const std::string& target, boost::json::object details,
                               int64_t now) {
  if (actor.type != "user" && actor.type != "operator") return {};
  details["livemode"] = p.mode == Mode::kLive;
  const audit::Record rec{actor.type,      actor.id,         std::move(action),
                          target,          p.merchant_id,    "success",
                          actor.source_ip, actor.request_id, boost::json::serialize(details)};
  return audit::Append(tx, rec, now);
}

}  // namespace lp::payments::service_internal
