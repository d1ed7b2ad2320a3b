// Stripe-Signature verification with the vectors of Stripe's own SDK tests
// (../shared/psp/vectors/VECTORS.md §1), and event parsing on the official example objects.
#include <gtest/gtest.h>

#include "connectors/fixture.hpp"
#include "connectors/stripe/webhooks.hpp"

namespace lp::connectors::stripe {
namespace {

using lp::testing::FixtureObject;
using lp::testing::ReadFixture;

// stripe/stripe-dotnet src/StripeTests/Services/Events/EventUtilityTest.cs (commit 04a2fb3d…):
// secret "webhook_secret", t=1533204620, over the 484-byte event_test_signature.json.
constexpr int64_t kDotnetT = 1533204620;
constexpr std::string_view kDotnetSecret = "webhook_secret";
const std::string kDotnetV1 = "2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7";
const std::string kDotnetV0 = "63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef";
const std::string kDotnetHeader = "t=1533204620,v1=" + kDotnetV1 + ",v0=" + kDotnetV0;

std::string DotnetPayload() { return ReadFixture("vectors/stripe-event_test_signature.json"); }

TEST(StripeSignature, DotnetVectorVerifies) {
  const std::string body = DotnetPayload();
  ASSERT_EQ(body.size(), 484u);
  EXPECT_TRUE(VerifySignature(kDotnetHeader, body, kDotnetSecret, kDotnetT + 100));
}

TEST(StripeSignature, OneChangedByteFails) {
  std::string body = DotnetPayload();
  body.pop_back();  // without the trailing newline (the 483-byte form signs differently)
  auto r = VerifySignature(kDotnetHeader, body, kDotnetSecret, kDotnetT);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "webhook_signature_invalid");
  body = DotnetPayload();
  body[10] ^= 1;
  EXPECT_FALSE(VerifySignature(kDotnetHeader, body, kDotnetSecret, kDotnetT));
  EXPECT_FALSE(VerifySignature(kDotnetHeader, DotnetPayload(), "webhook_secreT", kDotnetT));
}

TEST(StripeSignature, TimestampToleranceIs300Seconds) {
  const std::string body = DotnetPayload();
  EXPECT_TRUE(VerifySignature(kDotnetHeader, body, kDotnetSecret, kDotnetT + 300));
  EXPECT_FALSE(VerifySignature(kDotnetHeader, body, kDotnetSecret, kDotnetT + 400));
  EXPECT_FALSE(VerifySignature(kDotnetHeader, body, kDotnetSecret, kDotnetT - 400));  // future
}

TEST(StripeSignature, MalformedHeadersAreRefused) {
  const std::string body = DotnetPayload();
  for (const std::string& h : std::vector<std::string>{
           "t=,v1=" + kDotnetV1 + ",v0=" + kDotnetV0, std::string("t,v1=,v0="),
           std::string("t,v1=,v0"), std::string("t,v1=,"), std::string("t,,"), std::string(",,"),
           std::string("t"), std::string(""), "t=1533204620x,v1=" + kDotnetV1}) {
    auto r = VerifySignature(h, body, kDotnetSecret, kDotnetT);
    ASSERT_FALSE(r) << h;
    EXPECT_EQ(r.error().code, "webhook_signature_invalid") << h;
  }
}

TEST(StripeSignature, AnyMatchingV1IsEnoughAndV0IsIgnored) {
  const std::string body = DotnetPayload();
  EXPECT_TRUE(VerifySignature(kDotnetHeader + ",v1=" + std::string(64, 'a'), body, kDotnetSecret,
                              kDotnetT));
  EXPECT_TRUE(VerifySignature("t=1533204620,v1=" + std::string(64, 'b') + ",v1=" + kDotnetV1, body,
                              kDotnetSecret, kDotnetT));
  EXPECT_FALSE(VerifySignature("t=1533204620,v0=" + kDotnetV0, body, kDotnetSecret, kDotnetT));
}

TEST(StripeSignature, StripeNodeGeneratedVector) {
  // VECTORS.md 1b: stripe@23.1.0 generateTestHeaderString, secret whsec_test_secret.
  const std::string payload = "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}";
  EXPECT_TRUE(VerifySignature(
      "t=1700000000,v1=4f1cd7feda9826e746b7d482c4badebb657398df1099e1046364f6196a230150", payload,
      "whsec_test_secret", 1700000000));
}

TEST(StripeSignature, NoSecretFailsClosed) {
  auto r = VerifySignature(kDotnetHeader, DotnetPayload(), "", kDotnetT);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "webhook_secret_missing");
}

TEST(StripeSignature, DescriptorEntryReadsTheHeaderAndTheAccountSecret) {
  Credentials creds;
  creds.Set("secret_key", "sk_test_x");
  creds.Set("webhook_secret", std::string(kDotnetSecret));
  const std::string body = DotnetPayload();
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"content-type", "application/json"}, {"stripe-signature", kDotnetHeader}};
  EXPECT_TRUE(VerifyWebhook(creds, WebhookRequest{body, headers}, kDotnetT));
  const std::vector<std::pair<std::string, std::string>> none = {};
  EXPECT_FALSE(VerifyWebhook(creds, WebhookRequest{body, none}, kDotnetT));
}

// ---- events ----

std::string Event(const std::string& type, boost::json::object object) {
  boost::json::object ev{{"id", "evt_1NnmXEGPxmnHQRkJO3bak93X"},
                         {"object", "event"},
                         {"type", type},
                         {"created", 1694107045},
                         {"livemode", false},
                         {"data", boost::json::object{{"object", std::move(object)}}}};
  return boost::json::serialize(ev);
}

boost::json::object Pi(const std::string& status, const std::string& capture_method) {
  auto pi = FixtureObject("stripe_payment_intent.json");
  pi["status"] = status;
  pi["capture_method"] = capture_method;
  pi["metadata"] = boost::json::object{{"lp_attempt", "att_1"}, {"lp_payment", "pay_1"}};
  pi["amount_received"] = status == "succeeded" ? 1099 : 0;
  return pi;
}

PspEvent One(const std::string& body) {
  auto r = ParseEvent(body);
  EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  EXPECT_EQ(r->size(), 1u);
  return r->front();
}

TEST(StripeEvents, PaymentIntentSucceededIsACaptureOfTheRightOperation) {
  PspEvent automatic = One(Event("payment_intent.succeeded", Pi("succeeded", "automatic")));
  EXPECT_EQ(automatic.event_id, "evt_1NnmXEGPxmnHQRkJO3bak93X");
  EXPECT_EQ(automatic.action, PspEventAction::kApply);
  EXPECT_EQ(automatic.operation, Operation::kAuthorize);
  EXPECT_EQ(automatic.result.outcome, Outcome::kCaptured);
  EXPECT_EQ(automatic.payment_reference, "pi_1NnlpVGPxmnHQRkJNuz3w9tH");
  EXPECT_EQ(automatic.our_reference, "att_1");
  EXPECT_EQ(automatic.amount, 1099);
  EXPECT_EQ(automatic.currency, "USD");
  EXPECT_FALSE(automatic.livemode);
  EXPECT_EQ(automatic.created, 1694107045);
  PspEvent manual = One(Event("payment_intent.succeeded", Pi("succeeded", "manual")));
  EXPECT_EQ(manual.operation, Operation::kCapture);
}

TEST(StripeEvents, FailedCanceledAuthorizedAndActionEvents) {
  auto failed_pi = Pi("requires_payment_method", "automatic");
  failed_pi["last_payment_error"] = boost::json::object{{"type", "card_error"},
                                                        {"code", "card_declined"},
                                                        {"decline_code", "stolen_card"},
                                                        {"message", "Your card was declined."}};
  PspEvent failed = One(Event("payment_intent.payment_failed", failed_pi));
  EXPECT_EQ(failed.result.outcome, Outcome::kDeclined);
  EXPECT_EQ(failed.result.decline_code, "stolen_card");
  EXPECT_FALSE(failed.result.soft_decline);
  EXPECT_EQ(failed.result.message, "Your card was declined.");

  PspEvent canceled = One(Event("payment_intent.canceled", Pi("canceled", "manual")));
  EXPECT_EQ(canceled.operation, Operation::kVoid);
  EXPECT_EQ(canceled.result.outcome, Outcome::kVoided);

  auto capturable = Pi("requires_capture", "manual");
  capturable["amount_capturable"] = 1099;
  PspEvent authorized = One(Event("payment_intent.amount_capturable_updated", capturable));
  EXPECT_EQ(authorized.result.outcome, Outcome::kAuthorized);
  EXPECT_EQ(authorized.amount, 1099);

  auto action_pi = Pi("requires_action", "automatic");
  action_pi["next_action"] = boost::json::object{{"type", "redirect_to_url"}};
  PspEvent action = One(Event("payment_intent.requires_action", action_pi));
  EXPECT_EQ(action.result.outcome, Outcome::kRequiresAction);
  EXPECT_EQ(action.result.next_action_json, R"({"type":"redirect_to_url"})");

  EXPECT_EQ(One(Event("payment_intent.processing", Pi("processing", "automatic"))).action,
            PspEventAction::kIgnore);
}

TEST(StripeEvents, RefundObjectsSettleRefundsAndChargeRefundedAsksForASync) {
  auto re = FixtureObject("stripe_refund.json");
  re["payment_intent"] = "pi_1";
  re["metadata"] = boost::json::object{{"lp_attempt", "att_re"}};
  PspEvent ok = One(Event("charge.refund.updated", re));
  EXPECT_EQ(ok.action, PspEventAction::kApply);
  EXPECT_EQ(ok.operation, Operation::kRefund);
  EXPECT_EQ(ok.result.outcome, Outcome::kRefunded);
  EXPECT_EQ(ok.result.psp_reference, "re_1NnmX5GPxmnHQRkJzG1txqB9");
  EXPECT_EQ(ok.payment_reference, "pi_1");
  EXPECT_EQ(ok.our_reference, "att_re");
  EXPECT_EQ(ok.amount, 100);
  re["status"] = "failed";
  re["failure_reason"] = "lost_or_stolen_card";
  PspEvent failed = One(Event("refund.failed", re));
  EXPECT_EQ(failed.result.outcome, Outcome::kDeclined);
  EXPECT_EQ(failed.result.decline_code, "lost_or_stolen_card");
  re["status"] = "pending";
  EXPECT_EQ(One(Event("refund.updated", re)).action, PspEventAction::kIgnore);

  auto charge = FixtureObject("stripe_charge.json");
  charge["payment_intent"] = "pi_1";
  charge["amount_refunded"] = 100;
  PspEvent sync = One(Event("charge.refunded", charge));
  EXPECT_EQ(sync.action, PspEventAction::kSync);
  EXPECT_EQ(sync.payment_reference, "pi_1");
}

TEST(StripeEvents, OtherEventsAreIgnoredAndGarbageIsMalformed) {
  // fixtures3's own example event (plan.created).
  auto fixture = FixtureObject("stripe_payment_intent.json");  // any object
  PspEvent plan = One(Event("plan.created", fixture));
  EXPECT_EQ(plan.action, PspEventAction::kIgnore);
  for (const std::string bad :
       {"", "{}", "[]", R"({"object":"event","id":"evt_1","type":"x"})", "not json"}) {
    auto r = ParseEvent(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "webhook_malformed");
  }
  // The dotnet vector's event parses too (customer.created: ignored).
  auto dotnet = ParseEvent(DotnetPayload());
  ASSERT_TRUE(dotnet);
  EXPECT_EQ(dotnet->front().event_id, "evt_123");
  EXPECT_EQ(dotnet->front().action, PspEventAction::kIgnore);
}

}  // namespace
}  // namespace lp::connectors::stripe
