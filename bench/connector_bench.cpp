// Connector transformer cost (Google Benchmark): what LiasonPay adds around a PSP call before any
// network I/O — building the request and mapping the answer — per PSP, on the official example
// bodies from test/connectors/fixtures. Run: build/bench/lp_connector_bench
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "connectors/adyen/transformers.hpp"
#include "connectors/adyen/webhooks.hpp"
#include "connectors/stripe/transformers.hpp"
#include "connectors/stripe/webhooks.hpp"

namespace {

using namespace lp::connectors;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(LP_SOURCE_DIR) + "/test/connectors/fixtures/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

OperationRequest StripeReq() {
  OperationRequest r;
  r.payment_id = "pay_01HZX8Q4abcdefghijklmnop";
  r.idempotency_key = "att_01HZX8Q4abcdefghijklmnop";
  r.payment_method = "pm_card_visa";
  r.amount = lp::Money{1099, *lp::LookupCurrency("EUR")};
  return r;
}

OperationRequest AdyenReq() {
  OperationRequest r = StripeReq();
  // Realistic sizes: Adyen's encrypted fields are ~500-700 characters each.
  const std::string blob = "adyenjs_0_1_25$" + std::string(600, 'A');
  r.payment_method = R"({"type":"scheme","encryptedCardNumber":")" + blob +
                     R"(","encryptedExpiryMonth":")" + blob + R"(","encryptedExpiryYear":")" +
                     blob + R"(","encryptedSecurityCode":")" + blob + R"("})";
  r.return_url = "https://shop.example/return";
  return r;
}

void BM_StripeBuildAuthorize(benchmark::State& state) {
  const OperationRequest req = StripeReq();
  for (auto _ : state) {
    auto r = stripe::BuildRequest(Operation::kAuthorize, req, "sk_test_51Abcdefghijklmnopqrstuv");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_StripeBuildAuthorize);

void BM_StripeParsePaymentIntent(benchmark::State& state) {
  const OperationRequest req = StripeReq();
  std::string body = Fixture("stripe_payment_intent.json");
  body.replace(body.find("requires_payment_method"), 23, "succeeded");
  const PspReply reply{200, body, false};
  for (auto _ : state) {
    auto r = stripe::ParseResponse(Operation::kAuthorize, req, reply);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_StripeParsePaymentIntent);

void BM_StripeParseCardDecline(benchmark::State& state) {
  const OperationRequest req = StripeReq();
  const PspReply reply{402, Fixture("stripe_error_card_declined.json"), false};
  for (auto _ : state) {
    auto r = stripe::ParseResponse(Operation::kAuthorize, req, reply);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_StripeParseCardDecline);

void BM_AdyenBuildAuthorize(benchmark::State& state) {
  const OperationRequest req = AdyenReq();
  const adyen::AuthParams auth{"AQEyhmfxK4PJ_api_key", "LiasonPayECOM"};
  for (auto _ : state) {
    auto r = adyen::BuildRequest(Operation::kAuthorize, req, auth);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_AdyenBuildAuthorize);

void BM_AdyenParseAuthorised(benchmark::State& state) {
  const OperationRequest req = AdyenReq();
  const PspReply reply{200, Fixture("adyen_payments_200_authorised.json"), false};
  for (auto _ : state) {
    auto r = adyen::ParseResponse(Operation::kAuthorize, req, reply);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_AdyenParseAuthorised);

void BM_StripeVerifyWebhook(benchmark::State& state) {
  const std::string body = Fixture("vectors/stripe-event_test_signature.json");
  const std::string header =
      "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7";
  for (auto _ : state) {
    auto r = stripe::VerifySignature(header, body, "webhook_secret", 1533204620);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_StripeVerifyWebhook);

void BM_AdyenVerifyNotification(benchmark::State& state) {
  const std::string body = Fixture("vectors/adyen-hmac-validation-webhook.json");
  for (auto _ : state) {
    auto r = adyen::VerifyNotification(
        body, "74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_AdyenVerifyNotification);

}  // namespace

BENCHMARK_MAIN();
