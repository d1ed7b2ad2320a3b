// Incident tools on the command line (PRODUCT.md §1, docs/incident-response.md):
// `liasonpay merchant freeze|unfreeze` and `liasonpay incident export`. Both are audited.
#pragma once

#include <string>

#include "app/config.hpp"

namespace lp::app {

// Freezes (or unfreezes) a merchant: every API key and dashboard session of it is refused with
// 403 merchant_frozen (API keys within their 5 s cache). Prints the merchant as JSON.
int MerchantFreezeCommand(const Config& config, const std::string& merchant_id,
                          const std::string& reason, bool frozen);
// Prints the incident timeline of [from, to) as JSON lines, oldest first: audit records, then
// security events, then payments changed in the window (digests), then a summary with the
// counts and the audit chain's verification. `merchant`: one merchant's. Audited
// (`incident.export`).
int IncidentExportCommand(const Config& config, const std::string& from, const std::string& to,
                          const std::string& merchant);
// Containment (docs/security-monitoring.md "Incident tools"): `liasonpay incident revoke-keys |
// revoke-sessions | disable-connector | enable-connector | rotate-webhook-secrets`. `command` is
// the subcommand's name, `target` the merchant, user or account id. Audited as operator
// `cli:<$USER>`; prints the outcome as JSON (never a secret).
int IncidentContainCommand(const Config& config, const std::string& command,
                           const std::string& target, const std::string& reason);

}  // namespace lp::app
