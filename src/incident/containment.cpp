#include "lp/incident/containment.hpp"

#include <unicode/unistr.h>

#include <boost/json.hpp>

#include "containment_repository.hpp"
#include "lp/audit/audit.hpp"
#include "lp/common/secret.hpp"
#include "lp/people/authorization.hpp"
#include "lp/people/errors.hpp"
#include "lp/store/sealed_columns.hpp"
#include "lp/webhooks/endpoints.hpp"
#include "lp/webhooks/signer.hpp"

namespace lp::incident {

namespace json = boost::json;

namespace {

struct Audited {
  std::string merchant_id;
  json::object details;
};

Result<void> Record(store::Tx& tx, Action action, const std::string& target, const Audited& a,
                    const std::string& reason, const Actor& actor, int64_t now) {
  json::object details = a.details;
  details["reason"] = reason;
  details["via"] = actor.via;
  return audit::Append(
      tx,
      audit::Record{"operator", actor.id, std::string(AuditAction(action)), target, a.merchant_id,
                    "success", actor.source_ip, actor.request_id, json::serialize(details)},
      now);
}

json::array Array(const std::vector<std::string>& ids) {
  json::array out;
  for (const auto& id : ids) out.emplace_back(id);
  return out;
}

Result<void> NeedMerchant(store::Tx& tx, const std::string& merchant_id) {
  auto m = repo::MerchantExists(tx, merchant_id);
  if (!m) return m.error();
  if (!*m) return people::NotFound("merchant");
  return {};
}

Result<Outcome> RotateSecrets(store::Tx& tx, const crypto::KeyRing* keyring,
                              const std::string& merchant_id, int64_t now) {
  if (!keyring) return Error::Internal("no key ring");
  auto ids = repo::LiveEndpoints(tx, merchant_id);
  if (!ids) return ids.error();
  for (const auto& id : *ids) {
    // A fresh secret that nobody sees: the merchant takes a new one with rotate_secret.
    std::string secret = webhooks::GenerateSecret();
    auto sealed = keyring->Seal(secret, store::AssociatedData(webhooks::kSecretColumn, id));
    crypto::SecureWipe(secret);
    if (!sealed) return sealed.error();
    if (auto r = repo::ReplaceSecret(tx, id, *sealed, now); !r) return r.error();
  }
  Outcome out;
  out.count = static_cast<int64_t>(ids->size());
  out.ids = std::move(*ids);
  return out;
}

}  // namespace

std::string_view AuditAction(Action action) {
  switch (action) {
    case Action::kRevokeApiKeys:
      return "incident.api_keys_revoke";
    case Action::kRevokeMerchantSessions:
    case Action::kRevokeUserSessions:
      return "incident.sessions_revoke";
    case Action::kSuspendConnectorAccount:
      return "incident.connector_account_suspend";
    case Action::kEnableConnectorAccount:
      return "incident.connector_account_enable";
    case Action::kRotateWebhookSecrets:
      return "incident.webhook_secrets_rotate";
  }
  return "incident.unknown";
}

Result<void> CheckReason(const std::string& reason) {
  if (reason.empty()) return people::MissingParameter("reason");
  const int32_t chars =
      icu::UnicodeString::fromUTF8(icu::StringPiece(reason.data(), reason.size())).countChar32();
  if (chars > 500) {
    return people::InvalidParameter("reason", "The reason must be 1 to 500 characters.");
  }
  return {};
}

Result<Outcome> Apply(store::Tx& tx, const crypto::KeyRing* keyring, Action action,
                      const std::string& target, const std::string& reason, const Actor& actor,
                      int64_t now) {
  Outcome out;
  Audited a;
  switch (action) {
    case Action::kRevokeApiKeys: {
      if (auto m = NeedMerchant(tx, target); !m) return m.error();
      auto ids = repo::RevokeMerchantKeys(tx, target, now);
      if (!ids) return ids.error();
      out.count = static_cast<int64_t>(ids->size());
      out.ids = std::move(*ids);
      a.merchant_id = target;
      a.details = {{"revoked", out.count}, {"keys", Array(out.ids)}};
      break;
    }
    case Action::kRevokeMerchantSessions: {
      if (auto m = NeedMerchant(tx, target); !m) return m.error();
      auto n = repo::RevokeMerchantSessions(tx, target, now);
      if (!n) return n.error();
      out.count = *n;
      a.merchant_id = target;
      a.details = {{"scope", "merchant"}, {"revoked", out.count}};
      break;
    }
    case Action::kRevokeUserSessions: {
      auto u = repo::UserExists(tx, target);
      if (!u) return u.error();
      if (!*u) return people::NotFound("user");
      auto n = repo::RevokeUserSessions(tx, target, now);
      if (!n) return n.error();
      out.count = *n;
      a.details = {{"scope", "user"}, {"revoked", out.count}};
      break;
    }
    case Action::kSuspendConnectorAccount:
    case Action::kEnableConnectorAccount: {
      auto acc = repo::FindAccount(tx, target);
      if (!acc) return acc.error();
      if (!*acc) return people::NotFound("connector account");
      const bool suspend = action == Action::kSuspendConnectorAccount;
      if (!suspend && (*acc)->status != "suspended") {
        return Error::Conflict(
            "account_not_suspended",
            "This connector account is not suspended (status '" + (*acc)->status + "').");
      }
      const std::string status = suspend ? "suspended" : "active";
      if (auto s = repo::SetAccountStatus(tx, target, status, now); !s) return s.error();
      out.count = 1;
      out.status = status;
      a.merchant_id = (*acc)->merchant_id;
      a.details = {{"previous_status", (*acc)->status}, {"status", status}};
      break;
    }
    case Action::kRotateWebhookSecrets: {
      if (auto m = NeedMerchant(tx, target); !m) return m.error();
      auto r = RotateSecrets(tx, keyring, target, now);
      if (!r) return r.error();
      out = std::move(*r);
      a.merchant_id = target;
      a.details = {{"rotated", out.count}, {"endpoints", Array(out.ids)}};
      break;
    }
  }
  out.action = std::string(AuditAction(action));
  out.target = target;
  out.merchant_id = a.merchant_id;
  if (auto r = Record(tx, action, target, a, reason, actor, now); !r) return r.error();
  return out;
}

Result<Outcome> ApplySync(store::Store& store, const crypto::KeyRing* keyring, const Clock& clock,
                          Action action, const std::string& target, const std::string& reason,
                          const Actor& actor) {
  if (auto r = CheckReason(reason); !r) return r.error();
  const int64_t now = clock.NowMicros();
  Outcome out;
  auto w = store.WriteSync([&](store::Tx& tx) -> Result<void> {
    auto o = Apply(tx, keyring, action, target, reason, actor, now);
    if (!o) return o.error();
    out = std::move(*o);
    return {};
  });
  if (!w) return w.error();
  return out;
}

ContainmentService::ContainmentService(store::Store& store, const crypto::KeyRing& keyring,
                                       const Clock& clock)
    : store_(store), keyring_(keyring), clock_(clock) {}

Task<Result<Outcome>> ContainmentService::Run(const people::Caller& caller, Action action,
                                              std::string target, std::string reason,
                                              people::RequestContext context) {
  if (auto a = people::AuthorizeOperator(caller, "merchants:write"); !a) {
    co_return a.error();
  }
  const int64_t now = clock_.NowMicros();
  if (auto s = people::RequireRecentAuthentication(caller, now); !s) {
    co_return s.error();
  }
  if (auto r = CheckReason(reason); !r) {
    co_return r.error();
  }
  const Actor actor{caller.user_id, context.ip, context.request_id, "ops_api"};
  Outcome out;
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto o = Apply(tx, &keyring_, action, target, reason, actor, now);
    if (!o) return o.error();
    out = std::move(*o);
    return {};
  });
  if (!w) {
    co_return w.error();
  }
  co_return out;
}

}  // namespace lp::incident
