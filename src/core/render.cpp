#include "core/render.hpp"

#include <boost/json.hpp>

namespace lp::core {

namespace json = boost::json;

namespace {
json::value Opt(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
int64_t Seconds(int64_t micros) { return micros / 1'000'000; }

json::object PaymentCore(const Payment& p) {
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
  o["created"] = Seconds(p.created);
  return o;
}
}  // namespace

json::object PaymentJson(const Payment& p) {
  json::object o = PaymentCore(p);
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
        {"created", Seconds(a.created)},
    });
  }
  o["attempts"] = std::move(attempts);
  return o;
}

std::string PaymentEventObject(const Payment& p) { return json::serialize(PaymentCore(p)); }

json::object RefundJson(const Refund& r) {
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
  o["created"] = Seconds(r.created);
  return o;
}

std::string Render(const json::object& o) { return json::serialize(o); }

std::string RenderList(json::array items, bool has_more, std::string_view url) {
  json::object o;
  o["object"] = "list";
  o["data"] = std::move(items);
  o["has_more"] = has_more;
  o["url"] = url;
  return json::serialize(o);
}

}  // namespace lp::core
