// The boost::json rendering of payments and refunds that src/core/render.cpp replaced, kept as
// the reference its output must equal byte for byte (test/core/render_test.cpp and the
// fuzz/render_fuzz.cpp differential fuzzer).
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "lp/payments/model.hpp"

namespace lp::payments::reference {

namespace json = boost::json;

inline json::value Opt(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
inline json::object ReferenceCore(const Payment& p) {
  json::object o;
  o["id"] = p.id;
  o["object"] = "payment";
  o["amount"] = p.amount.minor_units;
  o["amount_capturable"] = p.amount_capturable;
  o["amount_received"] = p.amount_received;
  o["amount_refunded"] = p.amount_refunded;
  o["currency"] = p.amount.currency.Code();
  o["status"] = ToString(p.status);
  o["capture_method"] = ToString(p.capture_method);
  if (p.payment_method && *p.payment_method == kSchemePaymentMethod) {
    o["payment_method"] = json::object{{"type", "scheme"}};
  } else {
    o["payment_method"] = Opt(p.payment_method);
  }
  o["description"] = Opt(p.description);
  o["customer_country"] = Opt(p.customer_country);
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
  if (p.next_action) {
    o["next_action"] = json::object{{"type", p.next_action->type},
                                    {"redirect_url", Opt(p.next_action->redirect_url)}};
  } else {
    o["next_action"] = nullptr;
  }
  o["created"] = p.created / 1'000'000;
  return o;
}
inline json::object ReferencePayment(const Payment& p) {
  json::object o = ReferenceCore(p);
  json::array attempts;
  for (const auto& a : p.attempts) {
    attempts.push_back(json::object{
        {"id", a.id},
        {"operation", connectors::ToString(a.operation)},
        {"connector", a.connector},
        {"connector_account", a.connector_account_id},
        {"status", ToString(a.status)},
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
inline json::object ReferenceRefund(const Refund& r) {
  json::object o;
  o["id"] = r.id;
  o["object"] = "refund";
  o["payment"] = r.payment_id;
  o["amount"] = r.amount.minor_units;
  o["currency"] = r.amount.currency.Code();
  o["status"] = ToString(r.status);
  o["reason"] = Opt(r.reason);
  o["psp_reference"] = Opt(r.psp_reference);
  o["failure_code"] = Opt(r.failure_code);
  o["livemode"] = r.mode == Mode::kLive;
  o["created"] = r.created / 1'000'000;
  return o;
}

}  // namespace lp::payments::reference
