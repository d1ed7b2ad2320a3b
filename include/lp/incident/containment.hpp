// Incident containment tools for operators (docs/security-monitoring.md "Incident tools",
// docs/incident-response.md "Containment"): revoke every API key of a merchant, revoke the
// dashboard sessions of a merchant's users or of one user, suspend (and re-enable) a connector
// account, rotate every webhook secret of a merchant. The same change for the ops API
// (ContainmentService: platform_admin's merchants:write plus step-up) and the CLI
// (`liasonpay incident …`, ApplySync). Each action writes one audit record (actor_type
// "operator", the reason in its details) in the transaction that makes the change.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lp/common/clock.hpp"
#include "lp/common/result.hpp"
#include "lp/common/task.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/people/model.hpp"
#include "lp/store/store.hpp"

namespace lp::incident {

enum class Action {
  kRevokeApiKeys,            // target: mer_…; every unrevoked key, test and live
  kRevokeMerchantSessions,   // target: mer_…; every live session of every member
  kRevokeUserSessions,       // target: usr_… (a dashboard user, not an operator)
  kSuspendConnectorAccount,  // target: an account id; status `suspended`, routing skips it
  kEnableConnectorAccount,   // target: a suspended account; status back to `active`
  kRotateWebhookSecrets,     // target: mer_…; new secrets nobody is shown, no grace period
};

// The audit action of each: incident.api_keys_revoke, incident.sessions_revoke (both session
// actions), incident.connector_account_suspend, incident.connector_account_enable,
// incident.webhook_secrets_rotate.
std::string_view AuditAction(Action action);

// Who acts: an operator's account id (ops API) or "cli:<user>" (CLI).
struct Actor {
  std::string id;
  std::string source_ip;
  std::string request_id;
  std::string via;  // "ops_api" | "cli" (kept in the audit details)
};

struct Outcome {
  std::string action;            // AuditAction
  std::string target;            // what the action named
  std::string merchant_id;       // the merchant concerned (empty: a user's sessions)
  int64_t count = 0;             // keys revoked, sessions revoked, secrets rotated; accounts: 1
  std::vector<std::string> ids;  // the keys revoked, the endpoints rotated
  std::optional<std::string> status;  // connector accounts: the status after the action
};

// 400 parameter_missing / parameter_invalid naming `reason` unless 1–500 characters.
Result<void> CheckReason(const std::string& reason);

// Does the action inside `tx` and audits it there. 404 resource_missing for an unknown target
// (a deleted connector account or webhook endpoint counts as unknown); 409 for enabling an
// account that is not suspended. `keyring`: needed by kRotateWebhookSecrets only.
Result<Outcome> Apply(store::Tx& tx, const crypto::KeyRing* keyring, Action action,
                      const std::string& target, const std::string& reason, const Actor& actor,
                      int64_t now_us);

// CheckReason + Apply in one write transaction (the CLI; blocking).
Result<Outcome> ApplySync(store::Store& store, const crypto::KeyRing* keyring, const Clock& clock,
                          Action action, const std::string& target, const std::string& reason,
                          const Actor& actor);

class ContainmentService {
 public:
  ContainmentService(store::Store& store, const crypto::KeyRing& keyring, const Clock& clock);
  // merchants:write (403 permission_denied), step-up (401 reauthentication_required), the
  // reason, then Apply in a write transaction.
  Task<Result<Outcome>> Run(const people::Caller& caller, Action action, std::string target,
                            std::string reason, people::RequestContext context);

 private:
  store::Store& store_;
  const crypto::KeyRing& keyring_;
  const Clock& clock_;
};

}  // namespace lp::incident
