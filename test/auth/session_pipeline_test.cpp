// auth::SessionPipeline (docs/dashboard-api.md §1) driven directly: requests built by hand,
// the real people services on a temp SQLite store, a fake clock. What the pipeline decides —
// cookie → session (401), idle and absolute expiry (401 session_expired), the route's MFA gate
// (401 mfa_required / 403 mfa_enrollment_required), Origin and X-CSRF-Token on state-changing
// methods (403 csrf_failed, the handler never runs), Cache-Control, and the public routes'
// Origin check and per-IP limit — plus what its Caller lets a merchant route decide with
// people::Authorize (404 without membership, 403 merchant_frozen, 403 permission_denied).
#include "lp/auth/session_pipeline.hpp"

#include <gtest/gtest.h>

#include "lp/people/authorization.hpp"
#include "people/fixture.hpp"

namespace lp::auth {
namespace {

using people::Caller;
using people::MfaGate;
using people::RequestContext;
using people::testing::RunTask;

constexpr std::string_view kHost = "dash.example.test";
constexpr std::string_view kOrigin = "https://dash.example.test";

std::optional<std::string> HeaderOf(const http::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

std::string CodeOf(const http::Response& r) {
  const auto at = r.body.find("\"code\":\"");
  if (at == std::string::npos) {
    return {};
  }
  const auto start = at + 8;
  return r.body.substr(start, r.body.find('"', start) - start);
}

class SessionPipelineTest : public people::testing::PeopleTest {
 protected:
  void SetUp() override {
    PeopleTest::SetUp();
    limiter_ = MakeInProcessRateLimiter(clock_);
    SessionPipelineOptions o;
    o.public_rate_per_ip = 0.5;
    o.public_burst = 3;
    o.on_security_event = [this](std::string_view e) { events_.emplace_back(e); };
    pipeline_ = std::make_unique<SessionPipeline>(*accounts_, *store_, *limiter_, clock_, o);
    merchant_ = NewMerchant("Pipeline merchant");
  }
  void TearDown() override {
    pipeline_.reset();
    limiter_.reset();
    PeopleTest::TearDown();
  }

  // A handler that counts its calls and answers {"ok":true}.
  http::Handler Counting(MfaGate gate) {
    return pipeline_->Wrap(gate,
                           [this](http::Request&, const Caller&,
                                  const RequestContext&) -> Task<Result<SessionAnswer>> {
                             ++calls_;
                             co_return SessionAnswer{R"({"ok":true})", {}, false};
                           });
  }

  http::Request Req(std::string method, const std::string& token = {}, const std::string& csrf = {},
                    bool origin = true) {
    http::Request r;
    r.listener = "dashboard";
    r.method = std::move(method);
    r.path = "/dashboard/api/test";
    r.route = r.path;
    r.request_id = "req_pipeline";
    r.client_ip = "198.51.100.4";
    r.headers.emplace_back("host", std::string(kHost));
    if (!token.empty()) {
      r.headers.emplace_back("cookie", "theme=dark; __Host-lp_session=" + token);
    }
    if (!csrf.empty()) {
      r.headers.emplace_back("x-csrf-token", csrf);
    }
    if (origin) {
      r.headers.emplace_back("origin", std::string(kOrigin));
    }
    return r;
  }

  http::Response Run(const http::Handler& h, http::Request r) { return RunTask(h(r)); }

  // A user without MFA who is not required to have it: state satisfied at sign-in.
  people::SessionGrant Analyst() {
    NewUser("ana@example.com", merchant_, "analyst");
    return MustSignIn("ana@example.com");
  }

  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<SessionPipeline> pipeline_;
  std::string merchant_;
  int calls_ = 0;
  std::vector<std::string> events_;
};

TEST_F(SessionPipelineTest, NoCookieOrAnUnknownOneIs401AndTheHandlerNeverRuns) {
  const auto h = Counting(MfaGate::kSatisfied);
  http::Response r = Run(h, Req("GET"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(CodeOf(r), "authentication_required");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store");
  r = Run(h, Req("GET", std::string(43, 'A')));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(CodeOf(r), "authentication_required");
  EXPECT_EQ(calls_, 0);
}

TEST_F(SessionPipelineTest, AGetWithALiveSessionReachesTheHandlerWithoutCsrf) {
  const auto g = Analyst();
  const http::Response r = Run(Counting(MfaGate::kSatisfied), Req("GET", g.token.Expose()));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"ok":true})");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store");
  EXPECT_EQ(calls_, 1);
}

TEST_F(SessionPipelineTest, IdleTimeoutExpiresTheSessionAndUseKeepsItAlive) {
  const auto g = Analyst();
  const auto h = Counting(MfaGate::kSatisfied);
  // Used every 14 minutes: alive (the idle clock restarts at each request).
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(std::chrono::minutes(14));
    EXPECT_EQ(Run(h, Req("GET", g.token.Expose())).status, 200) << i;
  }
  clock_.Advance(std::chrono::minutes(16));
  const http::Response r = Run(h, Req("GET", g.token.Expose()));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(CodeOf(r), "session_expired");
  EXPECT_EQ(calls_, 3);
}

TEST_F(SessionPipelineTest, AbsoluteTimeoutExpiresEvenAnActiveSession) {
  const auto g = Analyst();
  const auto h = Counting(MfaGate::kSatisfied);
  int ok = 0;
  http::Response last;
  for (int i = 0; i < 12 * 6 + 2; ++i) {  // every 10 minutes for a little over 12 h
    clock_.Advance(std::chrono::minutes(10));
    last = Run(h, Req("GET", g.token.Expose()));
    if (last.status != 200) {
      break;
    }
    ++ok;
  }
  EXPECT_EQ(ok, 12 * 6 - 1);  // the request at exactly 12 h is already past the limit
  EXPECT_EQ(last.status, 401);
  EXPECT_EQ(CodeOf(last), "session_expired");
}

TEST_F(SessionPipelineTest, StateChangingRequestsNeedTheOriginAndTheCsrfToken) {
  const auto g = Analyst();
  const std::string token = g.token.Expose();
  const auto h = Counting(MfaGate::kSatisfied);
  for (const std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    SCOPED_TRACE(method);
    // No token, a wrong token, the right token without Origin, with a foreign Origin.
    http::Response r = Run(h, Req(method, token));
    EXPECT_EQ((std::pair{r.status, CodeOf(r)}), (std::pair{403, std::string("csrf_failed")}));
    r = Run(h, Req(method, token, std::string(43, 'x')));
    EXPECT_EQ((std::pair{r.status, CodeOf(r)}), (std::pair{403, std::string("csrf_failed")}));
    r = Run(h, Req(method, token, g.csrf_token, /*origin=*/false));
    EXPECT_EQ((std::pair{r.status, CodeOf(r)}), (std::pair{403, std::string("csrf_failed")}));
    http::Request foreign = Req(method, token, g.csrf_token, false);
    foreign.headers.emplace_back("origin", "https://evil.example");
    r = Run(h, foreign);
    EXPECT_EQ((std::pair{r.status, CodeOf(r)}), (std::pair{403, std::string("csrf_failed")}));
    EXPECT_EQ(calls_, 0);
  }
  EXPECT_FALSE(events_.empty());
  EXPECT_EQ(events_.front(), "csrf_failed");
  EXPECT_EQ(Run(h, Req("POST", token, g.csrf_token)).status, 200);
  EXPECT_EQ(calls_, 1);
}

TEST_F(SessionPipelineTest, AnotherSessionsCsrfTokenIsRefused) {
  const auto a = Analyst();
  const auto b = MustSignIn("ana@example.com");
  const http::Response r =
      Run(Counting(MfaGate::kSatisfied), Req("POST", a.token.Expose(), b.csrf_token));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(CodeOf(r), "csrf_failed");
  EXPECT_EQ(calls_, 0);
}

TEST_F(SessionPipelineTest, MfaGatesAnswerMfaRequiredOrEnrollmentRequired) {
  // An owner must have MFA and has none: state `enroll`.
  NewUser("owner@example.com", merchant_, "owner");
  const auto enroll = MustSignIn("owner@example.com");
  ASSERT_EQ(enroll.mfa, people::MfaState::kEnroll);
  http::Response r = Run(Counting(MfaGate::kSatisfied), Req("GET", enroll.token.Expose()));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(CodeOf(r), "mfa_enrollment_required");
  EXPECT_EQ(Run(Counting(MfaGate::kAnyState), Req("GET", enroll.token.Expose())).status, 200);
  EXPECT_EQ(Run(Counting(MfaGate::kEnrollment), Req("GET", enroll.token.Expose())).status, 200);
  // After enrolment a new sign-in is in state `required` until the code.
  const auto enrolled = Enrol(enroll.token.Expose());
  const auto required = MustSignIn("owner@example.com");
  ASSERT_EQ(required.mfa, people::MfaState::kRequired);
  r = Run(Counting(MfaGate::kSatisfied), Req("GET", required.token.Expose()));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(CodeOf(r), "mfa_required");
  r = Run(Counting(MfaGate::kEnrollment),
          Req("POST", required.token.Expose(), required.csrf_token));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(CodeOf(r), "mfa_required");
  EXPECT_EQ(Run(Counting(MfaGate::kMfaChallenge), Req("GET", required.token.Expose())).status, 200);
  const auto satisfied = SignInWithMfa("owner@example.com", enrolled.secret);
  EXPECT_EQ(Run(Counting(MfaGate::kSatisfied), Req("GET", satisfied.token.Expose())).status, 200);
  EXPECT_EQ(calls_, 4);
}

TEST_F(SessionPipelineTest, TheCallerDecidesMembershipFrozenAndPermissionInThatOrder) {
  const auto g = Analyst();
  std::string permission;
  std::string merchant = merchant_;
  const auto h = pipeline_->Wrap(
      MfaGate::kSatisfied,
      [&](http::Request&, const Caller& c, const RequestContext&) -> Task<Result<SessionAnswer>> {
        auto m = people::Authorize(c, merchant, permission);
        if (!m) {
          co_return m.error();
        }
        co_return SessionAnswer{R"({"ok":true})", {}, false};
      });
  permission = "payments:read";
  EXPECT_EQ(Run(h, Req("GET", g.token.Expose())).status, 200);
  permission = "users:write";  // not an analyst's
  http::Response r = Run(h, Req("GET", g.token.Expose()));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(CodeOf(r), "permission_denied");
  EXPECT_NE(r.body.find("users:write"), std::string::npos) << r.body;
  // Another merchant: 404 whatever the permission (no existence oracle).
  merchant = NewMerchant("Someone else");
  r = Run(h, Req("GET", g.token.Expose()));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(CodeOf(r), "resource_missing");
  // A frozen merchant: 403 merchant_frozen before the permission is looked at.
  merchant = merchant_;
  NewOperator("ops@example.com", "platform_admin");
  const auto opg = MustSignIn("ops@example.com", people::AccountKind::kOperator);
  const auto op = Enrol(opg.token.Expose(), people::AccountKind::kOperator);
  const Caller admin =
      MustAuth(op.session.token.Expose(), MfaGate::kSatisfied, people::AccountKind::kOperator);
  ASSERT_TRUE(RunTask(operators_->Freeze(admin, merchant_, "investigation", Ctx())));
  r = Run(h, Req("GET", g.token.Expose()));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(CodeOf(r), "merchant_frozen");
  permission = "payments:read";
  r = Run(h, Req("GET", g.token.Expose()));
  EXPECT_EQ(CodeOf(r), "merchant_frozen");
}

TEST_F(SessionPipelineTest, PublicRoutesCheckOriginAndLimitEachAddress) {
  const auto h = pipeline_->WrapPublic(
      [this](http::Request&, const RequestContext& ctx) -> Task<Result<SessionAnswer>> {
        ++calls_;
        EXPECT_EQ(ctx.origin, kOrigin);
        co_return SessionAnswer{R"({"ok":true})", {}, false};
      });
  http::Response r = Run(h, Req("POST", {}, {}, /*origin=*/false));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(CodeOf(r), "csrf_failed");
  EXPECT_EQ(calls_, 0);
  // Burst 3 per address, then 429 with a Retry-After; another address has its own bucket.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Run(h, Req("POST")).status, 200) << i;
  }
  r = Run(h, Req("POST"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(CodeOf(r), "rate_limited");
  ASSERT_TRUE(HeaderOf(r, "Retry-After"));
  EXPECT_GE(std::stoi(*HeaderOf(r, "Retry-After")), 1);
  http::Request other = Req("POST");
  other.client_ip = "198.51.100.5";
  EXPECT_EQ(Run(h, other).status, 200);
  EXPECT_EQ(calls_, 4);
}

TEST_F(SessionPipelineTest, CookieValueFindsTheNamedCookieOnly) {
  EXPECT_EQ(CookieValue("a=1; __Host-lp_session=abc ; b=2", "__Host-lp_session"), "abc");
  EXPECT_EQ(CookieValue("x__Host-lp_session=abc", "__Host-lp_session"), std::nullopt);
  EXPECT_EQ(CookieValue("", "__Host-lp_session"), std::nullopt);
  EXPECT_EQ(SessionCookie("__Host-lp_session", "v"),
            "__Host-lp_session=v; Path=/; Secure; HttpOnly; SameSite=Strict");
  EXPECT_EQ(ClearedSessionCookie("__Host-lp_session"),
            "__Host-lp_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

}  // namespace
}  // namespace lp::auth
