// The direct JSON writer behind payment, refund and list bodies against the boost::json rendering
// it replaced: the same bytes for ordinary values, every escape, non-ASCII text, nulls, a decline,
// attempts with and without latency, metadata, and lists. Stored idempotent responses are
// replayed byte for byte, so a changed rendering would show as a changed API.
#include "core/render.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace lp::core {
namespace {

namespace json = boost::json;

// The rendering as it was written with boost::json (kept here as the reference).
json::value Opt(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
json::object ReferenceCore(const Payment& p) {
  json::object o;
  o["id"] = p.id;
  o["object"] = "payment";
  o["amount"] = p.amount;
  o["amount_capturable"] = p.amount_capturable;
  o["amount_received"] = p.amount_received;
  o["amount_refunded"] = p.amount_refunded;
  o["currency"] = p.currency;
  o["status"] = ToString(p.status);
  o["capture_method"] = ToString(p.capture_method);
  o["payment_method"] = Opt(p.payment_method);
  o["description"] = Opt(p.description);
  boost::system::error_code ec;
  auto md = json::parse(p.metadata, ec);
  o["metadata"] = ec ? json::value(json::object()) : md;
  o["livemode"] = p.mode == Mode::kLive;
  o["connector"] = Opt(p.connector);
  o["connector_account"] = Opt(p.connector_account_id);
  o["psp_reference"] = Opt(p.psp_reference);
  if (p.last_error) {
    o["last_error"] = json::object{{"code", p.last_error->code},
                                   {"decline_code", p.last_error->decline_code.empty()
                                                        ? json::value(nullptr)
                                                        : json::value(p.last_error->decline_code)},
                                   {"message", p.last_error->message}};
  } else {
    o["last_error"] = nullptr;
  }
  o["created"] = p.created / 1'000'000;
  return o;
}
json::object ReferencePayment(const Payment& p) {
  json::object o = ReferenceCore(p);
  json::array attempts;
  for (const auto& a : p.attempts) {
    attempts.push_back(json::object{
        {"id", a.id},
        {"operation", a.operation},
        {"connector", a.connector},
        {"connector_account", a.connector_account_id},
        {"status", a.status},
        {"amount", a.amount},
        {"psp_reference", Opt(a.psp_reference)},
        {"decline_code", Opt(a.decline_code)},
        {"error_code", Opt(a.error_code)},
        {"latency_ms", a.latency_us ? json::value(static_cast<double>(*a.latency_us) / 1000.0)
                                    : json::value(nullptr)},
        {"routing_reason", a.routing_reason},
        {"created", a.created / 1'000'000},
    });
  }
  o["attempts"] = std::move(attempts);
  return o;
}
json::object ReferenceRefund(const Refund& r) {
  json::object o;
  o["id"] = r.id;
  o["object"] = "refund";
  o["payment"] = r.payment_id;
  o["amount"] = r.amount;
  o["currency"] = r.currency;
  o["status"] = ToString(r.status);
  o["reason"] = Opt(r.reason);
  o["psp_reference"] = Opt(r.psp_reference);
  o["failure_code"] = Opt(r.failure_code);
  o["livemode"] = r.mode == Mode::kLive;
  o["created"] = r.created / 1'000'000;
  return o;
}

Payment Succeeded() {
  Payment p;
  p.id = "pay_01HZX3K4Q2ABCDEFGHJKMNPQRS";
  p.merchant_id = "mer_1";
  p.amount = 1099;
  p.currency = "USD";
  p.status = PaymentStatus::kSucceeded;
  p.payment_method = "tok_visa";
  p.amount_received = 1099;
  p.connector = "sandbox";
  p.connector_account_id = "mca_1";
  p.psp_reference = "sbx_abc";
  p.created = 1'732'000'000'123'456;
  Attempt a;
  a.id = "att_1";
  a.operation = "authorize";
  a.connector = "sandbox";
  a.connector_account_id = "mca_1";
  a.status = "succeeded";
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
  r.amount = 500;
  r.currency = "EUR";
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
}  // namespace lp::core
