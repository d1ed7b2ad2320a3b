// Inbound PSP webhooks: verify with the account's credentials, deduplicate, settle attempts.
#include <boost/json.hpp>

#include "lp/audit/audit.hpp"
#include "lp/common/log.hpp"
#include "lp/connectors/descriptor.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "lp/payments/payment_service.hpp"
#include "payments/flow.hpp"
#include "payments/payment_repository.hpp"

namespace lp::payments {

using store::Tx;

namespace {

std::string AuditDetails(std::string_view reason) {
  boost::json::object o;
  o["reason"] = reason;
  return boost::json::serialize(o);
}

bool Unsettled(const Attempt& a) {
  return a.status == AttemptStatus::kPending || a.status == AttemptStatus::kProcessing;
}

// One verified event, inside the write transaction. `outcome` says what was done.
Result<void> ApplyEvent(Tx& tx, const connectors::Account& account, const connectors::PspEvent& ev,
                        int64_t now, std::string& outcome) {
  auto seen = repo::PspEventSeen(tx, account.id, ev.event_id);
  if (!seen) return seen.error();
  if (*seen) {
    outcome = "duplicate";
    return {};
  }
  outcome = "ignored";
  if (ev.action == connectors::PspEventAction::kApply && !ev.result.pending &&
      ev.livemode == (account.mode == Mode::kLive)) {
    auto found =
        repo::FindPaymentForPspEvent(tx, account.id, ev.our_reference, ev.payment_reference);
    if (!found) return found.error();
    if (!*found) {
      outcome = "unmatched";
    } else {
      auto loaded = repo::LoadPaymentById(tx, (*found)->first);
      if (!loaded) return loaded.error();
      if (!*loaded) return Error::Internal("payment missing");
      const Payment& p = **loaded;
      // The attempt the event settles: the one we named (our idempotency key), else the
      // payment's unsettled attempt of the event's operation on this account.
      const connectors::Operation op = ev.operation;
      const Attempt* target = nullptr;
      for (const auto& a : p.attempts) {
        if (a.id == (*found)->second && a.operation == op && Unsettled(a)) target = &a;
      }
      for (const auto& a : p.attempts) {
        if (target) break;
        if (a.operation == op && Unsettled(a) && a.connector_account_id == account.id) target = &a;
      }
      if (!target) {
        outcome = "already_settled";
      } else {
        auto s = flow::SettleAttempt(tx, p.id, target->id, ev.result, now);
        if (!s) return s.error();
        outcome = *s ? "applied" : "already_settled";
      }
    }
  } else if (ev.action == connectors::PspEventAction::kSync) {
    outcome = "sync";  // the recovery loop syncs the account's unsettled attempts
  }
  return repo::RecordPspEvent(tx, account.id, ev.event_id, ev.type, outcome, now);
}

}  // namespace

Task<Result<PaymentService::PspWebhookAnswer>> PaymentService::ApplyPspWebhook(
    std::string account_id, std::string body,
    std::vector<std::pair<std::string, std::string>> headers, std::string source_ip,
    std::string request_id, std::function<bool(std::string_view)> may_audit) {
  std::optional<merchants::OwnedAccount> owned;
  auto read = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto a = merchants::LoadOwnedAccount(tx, account_id);
    if (!a) return a.error();
    owned = std::move(*a);
    return {};
  });
  if (!read) co_return read.error();
  const connectors::ConnectorDescriptor* d =
      owned ? connectors::FindDescriptor(owned->account.connector) : nullptr;
  if (!owned || owned->status == "deleted" || !d || !d->verify_webhook) {
    co_return Error::NotFound("No such connector account: '" + account_id + "'", "id");
  }
  connectors::Account& account = owned->account;
  if (!keyring_) co_return Error::Internal("no key ring for PSP webhooks");
  if (auto o = merchants::OpenAccountCredentials(*keyring_, account); !o) {
    log::Error("connector_credentials_unreadable",
               {{"connector_account", account.id}, {"detail", o.error().detail}});
    co_return Error::Internal("credentials of " + account.id + " unreadable");
  }
  const int64_t now = clock_.NowMicros();
  const connectors::WebhookRequest wr{body, headers};
  if (auto v = d->verify_webhook(account.credentials, wr, now / 1'000'000); !v) {
    const std::string code = v.error().code;
    log::Warn("psp_webhook_rejected", {{"connector_account", account.id},
                                       {"connector", account.connector},
                                       {"reason", code},
                                       {"source_ip", source_ip}});
    if (!may_audit || may_audit(account.id + "|" + source_ip + "|" + code)) {
      (void)co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
        return audit::Append(
            tx,
            audit::Record{"system", "psp:" + account.connector, "psp_webhook.rejected", account.id,
                          owned->merchant_id, "denied", source_ip, request_id, AuditDetails(code)},
            now);
      });
    }
    co_return Error::Invalid(code, std::string(d->display_name) +
                                       " webhook could not be verified with this account's "
                                       "signing secret.");
  }
  auto events = d->parse_webhook(body);
  if (!events) {
    co_return Error::Invalid("webhook_malformed", "The webhook body could not be read.");
  }
  PspWebhookAnswer out;
  out.status = d->webhook_ack.status;
  out.content_type = std::string(d->webhook_ack.content_type);
  out.body = std::string(d->webhook_ack.body);
  for (const auto& ev : *events) {
    std::string outcome;
    Result<void> w = Error::Internal("not run");
    // A concurrent change of the same payment (the merchant's capture, a sync) makes the
    // optimistic version check refuse; the event is then applied to the fresh state.
    for (int attempt = 0; attempt < 3; ++attempt) {
      w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
        return ApplyEvent(tx, account, ev, now, outcome);
      });
      if (w || w.error().code != "concurrent_update") break;
    }
    if (!w) co_return w.error();  // not acknowledged: the PSP sends it again
    if (outcome == "applied") {
      ++out.applied;
    } else if (outcome == "duplicate") {
      ++out.duplicates;
    } else {
      ++out.ignored;
    }
    log::Info("psp_webhook_event", {{"connector_account", account.id},
                                    {"event", ev.event_id},
                                    {"type", ev.type},
                                    {"outcome", outcome}});
  }
  co_return out;
}

}  // namespace lp::payments
