// The audit log and home-page aggregate routes (docs/dashboard-api.md §8, and §9's
// /ops/api/audit_events[/export]): parse the query, call the audit log service or the stats
// queries, render. Registered beside the people routes on the dashboard and ops routers.
#pragma once

#include "lp/auth/session_pipeline.hpp"
#include "lp/common/clock.hpp"
#include "lp/http/router.hpp"
#include "lp/people/audit_log_service.hpp"
#include "lp/store/store.hpp"

namespace lp::api {

struct AuditStatsApiDeps {
  people::AuditLogService& audit_log;
  store::Store& store;                    // the stats' read transactions
  const auth::SessionPipeline& pipeline;  // of the listener the routes are registered on
  const Clock& clock;
};

// /dashboard/api/merchants/{m}/audit_events[/export] and /stats/{payments,declines,webhooks}.
void RegisterDashboardAuditStats(http::Router& router, const AuditStatsApiDeps& deps);
// /ops/api/audit_events[/export].
void RegisterOpsAudit(http::Router& router, const AuditStatsApiDeps& deps);

}  // namespace lp::api
