#include "app/incident_cli.hpp"

#include <fmt/core.h>

#include <boost/json.hpp>
#include <cstdlib>

#include "app/audit_cli.hpp"
#include "app/cli_common.hpp"
#include "app/security_txt.hpp"
#include "lp/audit/audit.hpp"
#include "lp/common/clock.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/incident/containment.hpp"
#include "lp/payments/incident.hpp"
#include "lp/people/operator_service.hpp"
#include "lp/security/events.hpp"
#include "lp/store/store.hpp"

namespace lp::app {

namespace json = boost::json;

namespace {

// Who ran the command, for the audit record: the host account.
std::string CliActor() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user && *user ? user : "unknown");
}

}  // namespace

int MerchantFreezeCommand(const Config& c, const std::string& merchant_id,
                          const std::string& reason, bool frozen) {
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail, FailKind::kCommand);
  SystemClock clock;
  auto m = people::SetMerchantFrozenSync(**store, clock, merchant_id, reason, frozen, CliActor());
  (*store)->Close();
  if (!m)
    return Fail(m.error().detail.empty() ? m.error().message : m.error().detail,
                FailKind::kCommand);
  fmt::print("{}\n",
             json::serialize(json::object{
                 {"object", "merchant"}, {"id", m->id}, {"name", m->name}, {"frozen", m->frozen}}));
  return 0;
}

int IncidentExportCommand(const Config& c, const std::string& from, const std::string& to,
                          const std::string& merchant) {
  auto f = ParseRfc3339(from);
  if (!f)
    return Fail("--from must be an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z",
                FailKind::kCommand);
  auto t = ParseRfc3339(to);
  if (!t)
    return Fail("--to must be an RFC 3339 date-time, e.g. 2026-12-02T00:00:00Z",
                FailKind::kCommand);
  if (*t <= *f) return Fail("--to must be after --from", FailKind::kCommand);
  const int64_t from_us = *f * 1'000'000, to_us = *t * 1'000'000;
  std::optional<std::string> merchant_id;
  if (!merchant.empty()) merchant_id = merchant;

  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail, FailKind::kCommand);
  int64_t n_audit = 0, n_events = 0, n_payments = 0;
  audit::VerifyReport chain;
  auto r = (*store)->ReadSync([&](store::Tx& tx) -> Result<void> {
    audit::ExportFilter af{from_us, to_us, merchant_id};
    auto a = audit::Export(tx, af, [&](const audit::StoredRecord& s) {
      ++n_audit;
      json::object o = AuditRecordJson(s);
      o["type"] = "audit_record";
      fmt::print("{}\n", json::serialize(o));
      return true;
    });
    if (!a) return a;
    security::EventFilter ef;
    ef.from_us = from_us;
    ef.to_us = to_us;
    ef.merchant_id = merchant_id;
    auto e = security::Scan(tx, ef, [&](const security::StoredEvent& s) {
      ++n_events;
      json::object o = json::parse(security::ToJson(s)).as_object();
      o["type"] = "security_event";
      o["time"] = FormatRfc3339(s.time_us / 1'000'000);
      fmt::print("{}\n", json::serialize(o));
      return true;
    });
    if (!e) return e;
    auto p = payments::ScanChangedPayments(
        tx, from_us, to_us, merchant_id, [&](const payments::PaymentDigest& d) {
          ++n_payments;
          fmt::print("{}\n", json::serialize(json::object{
                                 {"type", "payment"},
                                 {"id", d.id},
                                 {"merchant_id", d.merchant_id},
                                 {"mode", d.mode},
                                 {"status", d.status},
                                 {"amount", d.amount},
                                 {"currency", d.currency},
                                 {"created", FormatRfc3339(d.created_us / 1'000'000)},
                                 {"updated", FormatRfc3339(d.updated_us / 1'000'000)}}));
          return true;
        });
    if (!p) return p;
    auto v = audit::Verify(tx);
    if (!v) return v.error();
    chain = *v;
    return {};
  });
  if (!r) {
    (*store)->Close();
    return Fail(r.error().detail, FailKind::kCommand);
  }
  json::object summary{{"type", "summary"},
                       {"from", FormatRfc3339(*f)},
                       {"to", FormatRfc3339(*t)},
                       {"merchant", merchant_id ? json::value(*merchant_id) : json::value(nullptr)},
                       {"audit_records", n_audit},
                       {"security_events", n_events},
                       {"payments", n_payments},
                       {"audit_chain", json::object{{"intact", chain.ok},
                                                    {"records", chain.records},
                                                    {"first_bad_seq", chain.first_bad_seq}}}};
  fmt::print("{}\n", json::serialize(summary));
  // The export itself is a privileged action.
  SystemClock clock;
  json::object details{{"from", *f},
                       {"to", *t},
                       {"audit_records", n_audit},
                       {"security_events", n_events},
                       {"payments", n_payments}};
  auto w = (*store)->WriteSync([&](store::Tx& tx) -> Result<void> {
    return audit::Append(
        tx,
        audit::Record{"operator", CliActor(), "incident.export", merchant_id.value_or(""),
                      merchant_id.value_or(""), "success", "local", "", json::serialize(details)},
        clock.NowMicros());
  });
  (*store)->Close();
  if (!w) return Fail(w.error().detail, FailKind::kCommand);
  return chain.ok ? 0 : 1;
}

int IncidentContainCommand(const Config& c, const std::string& command, const std::string& target,
                           const std::string& reason) {
  using incident::Action;
  Action action;
  if (command == "revoke-keys") {
    action = Action::kRevokeApiKeys;
  } else if (command == "revoke-sessions-merchant") {
    action = Action::kRevokeMerchantSessions;
  } else if (command == "revoke-sessions-user") {
    action = Action::kRevokeUserSessions;
  } else if (command == "disable-connector") {
    action = Action::kSuspendConnectorAccount;
  } else if (command == "enable-connector") {
    action = Action::kEnableConnectorAccount;
  } else if (command == "rotate-webhook-secrets") {
    action = Action::kRotateWebhookSecrets;
  } else {
    return Fail("unknown incident command " + command, FailKind::kCommand);
  }
  if (auto r = incident::CheckReason(reason); !r)
    return Fail(r.error().message, FailKind::kCommand);
  std::unique_ptr<crypto::KeyRing> keyring;
  if (action == Action::kRotateWebhookSecrets) {
    auto k = crypto::KeyRing::Load(c.KeyringFile());
    if (!k)
      return Fail(k.error().detail.empty() ? k.error().message : k.error().detail,
                  FailKind::kCommand);
    keyring = std::move(*k);
  }
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail, FailKind::kCommand);
  SystemClock clock;
  const incident::Actor actor{CliActor(), "local", "", "cli"};
  auto o = incident::ApplySync(**store, keyring.get(), clock, action, target, reason, actor);
  (*store)->Close();
  if (!o)
    return Fail(o.error().detail.empty() ? o.error().message : o.error().detail,
                FailKind::kCommand);
  json::object out{
      {"object", "incident_action"},
      {"action", o->action},
      {"target", o->target},
      {"merchant", o->merchant_id.empty() ? json::value(nullptr) : json::value(o->merchant_id)}};
  if (o->status) {
    out["status"] = *o->status;
  } else if (action == Action::kRotateWebhookSecrets) {
    out["rotated"] = o->count;
  } else {
    out["revoked"] = o->count;
  }
  if (!o->ids.empty()) {
    json::array ids;
    for (const auto& id : o->ids) ids.emplace_back(id);
    out[action == Action::kRevokeApiKeys ? "api_keys" : "webhook_endpoints"] = std::move(ids);
  }
  fmt::print("{}\n", json::serialize(out));
  return 0;
}

}  // namespace lp::app
