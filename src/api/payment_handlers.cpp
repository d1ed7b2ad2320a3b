#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/render.hpp"
#include "connectors/adyen/payment_method.hpp"
#include "lp/common/money.hpp"
#include "lp/payments/representation.hpp"

namespace lp::api::handlers {

namespace json = boost::json;

Task<Result<Answer>> GetPayment(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto payment = co_await d.payments.Get(p, req.params.at(0));
  if (!payment) co_return payment.error();
  co_return Answer{payments::PaymentBody(*payment)};
}

Task<Result<Answer>> GetRefund(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto refund = co_await d.payments.GetRefund(p, req.params.at(0));
  if (!refund) co_return refund.error();
  co_return Answer{payments::RefundBody(*refund)};
}

Task<Result<Answer>> GetEvent(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto event = co_await d.events.Get(p, req.params.at(0));
  if (!event) co_return event.error();
  co_return Answer{std::move(*event)};
}

Result<Idempotency> IdempotencyFor(const Request& req) { return IdempotencyOf(req); }

Error Missing(std::string_view name) {
  return Error::Invalid("parameter_missing", "Missing required parameter: " + std::string(name),
                        std::string(name));
}

namespace {
Result<std::string> Metadata(const json::object& body) {
  auto* v = body.if_contains("metadata");
  if (!v || v->is_null()) return std::string("{}");
  if (!v->is_object()) {
    return Error::Invalid("parameter_invalid", "metadata must be an object of strings.",
                          "metadata");
  }
  const auto& o = v->as_object();
  if (o.size() > 50) {
    return Error::Invalid("parameter_invalid", "metadata may have at most 50 keys.", "metadata");
  }
  for (const auto& kv : o) {
    const std::string_view key(kv.key());
    if (HasForbiddenControl(key, true)) {
      // Not echoed: the parameter named is metadata itself.
      return Error::Invalid("parameter_invalid",
                            "metadata keys must not contain control characters.", "metadata");
    }
    const std::string param = "metadata[" + std::string(key) + "]";
    const size_t key_chars = CharCount(key);
    if (key_chars == 0 || key_chars > 40) {
      return Error::Invalid("parameter_invalid", "metadata keys must be 1 to 40 characters.",
                            param);
    }
    if (!kv.value().is_string()) {
      return Error::Invalid("parameter_invalid",
                            "metadata values must be strings of at most 500 characters.", param);
    }
    if (auto r = CheckText(std::string_view(kv.value().as_string()), param, 500); !r) {
      return r.error();
    }
  }
  return json::serialize(o);
}
}  // namespace

namespace {
// `payment_method`: a token string (tok_…, pm_…), or an Adyen encrypted-card object
// (docs/psp-connectors.md), which is normalised, kept in memory for this request only, and
// stands as {"type":"scheme"} everywhere else.
struct PaymentMethodInput {
  std::optional<std::string> token, data;
};
Result<PaymentMethodInput> PaymentMethodOf(const json::object& body) {
  PaymentMethodInput out;
  if (auto* v = body.if_contains("payment_method"); v && v->is_object()) {
    auto normal = connectors::adyen::Normalize(json::serialize(*v));
    if (!normal) return normal.error();
    out.token = std::string(payments::kSchemePaymentMethod);
    out.data = std::move(*normal);
    return out;
  }
  auto pm = OptString(body, "payment_method", 255);
  if (!pm) return pm.error();
  out.token = *pm;
  return out;
}
}  // namespace

// Tells the security monitor about an authorization this request ran (not a replay).
void ObserveAuthorization(const MerchantApiDeps& d, const Request& req, const Principal& p,
                          std::string_view card, const Result<Answer>& r) {
  if (!d.on_authorization || !r || r->replayed) return;
  d.on_authorization(p, d.pipeline.ClientIp(req), card, r->declined, req.request_id);
}

Task<Result<Answer>> CreatePayment(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto in = ParseIdempotentBody(
      req, {"amount", "currency", "payment_method", "capture_method", "confirm", "description",
            "metadata", "routing", "customer_country", "return_url"});
  if (!in) co_return in.error();
  const json::object& body = in->body();
  payments::CreatePaymentParams params;
  auto* amount = body.if_contains("amount");
  if (!amount) co_return Missing("amount");
  auto a = ParseAmount(*amount, "amount", false);
  if (!a) co_return a.error();
  auto* currency = body.if_contains("currency");
  if (!currency) co_return Missing("currency");
  auto c = ParseCurrency(*currency, "currency");
  if (!c) co_return c.error();
  params.amount = Money{*a, *c};
  auto pm = PaymentMethodOf(body);
  if (!pm) co_return pm.error();
  params.payment_method = std::move(pm->token);
  params.payment_method_data = std::move(pm->data);
  auto return_url = OptString(body, "return_url", 2000);
  if (!return_url) co_return return_url.error();
  if (*return_url && !(*return_url)->starts_with("https://") &&
      !(*return_url)->starts_with("http://")) {
    co_return Error::Invalid("parameter_invalid", "return_url must be an http(s) URL.",
                             "return_url");
  }
  params.return_url = *return_url;
  auto cm = OptString(body, "capture_method", 20);
  if (!cm) co_return cm.error();
  if (*cm) {
    if (**cm == "manual") {
      params.capture_method = payments::CaptureMethod::kManual;
    } else if (**cm != "automatic") {
      co_return Error::Invalid("parameter_invalid",
                               "capture_method must be \"automatic\" or \"manual\".",
                               "capture_method");
    }
  }
  auto confirm = OptBool(body, "confirm");
  if (!confirm) co_return confirm.error();
  params.confirm = confirm->value_or(false);
  if (params.confirm && !params.payment_method) co_return Missing("payment_method");
  auto desc = OptString(body, "description", 1000);
  if (!desc) co_return desc.error();
  params.description = *desc;
  auto country = OptString(body, "customer_country", 2);
  if (!country) co_return country.error();
  if (*country) {
    std::string cc;
    for (char ch : **country) {
      if (!std::isalpha(static_cast<unsigned char>(ch))) break;
      cc.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
    }
    if (cc.size() != 2) {
      co_return Error::Invalid("parameter_invalid",
                               "customer_country is an ISO 3166-1 alpha-2 code, e.g. \"DE\".",
                               "customer_country");
    }
    params.customer_country = std::move(cc);
  }
  auto md = Metadata(body);
  if (!md) co_return md.error();
  params.metadata_json = *md;
  if (auto* r = body.if_contains("routing"); r && !r->is_null()) {
    if (!r->is_object()) {
      co_return Error::Invalid("parameter_invalid", "routing must be an object.", "routing");
    }
    for (const auto& kv : r->as_object()) {
      if (kv.key() != "connector_account") {
        co_return Error::Invalid("parameter_unknown",
                                 "Received unknown parameter: routing." + std::string(kv.key()),
                                 "routing." + std::string(kv.key()));
      }
      if (!kv.value().is_string()) {
        co_return Error::Invalid("parameter_invalid", "routing.connector_account must be a string.",
                                 "routing.connector_account");
      }
      params.connector_account = std::string(kv.value().as_string());
    }
  }
  const std::string card = params.payment_method.value_or("");
  const bool authorizes = params.confirm;
  auto r = co_await d.payments.Create(p, std::move(params), std::move(in->idem));
  if (authorizes) ObserveAuthorization(d, req, p, card, r);
  co_return r;
}

Task<Result<Answer>> ConfirmPayment(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto in = ParseIdempotentBody(req, {"payment_method"});
  if (!in) co_return in.error();
  const json::object& body = in->body();
  auto pm = PaymentMethodOf(body);
  if (!pm) co_return pm.error();
  const std::string card = pm->token.value_or("");
  auto r = co_await d.payments.Confirm(p, req.params.at(0), std::move(pm->token),
                                       std::move(in->idem), std::move(pm->data));
  ObserveAuthorization(d, req, p, card, r);
  co_return r;
}

Task<Result<Answer>> CapturePayment(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto in = ParseIdempotentBody(req, {"amount_to_capture"});
  if (!in) co_return in.error();
  const json::object& body = in->body();
  std::optional<int64_t> amount;
  if (auto* v = body.if_contains("amount_to_capture"); v && !v->is_null()) {
    auto a = ParseAmount(*v, "amount_to_capture", false);
    if (!a) co_return a.error();
    amount = *a;
  }
  const Actor actor = d.pipeline.ActorOf(req, p);  // named: see coroutine arguments
  co_return co_await d.payments.Capture(p, req.params.at(0), amount, std::move(in->idem), actor);
}

Task<Result<Answer>> CancelPayment(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto in = ParseIdempotentBody(req, {});  // no parameters: the body may only be {}
  if (!in) co_return in.error();
  const Actor actor = d.pipeline.ActorOf(req, p);  // named: see coroutine arguments
  co_return co_await d.payments.Cancel(p, req.params.at(0), std::move(in->idem), actor);
}

Task<Result<Answer>> ListPayments(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto q = ParseQuery(
      req, {"limit", "starting_after", "ending_before", "status", "created[gte]", "created[lte]"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  if (auto s = QueryValue(*q, "status")) {
    if (!payments::ParsePaymentStatus(*s)) {
      co_return Error::Invalid("parameter_invalid", "status is not a payment status.", "status");
    }
    params->status = *s;
  }
  auto page = co_await d.payments.List(p, std::move(*params));
  if (!page) co_return page.error();
  co_return Answer{RenderPayments(*page)};
}

Task<Result<Answer>> CreateRefund(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto in = ParseIdempotentBody(req, {"payment", "amount", "reason"});
  if (!in) co_return in.error();
  const json::object& body = in->body();
  payments::RefundParams params;
  auto pay = OptString(body, "payment", 255);
  if (!pay) co_return pay.error();
  if (!*pay) co_return Missing("payment");
  params.payment_id = **pay;
  if (auto* v = body.if_contains("amount"); v && !v->is_null()) {
    auto a = ParseAmount(*v, "amount", false);
    if (!a) co_return a.error();
    params.amount = *a;
  }
  auto reason = OptString(body, "reason", 40);
  if (!reason) co_return reason.error();
  if (*reason && **reason != "duplicate" && **reason != "fraudulent" &&
      **reason != "requested_by_customer") {
    co_return Error::Invalid("parameter_invalid",
                             "reason must be duplicate, fraudulent or requested_by_customer.",
                             "reason");
  }
  params.reason = *reason;
  const Actor actor = d.pipeline.ActorOf(req, p);  // named: see coroutine arguments
  co_return co_await d.payments.CreateRefund(p, std::move(params), std::move(in->idem), actor);
}

Task<Result<Answer>> ListRefunds(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto q = ParseQuery(req, {"limit", "starting_after", "ending_before", "payment", "status",
                            "created[gte]", "created[lte]"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  if (auto s = QueryValue(*q, "status")) {
    if (*s != "pending" && *s != "succeeded" && *s != "failed") {
      co_return Error::Invalid("parameter_invalid", "status is not a refund status.", "status");
    }
    params->status = *s;
  }
  auto page = co_await d.payments.ListRefunds(p, std::move(*params), QueryValue(*q, "payment"));
  if (!page) co_return page.error();
  co_return Answer{RenderRefunds(*page)};
}

Task<Result<Answer>> ListEvents(const MerchantApiDeps& d, Request& req, const Principal& p) {
  auto q = ParseQuery(
      req, {"limit", "starting_after", "ending_before", "type", "created[gte]", "created[lte]"});
  if (!q) co_return q.error();
  auto params = ParseListParams(*q);
  if (!params) co_return params.error();
  auto page = co_await d.events.List(p, std::move(*params), QueryValue(*q, "type"));
  if (!page) co_return page.error();
  co_return Answer{RenderEvents(*page)};
}

// `expires_at`: a future Unix time in seconds, at most ten years ahead; in microseconds.
}  // namespace lp::api::handlers
