// The dashboard JSON API (/dashboard/api/…, dashboard listener) and the operator API
// (/ops/api/…, ops listener): docs/dashboard-api.md §3, §4, §6, §7, §9. The route table; the
// session pipeline (auth/session_pipeline.hpp) resolves the caller, handlers parse, call one
// people service (which authorizes the caller itself) and render.
#pragma once

#include "lp/auth/session_pipeline.hpp"
#include "lp/common/clock.hpp"
#include "lp/http/router.hpp"
#include "lp/people/account_service.hpp"
#include "lp/people/operator_service.hpp"
#include "lp/people/team_service.hpp"

namespace lp::api {

struct PeopleApiDeps {
  people::AccountService& accounts;
  people::TeamService& team;
  people::OperatorService& operators;
  const auth::SessionPipeline& pipeline;  // of the listener the routes are registered on
  const Clock& clock;
};

// The `data.object` of a user.invited event: the invitation (as GET …/invitations renders it,
// unmasked) plus its `invite_url` (holds the invitation's secret: never log it; null in the
// copy the events API shows).
std::string InvitationEventObject(const people::Invitation& invitation,
                                  std::optional<std::string_view> invite_url);

// Registers every /dashboard/api route on `router`; `deps` must outlive it.
void RegisterDashboardApi(http::Router& router, const PeopleApiDeps& deps);
// Registers every /ops/api route on `router`; `deps` must outlive it.
void RegisterOpsApi(http::Router& router, const PeopleApiDeps& deps);

}  // namespace lp::api
