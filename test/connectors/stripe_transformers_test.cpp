// Stripe transformers: the requests they build (shape, headers, form body) and the mapping of
// Stripe's answers, on fixtures from Stripe's official spec and example objects.
#include <gtest/gtest.h>

#include "connectors/fixture.hpp"
#include "connectors/stripe/transformers.hpp"
#include "support/money.hpp"

namespace lp::connectors::stripe {
namespace {

using lp::testing::FixtureObject;
using lp::testing::Patched;
using lp::testing::ReadFixture;

constexpr std::string_view kKey = "sk_test_51Abcdefghijklmnop";

OperationRequest Req() {
  OperationRequest r;
  r.payment_id = "pay_0001";
  r.idempotency_key = "att_0001";
  r.payment_method = "pm_card_visa";
  r.amount = lp::testing::MoneyOf(1099, "EUR");
  r.auto_capture = true;
  r.psp_reference = "";
  return r;
}

std::string HeaderOf(const PspRequest& r, std::string_view name) {
  const std::string* h = r.Header(name);
  return h ? *h : "<absent>";
}

PspReply Reply(int status, std::string body, bool replayed = false) {
  return PspReply{status, std::move(body), replayed};
}

TEST(StripeTransformers, AuthorizeIsOneFormEncodedCreateAndConfirm) {
  auto r = BuildRequest(Operation::kAuthorize, Req(), kKey);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->post);
  EXPECT_EQ(r->path, "/v1/payment_intents");
  EXPECT_EQ(r->body,
            "amount=1099&currency=eur&payment_method=pm_card_visa&confirm=true&capture_method="
            "automatic&automatic_payment_methods%5Benabled%5D=true&automatic_payment_methods%"
            "5Ballow_redirects%5D=never&metadata%5Blp_payment%5D=pay_0001&metadata%5Blp_attempt%"
            "5D=att_0001");
  EXPECT_EQ(HeaderOf(*r, "Authorization"), "Bearer sk_test_51Abcdefghijklmnop");
  EXPECT_EQ(HeaderOf(*r, "Stripe-Version"), "2023-08-16");
  EXPECT_EQ(HeaderOf(*r, "Idempotency-Key"), "att_0001");
  EXPECT_EQ(HeaderOf(*r, "Content-Type"), "application/x-www-form-urlencoded");
}

TEST(StripeTransformers, ManualCaptureAndReturnUrl) {
  OperationRequest req = Req();
  req.auto_capture = false;
  req.return_url = "https://shop.example/return?o=1";
  auto r = BuildRequest(Operation::kAuthorize, req, kKey);
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("capture_method=manual"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("return_url=https%3A%2F%2Fshop.example%2Freturn%3Fo%3D1"),
            std::string::npos)
      << r->body;
  EXPECT_EQ(r->body.find("allow_redirects"), std::string::npos) << r->body;
}

TEST(StripeTransformers, PartialCaptureCancelAndRefundTargetThePaymentIntent) {
  OperationRequest req = Req();
  req.psp_reference = "pi_1NnlpVGPxmnHQRkJNuz3w9tH";
  req.idempotency_key = "att_cap";
  req.amount.minor_units = 500;
  auto cap = BuildRequest(Operation::kCapture, req, kKey);
  ASSERT_TRUE(cap);
  EXPECT_EQ(cap->path, "/v1/payment_intents/pi_1NnlpVGPxmnHQRkJNuz3w9tH/capture");
  EXPECT_EQ(cap->body, "amount_to_capture=500");
  EXPECT_EQ(HeaderOf(*cap, "Idempotency-Key"), "att_cap");

  auto cancel = BuildRequest(Operation::kVoid, req, kKey);
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->path, "/v1/payment_intents/pi_1NnlpVGPxmnHQRkJNuz3w9tH/cancel");
  EXPECT_EQ(cancel->body, "");

  req.refund_reason = "requested_by_customer";
  auto refund = BuildRequest(Operation::kRefund, req, kKey);
  ASSERT_TRUE(refund);
  EXPECT_EQ(refund->path, "/v1/refunds");
  EXPECT_EQ(refund->body,
            "payment_intent=pi_1NnlpVGPxmnHQRkJNuz3w9tH&amount=500&reason=requested_by_customer&"
            "metadata%5Blp_payment%5D=pay_0001&metadata%5Blp_attempt%5D=att_cap");
  req.refund_reason = "because";  // not one of Stripe's reasons: left out
  EXPECT_EQ(BuildRequest(Operation::kRefund, req, kKey)->body.find("reason="), std::string::npos);
}

TEST(StripeTransformers, RefusesWhatStripeCannotTake) {
  OperationRequest req = Req();
  req.payment_method = "tok_visa";
  EXPECT_EQ(BuildRequest(Operation::kAuthorize, req, kKey).error().param, "payment_method");
  req = Req();
  req.amount.minor_units = 0;
  EXPECT_EQ(BuildRequest(Operation::kAuthorize, req, kKey).error().param, "amount");
  req = Req();
  EXPECT_EQ(BuildRequest(Operation::kCapture, req, kKey).error().param, "psp_reference");
  req.psp_reference = "pi_1/../../v1/customers";
  EXPECT_EQ(BuildRequest(Operation::kRefund, req, kKey).error().param, "psp_reference");
}

TEST(StripeTransformers, SyncRequestsAreGets) {
  auto get = BuildRetrieve("pi_123", kKey);
  EXPECT_FALSE(get.post);
  EXPECT_EQ(get.path, "/v1/payment_intents/pi_123");
  EXPECT_EQ(get.Header("Idempotency-Key"), nullptr);
  EXPECT_EQ(HeaderOf(get, "Stripe-Version"), "2023-08-16");
  EXPECT_EQ(BuildSearchByAttempt("att_1", kKey).path,
            "/v1/payment_intents/search?query=metadata%5B%27lp_attempt%27%5D%3A%27att_1%27");
  EXPECT_EQ(BuildListRefunds("pi_1", kKey).path, "/v1/refunds?payment_intent=pi_1&limit=100");
}

// ---- responses ----

Result<OperationResult> ParsePi(Operation op, const std::string& patch, bool auto_capture = true,
                                bool sync = false) {
  OperationRequest req = Req();
  req.auto_capture = auto_capture;
  return ParseResponse(op, req, Reply(200, Patched("stripe_payment_intent.json", patch)), sync);
}

TEST(StripeTransformers, PaymentIntentStatusesMapToOutcomes) {
  auto captured =
      ParsePi(Operation::kAuthorize, R"({"status":"succeeded","amount_received":1099})");
  ASSERT_TRUE(captured);
  EXPECT_EQ(captured->outcome, Outcome::kCaptured);
  EXPECT_EQ(captured->psp_reference, "pi_1NnlpVGPxmnHQRkJNuz3w9tH");
  EXPECT_EQ(captured->amount, 1099);
  EXPECT_FALSE(captured->pending);

  auto authorized = ParsePi(Operation::kAuthorize,
                            R"({"status":"requires_capture","amount_capturable":1099})", false);
  ASSERT_TRUE(authorized);
  EXPECT_EQ(authorized->outcome, Outcome::kAuthorized);
  EXPECT_EQ(authorized->amount, 1099);
  EXPECT_EQ(authorized->psp_status, "requires_capture");

  auto action = ParsePi(Operation::kAuthorize,
                        R"({"status":"requires_action","next_action":{"type":"use_stripe_sdk",)"
                        R"("use_stripe_sdk":{"type":"three_d_secure_redirect"}}})");
  ASSERT_TRUE(action);
  EXPECT_EQ(action->outcome, Outcome::kRequiresAction);
  EXPECT_EQ(action->next_action_json,
            R"({"type":"use_stripe_sdk","use_stripe_sdk":{"type":"three_d_secure_redirect"}})");

  auto processing = ParsePi(Operation::kAuthorize, R"({"status":"processing"})", false);
  ASSERT_TRUE(processing);
  EXPECT_TRUE(processing->pending);
  EXPECT_EQ(processing->outcome, Outcome::kAuthorized);

  auto confirm_pending = ParsePi(Operation::kAuthorize, R"({"status":"requires_confirmation"})");
  ASSERT_FALSE(confirm_pending);
  EXPECT_EQ(confirm_pending.error().code, kPspError);  // unclear, never a decline
}

TEST(StripeTransformers, TheOfficialFixtureWithoutPaymentErrorIsAGenericDecline) {
  // fixtures3's PaymentIntent is in requires_payment_method with no last_payment_error.
  OperationRequest req = Req();
  auto r = ParseResponse(Operation::kAuthorize, req,
                         Reply(200, ReadFixture("stripe_payment_intent.json")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::kDeclined);
  EXPECT_EQ(r->decline_code, "generic_decline");
}

TEST(StripeTransformers, CaptureAndCancelAnswers) {
  auto cap = ParsePi(Operation::kCapture, R"({"status":"succeeded","amount_received":500})");
  ASSERT_TRUE(cap);
  EXPECT_EQ(cap->outcome, Outcome::kCaptured);
  EXPECT_EQ(cap->amount, 500);
  auto voided = ParsePi(Operation::kVoid, R"({"status":"canceled"})");
  ASSERT_TRUE(voided);
  EXPECT_EQ(voided->outcome, Outcome::kVoided);
  // A sync that finds the PaymentIntent still waiting: the operation never happened.
  auto not_captured = ParsePi(Operation::kCapture, R"({"status":"requires_capture"})", true, true);
  ASSERT_FALSE(not_captured);
  EXPECT_EQ(not_captured.error().code, kPspUnknown);
  auto not_cancelled = ParsePi(Operation::kVoid, R"({"status":"requires_capture"})", true, true);
  ASSERT_FALSE(not_cancelled);
  EXPECT_EQ(not_cancelled.error().code, kPspUnknown);
  // …but the same answer to the capture call itself is unclear, not "no record".
  auto odd = ParsePi(Operation::kCapture, R"({"status":"requires_capture"})");
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code, kPspError);
}

struct DeclineCase {
  std::string code, decline_code, unified;
  bool soft;
};

TEST(StripeTransformers, CardErrorsAreDeclinesWithUnifiedCodesSoftOrHard) {
  const DeclineCase cases[] = {
      {"card_declined", "insufficient_funds", "insufficient_funds", true},
      {"card_declined", "do_not_honor", "do_not_honor", true},
      {"card_declined", "try_again_later", "try_again_later", true},
      {"processing_error", "", "processing_error", true},
      {"card_declined", "generic_decline", "generic_decline", true},
      {"card_declined", "", "generic_decline", true},
      {"card_declined", "issuer_not_available", "issuer_not_available", true},
      {"authentication_required", "authentication_required", "authentication_required", true},
      {"card_declined", "stolen_card", "stolen_card", false},
      {"card_declined", "lost_card", "lost_card", false},
      {"card_declined", "fraudulent", "fraudulent", false},
      {"card_declined", "pickup_card", "pickup_card", false},
      {"incorrect_number", "", "incorrect_number", false},
      {"expired_card", "", "expired_card", false},
      {"incorrect_cvc", "", "incorrect_cvc", false},
      {"card_declined", "something_new", "something_new", false},  // unknown: hard
  };
  for (const auto& c : cases) {
    auto err = FixtureObject("stripe_error_card_declined.json");
    auto& e = err["error"].as_object();
    e["code"] = c.code;
    if (c.decline_code.empty()) {
      e.erase("decline_code");
    } else {
      e["decline_code"] = c.decline_code;
    }
    auto r = ParseResponse(Operation::kAuthorize, Req(), Reply(402, boost::json::serialize(err)));
    ASSERT_TRUE(r) << c.code << "/" << c.decline_code;
    EXPECT_EQ(r->outcome, Outcome::kDeclined);
    EXPECT_EQ(r->decline_code, c.unified) << c.code << "/" << c.decline_code;
    EXPECT_EQ(r->soft_decline, c.soft) << c.unified;
    EXPECT_EQ(r->psp_reference, "pi_1NnlpVGPxmnHQRkJNuz3w9tH");
  }
  auto r = ParseResponse(Operation::kAuthorize, Req(),
                         Reply(402, ReadFixture("stripe_error_card_declined.json")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message, "Your card has insufficient funds.");
}

TEST(StripeTransformers, CredentialsRefusedIsAnAccountProblemNotADecline) {
  const std::string body =
      R"({"error":{"message":"Invalid API Key provided: sk_test_****mnop","type":"invalid_request_error"}})";
  for (int status : {401, 403}) {
    auto r = ParseResponse(Operation::kAuthorize, Req(), Reply(status, body));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kConnectorAuthenticationFailed);
    EXPECT_NE(r.error().message.find("Stripe"), std::string::npos);
    EXPECT_EQ(r.error().message.find("sk_test"), std::string::npos);  // no key fragment
  }
}

TEST(StripeTransformers, UnclearAnswersAreErrorsNeverDeclines) {
  const std::string api_error = R"({"error":{"type":"api_error","message":"boom"}})";
  for (int status : {500, 502, 503, 429}) {
    auto r = ParseResponse(Operation::kAuthorize, Req(), Reply(status, api_error));
    ASSERT_FALSE(r) << status;
    EXPECT_EQ(r.error().code, kPspError) << status;
  }
  const std::string in_use =
      R"({"error":{"type":"invalid_request_error","code":"idempotency_key_in_use"}})";
  EXPECT_EQ(ParseResponse(Operation::kAuthorize, Req(), Reply(409, in_use)).error().code,
            kPspError);
  const std::string mismatch = R"({"error":{"type":"idempotency_error","message":"Keys…"}})";
  EXPECT_EQ(ParseResponse(Operation::kAuthorize, Req(), Reply(400, mismatch)).error().code,
            kPspError);
  for (const std::string body : {"<html>oops</html>", "", "[1,2]", R"({"object":"charge"})",
                                 R"({"object":"payment_intent"})"}) {
    auto r = ParseResponse(Operation::kAuthorize, Req(), Reply(200, body));
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, kPspError) << body;
  }
}

TEST(StripeTransformers, InvalidRequestIsRejectedWithNothingCharged) {
  const std::string body =
      R"({"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state",)"
      R"("message":"This PaymentIntent's amount_to_capture must be less than or equal to 1099."}})";
  OperationRequest req = Req();
  req.psp_reference = "pi_1";
  auto r = ParseResponse(Operation::kCapture, req, Reply(400, body));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kPspRejected);
  EXPECT_NE(r.error().message.find("amount_to_capture"), std::string::npos);
  // A PaymentIntent Stripe does not know (retrieve during a sync): no record.
  auto missing = ParseResponse(
      Operation::kAuthorize, req,
      Reply(404, R"({"error":{"type":"invalid_request_error","code":"resource_missing"}})"), true);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, kPspUnknown);
}

TEST(StripeTransformers, RefundStatuses) {
  OperationRequest req = Req();
  req.psp_reference = "pi_1";
  auto ok = ParseResponse(Operation::kRefund, req, Reply(200, ReadFixture("stripe_refund.json")));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->outcome, Outcome::kRefunded);
  EXPECT_EQ(ok->psp_reference, "re_1NnmX5GPxmnHQRkJzG1txqB9");
  EXPECT_EQ(ok->amount, 100);
  EXPECT_FALSE(ok->pending);
  auto pending =
      ParseResponse(Operation::kRefund, req,
                    Reply(200, Patched("stripe_refund.json", R"({"status":"pending"})")));
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->pending);
  auto failed = ParseResponse(
      Operation::kRefund, req,
      Reply(200, Patched("stripe_refund.json",
                         R"({"status":"failed","failure_reason":"expired_or_canceled_card"})")));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->outcome, Outcome::kDeclined);
  EXPECT_EQ(failed->decline_code, "expired_or_canceled_card");
  EXPECT_FALSE(failed->soft_decline);
}

TEST(StripeTransformers, SearchAndRefundListsAreMatchedOnTheAttempt) {
  OperationRequest req = Req();
  auto pi = FixtureObject("stripe_payment_intent.json");
  pi["status"] = "succeeded";
  pi["metadata"] = boost::json::object{{"lp_attempt", "att_0001"}};
  auto other = pi;
  other["id"] = "pi_other";
  other["metadata"] = boost::json::object{{"lp_attempt", "att_9999"}};
  boost::json::object list{
      {"object", "search_result"}, {"data", boost::json::array{other, pi}}, {"has_more", false}};
  auto found = ParseFound(Operation::kAuthorize, req, Reply(200, boost::json::serialize(list)));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->outcome, Outcome::kCaptured);
  EXPECT_EQ(found->psp_reference, "pi_1NnlpVGPxmnHQRkJNuz3w9tH");
  list["data"] = boost::json::array{other};
  auto none = ParseFound(Operation::kAuthorize, req, Reply(200, boost::json::serialize(list)));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, kPspUnknown);

  auto re = FixtureObject("stripe_refund.json");
  re["metadata"] = boost::json::object{{"lp_attempt", "att_0001"}};
  boost::json::object refunds{{"object", "list"}, {"data", boost::json::array{re}}};
  auto refund = ParseFound(Operation::kRefund, req, Reply(200, boost::json::serialize(refunds)));
  ASSERT_TRUE(refund);
  EXPECT_EQ(refund->outcome, Outcome::kRefunded);
}

}  // namespace
}  // namespace lp::connectors::stripe
