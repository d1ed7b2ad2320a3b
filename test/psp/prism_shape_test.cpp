// Shape: the requests the Stripe and Adyen transformers build are sent to Stoplight Prism mocking
// the PSPs' official specs (test/psp/specs/, derived as in ../shared/psp/README.md). Every request
// must pass Prism's validation (no 422, no `sl-violations` header), and every example answer
// Prism serves must map to the outcome that example means.
//
// Prism serves plain HTTP, so the PSP client here allows http:// (as dev mode does); TLS is
// covered by the PSP client tests and the fake-PSP tests.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "connectors/adyen/transformers.hpp"
#include "connectors/stripe/stripe_connector.hpp"
#include "connectors/stripe/transformers.hpp"
#include "lp/common/clock.hpp"
#include "lp/net/psp_client.hpp"
#include "psp/support.hpp"
#include "psp/test_pki.hpp"
#include "support/money.hpp"
#include "support/temp_dir.hpp"

namespace lp::connectors {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using lp::testing::RunTask;

// Prism on a free loopback port (it cannot bind port 0): pick one, start, and try again on a
// collision. Fails with the package's name when the tooling is missing.
class Prism {
 public:
  explicit Prism(const std::string& spec) {
    const std::string prism = testing::PspToolDir() + "/node/node_modules/.bin/prism";
    const std::string node = testing::FindOnPath("node");
    if (node.empty()) {
      throw std::runtime_error("node is not installed (Debian package nodejs; run scripts/setup)");
    }
    if (::access(prism.c_str(), X_OK) != 0) {
      throw std::runtime_error(
          "npm package @stoplight/prism-cli is not installed in test/psp/node (run scripts/setup)");
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = testing::PickFreePort();
      proc_ = std::make_unique<testing::ChildProcess>(
          std::vector<std::string>{node, prism, "mock", testing::PspToolDir() + "/specs/" + spec,
                                   "-h", "127.0.0.1", "-p", std::to_string(port_)});
      if (proc_->WaitForLine("Prism is listening", 60s)) return;
      if (proc_->output().find("EADDRINUSE") == std::string::npos) break;
    }
    throw std::runtime_error("Prism did not start: " + proc_->output());
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::unique_ptr<testing::ChildProcess> proc_;
  uint16_t port_ = 0;
};

class PrismTest : public ::testing::Test {
 protected:
  static net::PspClientOptions Options() {
    net::PspClientOptions o;
    o.allow_http = true;
    return o;
  }
  // Sends a transformer's request (plus `extra` headers) and checks Prism's validation verdict.
  PspReply Send(const std::string& base, PspRequest req,
                std::vector<std::pair<std::string, std::string>> extra = {}) {
    net::PspHttpRequest http;
    http.method = req.post ? net::PspMethod::kPost : net::PspMethod::kGet;
    http.url = base + req.path;
    http.headers = std::move(req.headers);
    for (auto& h : extra) http.headers.push_back(std::move(h));
    http.body = std::move(req.body);
    auto res = RunTask(ioc_, client_.Call(std::move(http)));
    if (!res) throw std::runtime_error(res.error().code + ": " + res.error().detail);
    EXPECT_NE(res->status, 422) << req.path << "\n" << res->Header("sl-violations");
    EXPECT_EQ(res->Header("sl-violations"), "") << req.path;
    return PspReply{res->status, res->body, false};
  }

  asio::io_context ioc_;
  net::PspClient client_{ioc_.get_executor(), Options()};
};

// ---------------------------------------------------------------- Stripe

constexpr std::string_view kPrismStripeKey = "sk_test_prism_0123456789";

class StripePrismTest : public PrismTest {
 protected:
  static void SetUpTestSuite() { prism_ = new Prism("stripe/prism-payments.json"); }
  static void TearDownTestSuite() {
    delete prism_;
    prism_ = nullptr;
  }
  static OperationRequest Req() {
    OperationRequest r;
    r.payment_id = "pay_prism";
    r.idempotency_key = "att_prism";
    r.payment_method = "pm_card_visa";
    r.amount = lp::testing::MoneyOf(1099, "USD");
    r.psp_reference = "pi_1NnlpVGPxmnHQRkJNuz3w9tH";
    return r;
  }
  static inline Prism* prism_ = nullptr;
};

TEST_F(StripePrismTest, EveryRequestPassesValidationAndEveryAnswerMaps) {
  const std::string base = prism_->base();
  for (bool auto_capture : {true, false}) {
    for (const std::string return_url : {"", "https://shop.example/return"}) {
      OperationRequest req = Req();
      req.psp_reference.clear();
      req.auto_capture = auto_capture;
      req.return_url = return_url;
      auto built = stripe::BuildRequest(Operation::kAuthorize, req, kPrismStripeKey);
      ASSERT_TRUE(built);
      const PspReply reply = Send(base, *built);
      EXPECT_EQ(reply.status, 200);
      // The spec's example PaymentIntent is in requires_payment_method without an error.
      auto r = stripe::ParseResponse(Operation::kAuthorize, req, reply);
      ASSERT_TRUE(r) << r.error().detail;
      EXPECT_EQ(r->outcome, Outcome::kDeclined);
      EXPECT_EQ(r->psp_reference, "pi_1NnlpVGPxmnHQRkJNuz3w9tH");
    }
  }
  OperationRequest req = Req();
  req.amount.minor_units = 500;
  for (Operation op : {Operation::kCapture, Operation::kVoid}) {
    auto built = stripe::BuildRequest(op, req, kPrismStripeKey);
    ASSERT_TRUE(built);
    const PspReply reply = Send(base, *built);
    EXPECT_EQ(reply.status, 200);
    // A PaymentIntent in requires_payment_method after a capture/cancel: understood, unclear.
    auto r = stripe::ParseResponse(op, req, reply);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().detail.find("is requires_payment_method after"), std::string::npos)
        << r.error().detail;
  }
  req.refund_reason = "duplicate";
  auto refund = stripe::BuildRequest(Operation::kRefund, req, kPrismStripeKey);
  ASSERT_TRUE(refund);
  auto refunded = stripe::ParseResponse(Operation::kRefund, req, Send(base, *refund));
  ASSERT_TRUE(refunded) << refunded.error().detail;
  EXPECT_EQ(refunded->outcome, Outcome::kRefunded);
  EXPECT_TRUE(refunded->psp_reference.starts_with("re_"));

  auto retrieved =
      stripe::ParseResponse(Operation::kAuthorize, req,
                            Send(base, stripe::BuildRetrieve(req.psp_reference, kPrismStripeKey)),
                            /*sync=*/true);
  ASSERT_TRUE(retrieved);
  EXPECT_EQ(retrieved->psp_reference, "pi_1NnlpVGPxmnHQRkJNuz3w9tH");
}

TEST_F(StripePrismTest, TheMockCatchesARequestThatBreaksTheSchema) {
  // The validation check above means something: a create without amount is a violation.
  auto built = stripe::BuildRequest(Operation::kAuthorize, Req(), kPrismStripeKey);
  ASSERT_TRUE(built);
  net::PspHttpRequest http;
  http.url = prism_->base() + built->path;
  http.headers = built->headers;
  http.body = built->body.substr(built->body.find('&') + 1);  // drops amount=1099
  auto res = RunTask(ioc_, client_.Call(http));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 422);
  EXPECT_NE(res->Header("sl-violations").find("amount"), std::string_view::npos);
}

TEST_F(StripePrismTest, MissingAuthorizationIsRefusedByTheMock) {
  auto built = stripe::BuildRequest(Operation::kAuthorize, Req(), kPrismStripeKey);
  ASSERT_TRUE(built);
  net::PspHttpRequest http;
  http.url = prism_->base() + built->path;
  http.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  http.body = built->body;
  auto res = RunTask(ioc_, client_.Call(http));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);  // the mock checks what our requests carry
  auto r = stripe::ParseResponse(Operation::kAuthorize, Req(), {res->status, res->body, false});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kConnectorAuthenticationFailed);
}

TEST_F(StripePrismTest, TheConnectorRunsEndToEndAgainstTheMock) {
  SystemClock clock;
  stripe::StripeConnector connector(client_, clock, 5000);
  Account account;
  account.connector = "stripe";
  account.base_url = prism_->base();
  account.credentials.Set("secret_key", std::string(kPrismStripeKey));
  OperationRequest req = Req();
  req.amount.minor_units = 300;
  auto refund = RunTask(ioc_, connector.Execute(account, Operation::kRefund, req));
  ASSERT_TRUE(refund) << refund.error().detail;
  EXPECT_EQ(refund->outcome, Outcome::kRefunded);
}

// ---------------------------------------------------------------- Adyen

class AdyenPrismTest : public PrismTest {
 protected:
  static void SetUpTestSuite() { prism_ = new Prism("adyen/prism-CheckoutService-v71.json"); }
  static void TearDownTestSuite() {
    delete prism_;
    prism_ = nullptr;
  }
  static OperationRequest Req() {
    OperationRequest r;
    r.payment_id = "pay_prism";
    r.idempotency_key = "att_prism";
    r.payment_method =
        R"({"type":"scheme","encryptedCardNumber":"adyenjs_0_1_25$n","encryptedExpiryMonth":"adyenjs_0_1_25$m",)"
        R"("encryptedExpiryYear":"adyenjs_0_1_25$y","encryptedSecurityCode":"adyenjs_0_1_25$c","holderName":"J. Smith"})";
    r.amount = lp::testing::MoneyOf(1000, "EUR");
    r.return_url = "https://shop.example/return";
    r.psp_reference = "993617895215577D";
    return r;
  }
  std::string base() const { return prism_->base() + "/v71"; }
  static inline Prism* prism_ = nullptr;
  const adyen::AuthParams auth_{"AQE_prism_key", "LiasonPayECOM"};
};

TEST_F(AdyenPrismTest, PaymentRequestsPassAndEveryPaymentExampleMaps) {
  struct Example {
    std::string name;
    Outcome outcome;
  };
  // The /payments 200 examples of the spec, and what each one means.
  const Example examples[] = {
      {"card-3d-secure-2-web", Outcome::kRequiresAction},
      {"card-3d-secure-redirect", Outcome::kRequiresAction},
      {"card-direct", Outcome::kCaptured},
      {"card-securedfields", Outcome::kCaptured},
      {"enableOneClick-SF", Outcome::kCaptured},
      {"ideal", Outcome::kRequiresAction},
      {"on-demand-top-up-from-transfer-instrument", Outcome::kCaptured},
      {"on-demand-top-up-visa", Outcome::kCaptured},
      {"split-balanceplatform", Outcome::kCaptured},
      {"subscription-first-transaction", Outcome::kCaptured},
  };
  for (bool auto_capture : {true, false}) {
    OperationRequest req = Req();
    req.psp_reference.clear();
    req.auto_capture = auto_capture;
    auto built = adyen::BuildRequest(Operation::kAuthorize, req, auth_);
    ASSERT_TRUE(built);
    for (const auto& ex : examples) {
      const PspReply reply = Send(base(), *built, {{"Prefer", "example=" + ex.name}});
      EXPECT_EQ(reply.status, 200) << ex.name;
      auto r = adyen::ParseResponse(Operation::kAuthorize, req, reply);
      ASSERT_TRUE(r) << ex.name << ": " << r.error().detail;
      const Outcome expected =
          ex.outcome == Outcome::kCaptured && !auto_capture ? Outcome::kAuthorized : ex.outcome;
      EXPECT_EQ(r->outcome, expected) << ex.name;
      if (expected == Outcome::kRequiresAction) {
        // Action answers may come without a pspReference (3DS2 and iDEAL examples): the payment
        // is known by our reference until /payments/details completes it.
        EXPECT_FALSE(r->next_action_json.empty()) << ex.name;
      } else {
        EXPECT_FALSE(r->psp_reference.empty()) << ex.name;
      }
    }
  }
}

// Prism 5 does not validate Adyen's request bodies in the full Checkout spec (an empty object
// passes /payments; the same operation alone in a spec is validated), so the bodies are also
// validated against the spec's schemas with Ajv (JSON Schema 2020-12, test/psp/node/validate.mjs).
boost::json::array ValidateWithAjv(const boost::json::array& cases) {
  const std::string node = testing::FindOnPath("node");
  if (node.empty()) throw std::runtime_error("node is not installed (Debian package nodejs)");
  const std::string dir = testing::PspToolDir() + "/node";
  if (!std::filesystem::exists(dir + "/node_modules/ajv/package.json")) {
    throw std::runtime_error(
        "npm package ajv is not installed in test/psp/node (run scripts/setup)");
  }
  const lp::testing::TempDir tmp("lp_ajv");
  const std::string in = tmp.File("cases.json");
  testing::WriteFile(
      in, boost::json::serialize(boost::json::object{
              {"spec", testing::PspToolDir() + "/specs/adyen/prism-CheckoutService-v71.json"},
              {"cases", cases}}));
  testing::ChildProcess proc({node, dir + "/validate.mjs", in});
  int status = 0;
  const std::string out = proc.WaitForExit(60s, &status);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("validate.mjs: " + out);
  return boost::json::parse(out).as_array();
}

TEST_F(AdyenPrismTest, EveryRequestBodyMatchesTheOfficialSchema) {
  boost::json::array cases;
  std::vector<std::string> names;
  auto add = [&](Operation op, const OperationRequest& req, const char* schema, std::string name) {
    auto built = adyen::BuildRequest(op, req, auth_);
    ASSERT_TRUE(built) << name;
    cases.push_back(
        boost::json::object{{"schema", schema}, {"body", boost::json::parse(built->body)}});
    names.push_back(std::move(name));
  };
  OperationRequest req = Req();
  req.psp_reference.clear();
  add(Operation::kAuthorize, req, "PaymentRequest", "payment, automatic capture");
  req.auto_capture = false;
  add(Operation::kAuthorize, req, "PaymentRequest", "payment, manual capture");
  req = Req();
  req.refund_reason = "fraudulent";
  add(Operation::kCapture, req, "PaymentCaptureRequest", "capture");
  add(Operation::kVoid, req, "PaymentCancelRequest", "cancel");
  add(Operation::kRefund, req, "PaymentRefundRequest", "refund");
  // The check means something: without returnUrl the payment body is invalid.
  auto whole = adyen::BuildRequest(Operation::kAuthorize, Req(), auth_);
  ASSERT_TRUE(whole);
  boost::json::value broken = boost::json::parse(whole->body);
  broken.as_object().erase("returnUrl");
  cases.push_back(boost::json::object{{"schema", "PaymentRequest"}, {"body", broken}});
  const auto results = ValidateWithAjv(cases);
  ASSERT_EQ(results.size(), names.size() + 1);
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_TRUE(results[i].as_object().at("valid").as_bool())
        << names[i] << ": " << boost::json::serialize(results[i].as_object().at("errors"));
  }
  EXPECT_FALSE(results.back().as_object().at("valid").as_bool());
}

TEST_F(AdyenPrismTest, ModificationRequestsPassAndTheirExamplesArePending) {
  struct Case {
    Operation op;
    std::vector<std::string> examples;
    Outcome outcome;
  };
  const Case cases[] = {
      {Operation::kCapture,
       {"capture", "split-balanceplatform", "split-classic"},
       Outcome::kCaptured},
      {Operation::kVoid, {"cancel-with-psp-reference"}, Outcome::kVoided},
      {Operation::kRefund, {"refund"}, Outcome::kRefunded},
  };
  OperationRequest req = Req();
  req.amount.minor_units = 500;
  req.refund_reason = "requested_by_customer";
  for (const auto& c : cases) {
    auto built = adyen::BuildRequest(c.op, req, auth_);
    ASSERT_TRUE(built);
    for (const auto& name : c.examples) {
      const PspReply reply = Send(base(), *built, {{"Prefer", "example=" + name}});
      EXPECT_EQ(reply.status, 201) << name;
      auto r = adyen::ParseResponse(c.op, req, reply);
      ASSERT_TRUE(r) << name << ": " << r.error().detail;
      EXPECT_TRUE(r->pending) << name;
      EXPECT_EQ(r->outcome, c.outcome) << name;
    }
  }
}

TEST_F(AdyenPrismTest, ErrorExamplesMapToConnectorErrors) {
  auto built = adyen::BuildRequest(Operation::kAuthorize, Req(), auth_);
  ASSERT_TRUE(built);
  struct Case {
    int code;
    std::string_view expected;
  };
  for (const auto& c :
       {Case{401, kConnectorAuthenticationFailed}, Case{403, kConnectorAuthenticationFailed},
        Case{400, kPspRejected}, Case{422, kPspRejected}, Case{500, kPspError}}) {
    net::PspHttpRequest http;
    http.url = base() + built->path;
    http.headers = built->headers;
    http.headers.emplace_back("Prefer", "code=" + std::to_string(c.code));
    http.body = built->body;
    auto res = RunTask(ioc_, client_.Call(http));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, c.code);
    auto r = adyen::ParseResponse(Operation::kAuthorize, Req(), {res->status, res->body, false});
    ASSERT_FALSE(r) << c.code;
    EXPECT_EQ(r.error().code, c.expected) << c.code;
  }
}

}  // namespace
}  // namespace lp::connectors
