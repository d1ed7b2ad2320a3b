// Connector accounts as their connector's descriptor shapes them: credential validation (the
// sandbox's field list, a PSP's own rules), the credential shown as last4, the settings an
// account takes (options.return_url refused on the sandbox) and how responses render them.
#include "lp/merchants/connector_accounts.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/render.hpp"
#include "lp/connectors/descriptor.hpp"
#include "lp/merchants/api_keys.hpp"
#include "support/run_task.hpp"
#include "support/temp_keyring.hpp"
#include "support/temp_store.hpp"

namespace lp::merchants {
namespace {

namespace json = boost::json;
using testing::RunTask;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

std::string CodeParam(const Result<void>& r) {
  return r ? "<ok>" : r.error().code + " " + r.error().param;
}

TEST(ValidateCredentials, TheSandboxTakesAnOptionalApiKeyOnly) {
  EXPECT_TRUE(ValidateCredentials("sandbox", Obj("{}"), Mode::kTest));
  EXPECT_TRUE(ValidateCredentials("sandbox", Obj(R"({"api_key":"sbx_123"})"), Mode::kTest));
  EXPECT_TRUE(ValidateCredentials("sandbox", Obj(R"({"api_key":"sbx_123"})"), Mode::kLive));
  // Only the field list: no printable-ASCII rule as for the PSPs' credentials.
  EXPECT_TRUE(ValidateCredentials("sandbox", Obj(R"({"api_key":"a b"})"), Mode::kTest));
  EXPECT_EQ(CodeParam(ValidateCredentials("sandbox", Obj(R"({"secret_key":"sk"})"), Mode::kTest)),
            "parameter_unknown credentials.secret_key");
  // An unknown field is unknown whatever its value; a known one is a non-empty string.
  EXPECT_EQ(CodeParam(ValidateCredentials("sandbox", Obj(R"({"foo":1})"), Mode::kTest)),
            "parameter_unknown credentials.foo");
  for (std::string_view bad : {R"({"api_key":1})", R"({"api_key":""})", R"({"api_key":null})"}) {
    auto r = ValidateCredentials("sandbox", Obj(bad), Mode::kTest);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(CodeParam(r), "parameter_invalid credentials.api_key") << bad;
    EXPECT_EQ(r.error().message,
              "Credential fields are non-empty strings of at most 1000 characters.");
  }
  EXPECT_EQ(CodeParam(ValidateCredentials(
                "sandbox", json::object{{"api_key", std::string(1001, 'x')}}, Mode::kTest)),
            "parameter_invalid credentials.api_key");
}

TEST(ValidateCredentials, PspsValidateStringsWithTheirDescriptorAndUnknownNamesAreRefused) {
  auto not_string = ValidateCredentials("stripe", Obj(R"({"foo":1})"), Mode::kTest);
  EXPECT_EQ(CodeParam(not_string), "parameter_invalid credentials.foo");
  ASSERT_FALSE(not_string);
  EXPECT_EQ(not_string.error().message, "Credential fields are strings.");
  EXPECT_EQ(CodeParam(ValidateCredentials(
                "stripe", Obj(R"({"secret_key":"sk_test_51Abcdefghijkl"})"), Mode::kTest)),
            "parameter_missing credentials.webhook_secret");
  auto unknown = ValidateCredentials("paypal", Obj("{}"), Mode::kTest);
  EXPECT_EQ(CodeParam(unknown), "parameter_invalid connector");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "connector must be sandbox, stripe or adyen.");
}

class ConnectorAccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::OpenTempStore(dir_);
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
    auto k = testing::OpenTempKeyRing(dir_);
    ASSERT_TRUE(k) << k.error().detail;
    keyring_ = std::move(*k);
    auto w = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
      auto m = CreateMerchant(tx, "Acme", clock_);
      if (!m) return m.error();
      principal_.merchant_id = *m;
      return {};
    });
    ASSERT_TRUE(w) << w.error().detail;
    principal_.mode = Mode::kTest;
    accounts_ = std::make_unique<ConnectorAccountService>(*store_, *keyring_, clock_, false);
  }
  void TearDown() override {
    accounts_.reset();
    if (store_) store_->Close();
    store_.reset();
  }

  ConnectorAccount Create(AccountParams params) {
    auto a = RunTask(accounts_->Create(principal_, std::move(params), actor_));
    EXPECT_TRUE(a) << a.error().detail;
    return a ? *a : ConnectorAccount{};
  }
  static json::object Rendered(const ConnectorAccount& a) {
    return json::parse(api::RenderAccount(a)).as_object();
  }

  testing::TempDir dir_{"lp_accounts"};
  store::StorePtr store_;
  std::unique_ptr<crypto::KeyRing> keyring_;
  FakeClock clock_;
  Principal principal_;
  Actor actor_{"api_key", "key_test", "127.0.0.1", "req_1"};
  std::unique_ptr<ConnectorAccountService> accounts_;
};

TEST_F(ConnectorAccountsTest, TheSandboxShowsItsApiKeyLatencyAndSimulatedFailure) {
  AccountParams params;
  params.connector = std::string(connectors::kSandbox);
  params.credentials_json = R"({"api_key":"sbx_secret_value_1234"})";
  params.latency_ms = 7;
  params.simulate = "soft_decline";
  const ConnectorAccount a = Create(params);
  EXPECT_EQ(a.credentials_last4, "1234");
  const json::object o = Rendered(a);
  EXPECT_EQ(o.at("latency_ms"), json::value(7));
  EXPECT_EQ(o.at("options"), (json::value(json::object{{"simulate", "soft_decline"}})));
  EXPECT_EQ(o.at("credentials").at("last4"), "1234");

  AccountParams bare;
  bare.connector = std::string(connectors::kSandbox);
  const json::object b = Rendered(Create(bare));
  EXPECT_TRUE(b.at("latency_ms").is_null());
  EXPECT_TRUE(b.at("options").is_null());
  EXPECT_TRUE(b.at("credentials").is_null());

  // A return URL applies to PSP accounts only.
  AccountParams update;
  update.return_url = "https://shop.example/back";
  auto u = RunTask(accounts_->Update(principal_, a.id, update, actor_));
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, "parameter_invalid");
  EXPECT_EQ(u.error().param, "options.return_url");
  EXPECT_EQ(u.error().message, "options.return_url applies to PSP accounts only.");
}

TEST_F(ConnectorAccountsTest, APspShowsItsShownCredentialAndReturnUrlNeverLatency) {
  AccountParams params;
  params.connector = "stripe";
  params.credentials_json =
      R"({"secret_key":"sk_test_51Abcdefghijkl9876","webhook_secret":"whsec_abcdefghijkl"})";
  params.return_url = "https://shop.example/back";
  const ConnectorAccount a = Create(params);
  EXPECT_EQ(a.credentials_last4, "9876");  // secret_key, not webhook_secret
  const json::object o = Rendered(a);
  EXPECT_FALSE(o.contains("latency_ms"));
  EXPECT_EQ(o.at("options"),
            (json::value(json::object{{"return_url", "https://shop.example/back"}})));

  // Updated (the API allows latency_ms on update for any account): stored, never shown.
  AccountParams update;
  update.latency_ms = 5;
  auto u = RunTask(accounts_->Update(principal_, a.id, update, actor_));
  ASSERT_TRUE(u) << u.error().detail;
  EXPECT_FALSE(Rendered(*u).contains("latency_ms"));
}

}  // namespace
}  // namespace lp::merchants
