// The dashboard's merchant resources (docs/dashboard-api.md §5): /dashboard/api/merchants/{m}/…
// payments, refunds, events, API keys, connector accounts, webhook endpoints and the merchant
// itself. Each route runs the /v1 handler (api/handlers.hpp) with the signed-in user as the
// principal (people::ToPrincipal): the same services, validation, bodies and errors. This file
// adds only the dashboard's part: the session (auth::SessionPipeline), membership (404),
// frozen (403), the route's permission (403), step-up (401), `?mode=` and PII masking.
#pragma once

#include "lp/api/merchant_api.hpp"
#include "lp/api/people_api.hpp"
#include "lp/http/router.hpp"

namespace lp::api {

// Registers the §5 routes on the dashboard router; both deps must outlive it.
void RegisterDashboardMerchantApi(http::Router& router, const PeopleApiDeps& people,
                                  const MerchantApiDeps& merchant);

}  // namespace lp::api
