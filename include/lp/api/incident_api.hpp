// The operator's containment routes on the ops listener (docs/dashboard-api.md §9, "Incident
// tools" in docs/security-monitoring.md): POST /ops/api/merchants/{id}/api_keys/revoke,
// …/merchants/{id}/sessions/revoke, …/users/{id}/sessions/revoke,
// …/connector_accounts/{id}/suspend|enable, …/merchants/{id}/webhook_endpoints/rotate_secrets.
// Each takes {"reason"}; merchants:write (platform_admin) and step-up.
#pragma once

#include "lp/auth/session_pipeline.hpp"
#include "lp/http/router.hpp"
#include "lp/incident/containment.hpp"
#include "lp/merchants/api_keys.hpp"

namespace lp::api {

struct IncidentApiDeps {
  incident::ContainmentService& containment;
  merchants::ApiKeyService& keys;         // this node's key cache is dropped after a revocation
  const auth::SessionPipeline& pipeline;  // the ops listener's
};

// Registers the routes on the ops router; `deps` must outlive it.
void RegisterIncidentApi(http::Router& router, const IncidentApiDeps& deps);

}  // namespace lp::api
