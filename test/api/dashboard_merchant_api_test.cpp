// The dashboard's merchant resources (src/api/dashboard_merchant_api.cpp) through the real route
// table, the real services on a temp SQLite store and a fake clock: what a request needs on top
// of the /v1 handler — step-up on the routes marked so (and only there), `?mode=` taken out of
// the query, the object id handed to the handler as its own first parameter.
#include "lp/api/dashboard_merchant_api.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "lp/connectors/connector.hpp"
#include "lp/net/outbound_policy.hpp"
#include "people/fixture.hpp"

namespace lp::api {
namespace {

namespace json = boost::json;
using people::testing::RunTask;

constexpr std::string_view kHost = "dash.example.test";

class DashboardMerchantApiTest : public people::testing::PeopleTest {
 protected:
  void SetUp() override {
    PeopleTest::SetUp();
    limiter_ = auth::MakeInProcessRateLimiter(clock_);
    keys_ = std::make_unique<merchants::ApiKeyService>(
        *store_, Secret<std::string>(std::string(32, 'p')), clock_);
    connector_accounts_ =
        std::make_unique<merchants::ConnectorAccountService>(*store_, *keyring_, clock_, true);
    net::OutboundPolicy policy;
    policy.dev_mode = true;
    endpoints_ =
        std::make_unique<webhooks::WebhookEndpointService>(*store_, *keyring_, clock_, policy);
    events_ = std::make_unique<webhooks::EventService>(*store_);
    connectors::BuiltinOptions bo;
    bo.sandbox_ledger_path = (dir_ / "sandbox-ledger.jsonl").string();
    bo.clock = &clock_;
    auto registry = connectors::MakeBuiltinConnectors(bo);
    ASSERT_TRUE(registry);
    registry_ = std::move(*registry);
    payments_ = std::make_unique<payments::PaymentService>(*store_, *registry_, clock_);
    api_pipeline_ = std::make_unique<auth::ApiKeyPipeline>(*keys_, *store_, *limiter_, *keyring_,
                                                           clock_, auth::PipelineOptions{});
    session_ = std::make_unique<auth::SessionPipeline>(*accounts_, *store_, *limiter_, clock_,
                                                       auth::SessionPipelineOptions{});
    mdeps_ = std::make_unique<MerchantApiDeps>(MerchantApiDeps{
        *payments_, *keys_, *connector_accounts_, *endpoints_, *events_, *api_pipeline_, clock_});
    pdeps_ = std::make_unique<PeopleApiDeps>(
        PeopleApiDeps{*accounts_, *team_, *operators_, *session_, clock_});
    RegisterDashboardMerchantApi(router_, *pdeps_, *mdeps_);
    merchant_ = NewMerchant("Resources merchant");
    NewUser("dev@example.com", merchant_, "developer");  // no MFA required: satisfied at once
    grant_ = MustSignIn("dev@example.com");
  }
  void TearDown() override {
    router_ = http::Router();
    pdeps_.reset();
    mdeps_.reset();
    session_.reset();
    api_pipeline_.reset();
    payments_.reset();
    registry_.reset();
    events_.reset();
    endpoints_.reset();
    connector_accounts_.reset();
    keys_.reset();
    limiter_.reset();
    PeopleTest::TearDown();
  }

  struct Answer {
    int status = 0;
    json::value body;
    std::string Code() const {
      const auto* e = body.is_object() ? body.as_object().if_contains("error") : nullptr;
      return e ? std::string(e->as_object().at("code").as_string()) : std::string();
    }
  };

  // One request through the route table, as the dashboard listener would dispatch it.
  Answer Call(std::string method, const std::string& path_and_query, std::string body = {}) {
    http::Request r;
    r.listener = "dashboard";
    r.method = std::move(method);
    r.target = "/dashboard/api/merchants/" + merchant_ + path_and_query;
    const size_t q = r.target.find('?');
    r.path = r.target.substr(0, q);
    r.query = q == std::string::npos ? std::string() : r.target.substr(q + 1);
    r.request_id = "req_dashboard_resources";
    r.client_ip = "198.51.100.4";
    r.headers.emplace_back("host", std::string(kHost));
    r.headers.emplace_back("origin", "https://" + std::string(kHost));
    r.headers.emplace_back("cookie", "__Host-lp_session=" + grant_.token.Expose());
    r.headers.emplace_back("x-csrf-token", grant_.csrf_token);
    if (!body.empty()) {
      r.headers.emplace_back("content-type", "application/json");
      r.body = std::move(body);
    }
    const auto match = router_.Find(r.method, r.path, r.params);
    EXPECT_NE(match.route, nullptr) << r.method << " " << r.path;
    if (match.route == nullptr) {
      return {};
    }
    r.route = match.route->pattern;
    r.permission = match.route->permission;
    const http::Response resp = RunTask(match.route->handler(r));
    return Answer{resp.status, json::parse(resp.body)};
  }

  std::unique_ptr<auth::RateLimiter> limiter_;
  std::unique_ptr<merchants::ApiKeyService> keys_;
  std::unique_ptr<merchants::ConnectorAccountService> connector_accounts_;
  std::unique_ptr<webhooks::WebhookEndpointService> endpoints_;
  std::unique_ptr<webhooks::EventService> events_;
  std::unique_ptr<connectors::ConnectorRegistry> registry_;
  std::unique_ptr<payments::PaymentService> payments_;
  std::unique_ptr<auth::ApiKeyPipeline> api_pipeline_;
  std::unique_ptr<auth::SessionPipeline> session_;
  std::unique_ptr<MerchantApiDeps> mdeps_;
  std::unique_ptr<PeopleApiDeps> pdeps_;
  http::Router router_;
  std::string merchant_;
  people::SessionGrant grant_;
};

TEST_F(DashboardMerchantApiTest, StepUpGuardsOnlyTheMarkedRoutesAndExpiresAfterFiveMinutes) {
  // Signing in counts as a re-authentication: a key can be created at once.
  Answer a = Call("POST", "/api_keys", R"({"type":"publishable"})");
  ASSERT_EQ(a.status, 200) << json::serialize(a.body);
  const std::string key = std::string(a.body.at("id").as_string());
  a = Call("POST", "/connector_accounts", R"({"connector":"sandbox","label":"Sandbox"})");
  ASSERT_EQ(a.status, 200) << json::serialize(a.body);
  const std::string account = std::string(a.body.at("id").as_string());

  clock_.Advance(std::chrono::minutes(6));  // past the step-up window, inside the idle timeout
  for (const auto& [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/api_keys", R"({"type":"publishable"})"},
           {"PATCH", "/api_keys/" + key, R"({"allowed_cidrs":[]})"},
           {"POST", "/api_keys/" + key + "/roll", "{}"},
           {"POST", "/connector_accounts", R"({"connector":"sandbox"})"},
           {"PATCH", "/connector_accounts/" + account, R"({"credentials":{"api_key":"x"}})"},
           {"POST", "/webhook_endpoints", R"({"url":"https://example.com/h"})"},
           {"POST", "/webhook_endpoints/we_none/rotate_secret", ""},
       }) {
    a = Call(method, path, body);
    EXPECT_EQ((std::pair{a.status, a.Code()}),
              (std::pair{401, std::string("reauthentication_required")}))
        << method << " " << path;
  }
  // Not marked: reads, revocation, a connector account change without credentials.
  EXPECT_EQ(Call("GET", "/api_keys").status, 200);
  a = Call("PATCH", "/connector_accounts/" + account, R"({"label":"Renamed"})");
  EXPECT_EQ(a.status, 200) << json::serialize(a.body);
  EXPECT_EQ(a.body.at("label").as_string(), "Renamed");
  a = Call("DELETE", "/api_keys/" + key);
  EXPECT_EQ(a.status, 200) << json::serialize(a.body);
  EXPECT_EQ(a.body.at("status").as_string(), "revoked");
}

TEST_F(DashboardMerchantApiTest, ModeIsTakenOutOfTheQueryAndChoosesTheObjects) {
  Answer a = Call("POST", "/api_keys?mode=live", R"({"type":"publishable"})");
  ASSERT_EQ(a.status, 200) << json::serialize(a.body);
  EXPECT_EQ(a.body.at("livemode").as_bool(), true);
  const std::string live = std::string(a.body.at("id").as_string());
  // The handler sees its own parameters only: limit is read, mode is not "unknown".
  a = Call("GET", "/api_keys?limit=1&mode=live");
  ASSERT_EQ(a.status, 200) << json::serialize(a.body);
  ASSERT_EQ(a.body.at("data").as_array().size(), 1u);
  EXPECT_EQ(a.body.at("data").as_array()[0].at("id").as_string(), live);
  EXPECT_EQ(a.body.at("url").as_string(), "/v1/api_keys");
  a = Call("GET", "/api_keys");  // test mode by default: the live key is not there
  ASSERT_EQ(a.status, 200);
  EXPECT_TRUE(a.body.at("data").as_array().empty());
  EXPECT_EQ(Call("DELETE", "/api_keys/" + live).status, 404);
  for (const std::string bad : {"?mode=LIVE", "?mode=", "?mode=test&mode=live", "?mode"}) {
    a = Call("GET", "/api_keys" + bad);
    EXPECT_EQ((std::pair{a.status, a.Code()}), (std::pair{400, std::string("parameter_invalid")}))
        << bad;
    EXPECT_EQ(a.body.at("error").at("param").as_string(), "mode") << bad;
  }
  a = Call("GET", "/api_keys?colour=red&mode=live");
  EXPECT_EQ((std::pair{a.status, a.Code()}), (std::pair{400, std::string("parameter_unknown")}));
}

}  // namespace
}  // namespace lp::api
