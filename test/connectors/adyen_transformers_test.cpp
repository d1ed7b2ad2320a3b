// Adyen transformers: request shapes, the encrypted-card payment method, and the mapping of
// Adyen's answers, on examples from Adyen's official Checkout v71 spec.
#include <gtest/gtest.h>

#include "connectors/adyen/payment_method.hpp"
#include "connectors/adyen/transformers.hpp"
#include "connectors/fixture.hpp"
#include "lp/connectors/decline_codes.hpp"
#include "support/money.hpp"

namespace lp::connectors::adyen {
namespace {

namespace json = boost::json;
using lp::testing::FixtureObject;
using lp::testing::Patched;
using lp::testing::ReadFixture;

const std::string kCard =
    R"({"type":"scheme","encryptedCardNumber":"adyenjs_0_1_25$enc-number",)"
    R"("encryptedExpiryMonth":"adyenjs_0_1_25$enc-month","encryptedExpiryYear":"adyenjs_0_1_25$enc-year",)"
    R"("encryptedSecurityCode":"adyenjs_0_1_25$enc-cvc","holderName":"J. Smith"})";
const AuthParams kAuth{"AQE_test_api_key", "LiasonPayECOM"};

OperationRequest Req() {
  OperationRequest r;
  r.payment_id = "pay_0001";
  r.idempotency_key = "att_0001";
  r.payment_method = kCard;
  r.amount = lp::testing::MoneyOf(1099, "EUR");
  r.auto_capture = true;
  r.return_url = "https://shop.example/return";
  return r;
}

json::object Body(const PspRequest& r) { return json::parse(r.body).as_object(); }

TEST(AdyenTransformers, PaymentCarriesTheEncryptedCardAndOurReferences) {
  auto r = BuildRequest(Operation::kAuthorize, Req(), kAuth);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->post);
  EXPECT_EQ(r->path, "/payments");
  EXPECT_EQ(*r->Header("X-API-Key"), "AQE_test_api_key");
  EXPECT_EQ(*r->Header("Idempotency-Key"), "att_0001");
  EXPECT_EQ(*r->Header("Content-Type"), "application/json");
  const json::object b = Body(*r);
  EXPECT_EQ(json::serialize(b.at("amount")), R"({"currency":"EUR","value":1099})");
  EXPECT_EQ(b.at("merchantAccount"), "LiasonPayECOM");
  EXPECT_EQ(b.at("reference"), "att_0001");
  EXPECT_EQ(b.at("returnUrl"), "https://shop.example/return");
  EXPECT_EQ(b.at("shopperInteraction"), "Ecommerce");
  EXPECT_EQ(b.at("captureDelayHours"), 0);
  EXPECT_FALSE(b.contains("additionalData"));
  EXPECT_EQ(json::serialize(b.at("metadata")), R"({"lp_payment":"pay_0001"})");
  const auto& pm = b.at("paymentMethod").as_object();
  EXPECT_EQ(pm.at("type"), "scheme");
  EXPECT_EQ(pm.at("encryptedCardNumber"), "adyenjs_0_1_25$enc-number");
  EXPECT_EQ(pm.at("encryptedSecurityCode"), "adyenjs_0_1_25$enc-cvc");
  EXPECT_EQ(pm.at("holderName"), "J. Smith");
}

TEST(AdyenTransformers, ManualCaptureUsesAdditionalData) {
  OperationRequest req = Req();
  req.auto_capture = false;
  const json::object b = Body(*BuildRequest(Operation::kAuthorize, req, kAuth));
  EXPECT_FALSE(b.contains("captureDelayHours"));
  EXPECT_EQ(json::serialize(b.at("additionalData")), R"({"manualCapture":"true"})");
}

TEST(AdyenTransformers, ModificationsTargetThePaymentPspReference) {
  OperationRequest req = Req();
  req.psp_reference = "993617895215577D";
  req.idempotency_key = "att_mod";
  req.amount.minor_units = 500;
  auto cap = BuildRequest(Operation::kCapture, req, kAuth);
  ASSERT_TRUE(cap);
  EXPECT_EQ(cap->path, "/payments/993617895215577D/captures");
  EXPECT_EQ(cap->body,
            R"({"merchantAccount":"LiasonPayECOM","amount":{"currency":"EUR","value":500},)"
            R"("reference":"att_mod"})");
  auto cancel = BuildRequest(Operation::kVoid, req, kAuth);
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->path, "/payments/993617895215577D/cancels");
  EXPECT_EQ(cancel->body, R"({"merchantAccount":"LiasonPayECOM","reference":"att_mod"})");
  req.refund_reason = "fraudulent";
  auto refund = BuildRequest(Operation::kRefund, req, kAuth);
  ASSERT_TRUE(refund);
  EXPECT_EQ(refund->path, "/payments/993617895215577D/refunds");
  EXPECT_EQ(Body(*refund).at("merchantRefundReason"), "FRAUD");
  EXPECT_EQ(*refund->Header("Idempotency-Key"), "att_mod");
}

TEST(AdyenTransformers, RefusesWhatAdyenCannotTake) {
  OperationRequest req = Req();
  req.return_url.clear();
  EXPECT_EQ(BuildRequest(Operation::kAuthorize, req, kAuth).error().param, "return_url");
  req = Req();
  req.payment_method = "pm_card_visa";
  EXPECT_EQ(BuildRequest(Operation::kAuthorize, req, kAuth).error().param, "payment_method");
  req = Req();
  req.psp_reference = "../payments";
  EXPECT_EQ(BuildRequest(Operation::kCapture, req, kAuth).error().param, "psp_reference");
}

TEST(AdyenPaymentMethod, OnlyEncryptedCardFieldsAreTaken) {
  auto ok = ParsePaymentMethod(kCard);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->encrypted_expiry_year, "adyenjs_0_1_25$enc-year");
  struct Case {
    std::string json, param;
  };
  const Case bad[] = {
      {R"({"type":"scheme","number":"x","encryptedCardNumber":"a","encryptedExpiryMonth":"b","encryptedExpiryYear":"c"})",
       "payment_method.number"},
      {R"({"type":"ideal","encryptedCardNumber":"a","encryptedExpiryMonth":"b","encryptedExpiryYear":"c"})",
       "payment_method.type"},
      {R"({"type":"scheme","encryptedExpiryMonth":"b","encryptedExpiryYear":"c"})",
       "payment_method.encryptedCardNumber"},
      {R"({"encryptedCardNumber":"a","encryptedExpiryMonth":"b","encryptedExpiryYear":"c"})",
       "payment_method.type"},
      {R"({"type":"scheme","encryptedCardNumber":5,"encryptedExpiryMonth":"b","encryptedExpiryYear":"c"})",
       "payment_method.encryptedCardNumber"},
      {"[1]", "payment_method"},
      {"pm_card_visa", "payment_method"},
  };
  for (const auto& c : bad) {
    auto r = ParsePaymentMethod(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_EQ(r.error().param, c.param) << c.json;
  }
  // Normalisation: key order and spacing of the merchant's object do not matter.
  auto a = Normalize(kCard);
  auto b = Normalize(
      R"({ "holderName":"J. Smith", "encryptedSecurityCode":"adyenjs_0_1_25$enc-cvc", "encryptedExpiryYear":"adyenjs_0_1_25$enc-year",)"
      R"( "encryptedExpiryMonth":"adyenjs_0_1_25$enc-month", "encryptedCardNumber":"adyenjs_0_1_25$enc-number", "type":"scheme" })");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_TRUE(a->starts_with(R"({"type":"scheme","encryptedCardNumber":)"));
}

// ---- responses ----

PspReply Reply(int status, std::string body) { return PspReply{status, std::move(body), false}; }

TEST(AdyenTransformers, AuthorisedIsCapturedOrAuthorizedByCaptureMode) {
  auto captured = ParseResponse(Operation::kAuthorize, Req(),
                                Reply(200, ReadFixture("adyen_payments_200_authorised.json")));
  ASSERT_TRUE(captured);
  EXPECT_EQ(captured->outcome, Outcome::kCaptured);
  EXPECT_EQ(captured->psp_reference, "993617895215577D");
  EXPECT_EQ(captured->psp_status, "Authorised");
  OperationRequest manual = Req();
  manual.auto_capture = false;
  auto authorized = ParseResponse(Operation::kAuthorize, manual,
                                  Reply(200, ReadFixture("adyen_payments_200_authorised.json")));
  ASSERT_TRUE(authorized);
  EXPECT_EQ(authorized->outcome, Outcome::kAuthorized);
}

TEST(AdyenTransformers, RedirectKeepsTheAction) {
  auto r = ParseResponse(Operation::kAuthorize, Req(),
                         Reply(200, ReadFixture("adyen_payments_200_redirect.json")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::kRequiresAction);
  EXPECT_EQ(r->psp_reference, "JLCMPCQ8HXSKGK82");
  const auto action = json::parse(r->next_action_json).as_object();
  EXPECT_EQ(action.at("type"), "redirect");
  EXPECT_EQ(action.at("method"), "GET");
  for (const std::string code : {"IdentifyShopper", "ChallengeShopper", "PresentToShopper"}) {
    auto c = ParseResponse(
        Operation::kAuthorize, Req(),
        Reply(200, Patched("adyen_payments_200_authorised.json",
                           R"({"resultCode":")" + code + R"(","action":{"type":"threeDS2"}})")));
    ASSERT_TRUE(c) << code;
    EXPECT_EQ(c->outcome, Outcome::kRequiresAction) << code;
  }
}

struct Refusal {
  std::string code;
  std::string unified;
  bool soft;
};

TEST(AdyenTransformers, RefusalsMapToUnifiedDeclinesSoftOrHard) {
  const Refusal cases[] = {
      {"2", "generic_decline", true},      {"12", "insufficient_funds", true},
      {"9", "issuer_not_available", true}, {"4", "processing_error", true},
      {"27", "do_not_honor", true},        {"38", "authentication_required", true},
      {"6", "expired_card", false},        {"8", "incorrect_number", false},
      {"14", "fraudulent", false},         {"20", "fraudulent", false},
      {"24", "incorrect_cvc", false},      {"5", "restricted_card", false},
      {"46", "do_not_try_again", false},   {"999", "unknown_decline", false},
  };
  for (const auto& c : cases) {
    auto r = ParseResponse(
        Operation::kAuthorize, Req(),
        Reply(200, Patched("adyen_payments_200_authorised.json",
                           R"({"resultCode":"Refused","refusalReason":"x","refusalReasonCode":")" +
                               c.code + R"("})")));
    ASSERT_TRUE(r) << c.code;
    EXPECT_EQ(r->outcome, Outcome::kDeclined) << c.code;
    EXPECT_EQ(r->decline_code, c.unified) << c.code;
    EXPECT_EQ(r->soft_decline, c.soft) << c.code;
    EXPECT_EQ(r->psp_reference, "993617895215577D");
  }
  EXPECT_EQ(DeclineCodeForRefusal("", "Not enough balance"), "insufficient_funds");
  EXPECT_EQ(DeclineCodeForRefusal("", "FRAUD-CANCELLED"), "fraudulent");
}

TEST(AdyenTransformers, CancelledErrorPendingAndUnknownResultCodes) {
  auto with = [](const std::string& code) {
    return ParseResponse(Operation::kAuthorize, Req(),
                         Reply(200, Patched("adyen_payments_200_authorised.json",
                                            R"({"resultCode":")" + code + R"("})")));
  };
  auto cancelled = with("Cancelled");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->decline_code, declines::kCancelled);
  auto error = with("Error");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->decline_code, "processing_error");
  EXPECT_TRUE(error->soft_decline);
  for (const std::string code : {"Pending", "Received"}) {
    auto p = with(code);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->pending) << code;
    EXPECT_EQ(p->psp_reference, "993617895215577D");
  }
  for (const std::string code : {"PartiallyAuthorised", "AuthenticationFinished", "Brand New"}) {
    auto u = with(code);
    ASSERT_FALSE(u) << code;
    EXPECT_EQ(u.error().code, kPspError) << code;
  }
}

TEST(AdyenTransformers, ModificationsAreReceivedAndPending) {
  OperationRequest req = Req();
  req.psp_reference = "993617894903480A";
  struct Case {
    Operation op;
    std::string fixture;
    Outcome outcome;
  };
  for (const auto& c : {Case{Operation::kCapture, "adyen_captures_201.json", Outcome::kCaptured},
                        Case{Operation::kRefund, "adyen_refunds_201.json", Outcome::kRefunded},
                        Case{Operation::kVoid, "adyen_cancels_201.json", Outcome::kVoided}}) {
    auto r = ParseResponse(c.op, req, Reply(201, ReadFixture(c.fixture)));
    ASSERT_TRUE(r) << c.fixture;
    EXPECT_TRUE(r->pending) << c.fixture;
    EXPECT_EQ(r->outcome, c.outcome) << c.fixture;
    EXPECT_EQ(r->psp_reference, "993617894906488A") << c.fixture;  // the modification's
    EXPECT_EQ(r->psp_status, "received");
  }
  auto odd = ParseResponse(Operation::kCapture, req,
                           Reply(201, Patched("adyen_captures_201.json", R"({"status":"done"})")));
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code, kPspError);
}

TEST(AdyenTransformers, ErrorsFromTheSpecExamples) {
  auto auth =
      ParseResponse(Operation::kAuthorize, Req(), Reply(401, ReadFixture("adyen_error_401.json")));
  ASSERT_FALSE(auth);
  EXPECT_EQ(auth.error().code, kConnectorAuthenticationFailed);
  EXPECT_NE(auth.error().message.find("Adyen"), std::string::npos);
  auto invalid =
      ParseResponse(Operation::kAuthorize, Req(), Reply(422, ReadFixture("adyen_error_422.json")));
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, kPspRejected);
  EXPECT_EQ(invalid.error().message, "Return URL is missing.");
  auto server =
      ParseResponse(Operation::kAuthorize, Req(), Reply(500, ReadFixture("adyen_error_500.json")));
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().code, kPspError);
  auto busy = ParseResponse(
      Operation::kAuthorize, Req(),
      Reply(
          422,
          R"({"status":422,"errorCode":"704","message":"request already processed or in progress","errorType":"validation"})"));
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, kPspError);
  for (const std::string body : {"", "<html/>", "[]"}) {
    auto r = ParseResponse(Operation::kAuthorize, Req(), Reply(200, body));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kPspError);
  }
}

}  // namespace
}  // namespace lp::connectors::adyen
