// The direct JSON writer behind payment, refund and list bodies against the boost::json rendering
// it replaced: the same bytes for ordinary values, every escape, non-ASCII text, nulls, a decline,
// attempts with and without latency, metadata, and lists. Stored idempotent responses are
// replayed byte for byte, so a changed rendering would show as a changed API.
#include "lp/payments/representation.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "lp/common/json_list.hpp"
#include "payments/representation_reference.hpp"
#include "support/money.hpp"

namespace lp::payments {
namespace {

namespace json = boost::json;

using namespace reference;  // NOLINT: the reference rendering

Payment Succeeded() {
  Payment p;
  p.id = "pay_01HZX3K4Q2ABCDEFGHJKMNPQRS";
  p.merchant_id = "mer_1";
  p.amount = lp::testing::MoneyOf(1099, "USD");
  p.status = PaymentStatus::kSucceeded;
  p.payment_method = "tok_visa";
  p.amount_received = 1099;
  p.connector = "sandbox";
  p.connector_account_id = "mca_1";
  p.psp_reference = "sbx_abc";
  p.created = 1'732'000'000'123'456;
  Attempt a;
  a.id = "att_1";
  a.operation = connectors::Operation::kAuthorize;
  a.connector = "sandbox";
  a.connector_account_id = "mca_1";
  a.status = AttemptStatus::kSucceeded;
  a.amount = 1099;
  a.psp_reference = "sbx_abc";
  a.latency_us = 312;
  a.routing_reason = "default_order";
  a.created = 1'732'000'000'200'000;
  p.attempts.push_back(a);
  return p;
}

TEST(Render, PaymentBodyMatchesTheBoostJsonRendering) {
  Payment p = Succeeded();
  EXPECT_EQ(PaymentBody(p), json::serialize(ReferencePayment(p)));
  EXPECT_EQ(PaymentEventObject(p), json::serialize(ReferenceCore(p)));
}

TEST(Render, EscapesAndNonAsciiMatch) {
  Payment p = Succeeded();
  std::string every_control;
  for (int c = 0; c < 0x20; ++c) every_control += static_cast<char>(c);
  p.description =
      "quote \" backslash \\ slash / del \x7f " + every_control + " caf\xc3\xa9 \xe2\x82\xac";
  p.metadata = R"({"order":"A-1","note":"line\nbreak \"q\""})";
  p.mode = Mode::kLive;
  EXPECT_EQ(PaymentBody(p), json::serialize(ReferencePayment(p)));
  EXPECT_EQ(PaymentEventObject(p), json::serialize(ReferenceCore(p)));
}

TEST(Render, NullsDeclinesAndSeveralAttemptsMatch) {
  Payment p = Succeeded();
  p.status = PaymentStatus::kFailed;
  p.payment_method.reset();
  p.psp_reference.reset();
  p.last_error =
      LastError{"card_declined", "insufficient_funds", "The card has insufficient funds."};
  Attempt second = p.attempts[0];
  second.id = "att_2";
  second.latency_us.reset();
  second.decline_code = "insufficient_funds";
  second.error_code = "card_declined";
  second.psp_reference.reset();
  p.attempts.push_back(second);
  Attempt third = p.attempts[0];
  third.latency_us = 123'456'789;
  p.attempts.push_back(third);
  EXPECT_EQ(PaymentBody(p), json::serialize(ReferencePayment(p)));

  p.last_error = LastError{"psp_timeout", "", "The payment provider did not answer in time."};
  p.attempts.clear();
  EXPECT_EQ(PaymentBody(p), json::serialize(ReferencePayment(p)));
}

TEST(Render, NextActionAndAnAdyenCardMatchAndShowNoCardData) {
  Payment p = Succeeded();
  p.status = PaymentStatus::kRequiresAction;
  p.payment_method = std::string(kSchemePaymentMethod);
  p.payment_method_data = R"({"type":"scheme","encryptedCardNumber":"adyenjs_secret"})";
  p.next_action = NextAction{"redirect", "https://psp.example/3ds?x=\"y\""};
  EXPECT_EQ(PaymentBody(p), json::serialize(ReferencePayment(p)));
  EXPECT_EQ(PaymentEventObject(p), json::serialize(ReferenceCore(p)));
  EXPECT_EQ(PaymentBody(p).find("adyenjs_secret"), std::string::npos);
  EXPECT_NE(PaymentBody(p).find(R"("payment_method":{"type":"scheme"})"), std::string::npos);
  p.next_action = NextAction{"use_stripe_sdk", std::nullopt};
  EXPECT_EQ(PaymentBody(p), json::serialize(ReferencePayment(p)));
}

TEST(Render, MetadataThatIsNotAnObjectShowsAsEmpty) {
  Payment p = Succeeded();
  p.metadata = "not json";
  EXPECT_EQ(PaymentBody(p), json::serialize(ReferencePayment(p)));
  p.metadata = "{}";
  EXPECT_EQ(PaymentBody(p), json::serialize(ReferencePayment(p)));
}

TEST(Render, RefundBodyMatches) {
  Refund r;
  r.id = "re_1";
  r.payment_id = "pay_1";
  r.amount = lp::testing::MoneyOf(500, "EUR");
  r.status = RefundStatus::kFailed;
  r.reason = "requested_by_customer";
  r.failure_code = "psp_error";
  r.created = 1'732'000'000'000'000;
  EXPECT_EQ(RefundBody(r), json::serialize(ReferenceRefund(r)));
  r.reason.reset();
  r.failure_code.reset();
  r.psp_reference = "sbx_re";
  r.mode = Mode::kLive;
  EXPECT_EQ(RefundBody(r), json::serialize(ReferenceRefund(r)));
}

TEST(Render, TextListMatchesTheValueList) {
  Payment p = Succeeded();
  Refund r;
  r.id = "re_\"1";
  std::vector<std::string> texts = {PaymentBody(p), RefundBody(r)};
  json::array values = {ReferencePayment(p), ReferenceRefund(r)};
  EXPECT_EQ(RenderTextList(texts, true, "/v1/payments"), RenderList(values, true, "/v1/payments"));
  EXPECT_EQ(RenderTextList({}, false, "/v1/refunds"), RenderList({}, false, "/v1/refunds"));
}

}  // namespace
}  // namespace lp::payments
