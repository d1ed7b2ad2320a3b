#include "connectors/stripe/transformers.hpp"

#include <boost/json.hpp>

#include "connectors/json_fields.hpp"
#include "lp/connectors/decline_codes.hpp"

namespace lp::connectors::stripe {

namespace json = boost::json;
using jsonf::Int;
using jsonf::Obj;
using jsonf::Str;

namespace {

class Form {
 public:
  Form& Add(std::string_view key, std::string_view value) {
    if (!body_.empty()) body_.push_back('&');
    body_ += PercentEncode(key);
    body_.push_back('=');
    body_ += PercentEncode(value);
    return *this;
  }
  Form& Add(std::string_view key, int64_t value) { return Add(key, std::to_string(value)); }
  std::string Take() { return std::move(body_); }

 private:
  std::string body_;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

PspRequest Base(bool post, std::string path, std::string_view secret_key) {
  PspRequest r;
  r.post = post;
  r.path = std::move(path);
  r.headers.emplace_back("Authorization", "Bearer " + std::string(secret_key));
  r.headers.emplace_back("Stripe-Version", std::string(kApiVersion));
  return r;
}

PspRequest Post(std::string path, std::string body, const OperationRequest& req,
                std::string_view secret_key) {
  PspRequest r = Base(true, std::move(path), secret_key);
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.headers.emplace_back("Idempotency-Key", req.idempotency_key);
  r.body = std::move(body);
  return r;
}

bool IsStripeId(std::string_view id) {
  return !id.empty() && id.size() <= 255 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Error Invalid(std::string message, std::string param) {
  return Error::Invalid("parameter_invalid", std::move(message), std::move(param));
}

}  // namespace

Result<PspRequest> BuildRequest(Operation op, const OperationRequest& req,
                                std::string_view secret_key) {
  if (req.idempotency_key.empty()) return Error::Internal("stripe: no idempotency key");
  if (op != Operation::kVoid && req.amount.minor_units <= 0) {
    return Invalid("The amount must be a positive integer.", "amount");
  }
  if (op != Operation::kAuthorize && !IsStripeId(req.psp_reference)) {
    return Invalid("The payment has no Stripe PaymentIntent to act on.", "psp_reference");
  }
  Form f;
  switch (op) {
    case Operation::kAuthorize: {
      if (!req.payment_method.starts_with("pm_") || !IsStripeId(req.payment_method)) {
        return Invalid("Stripe takes PaymentMethod ids (pm_…).", "payment_method");
      }
      f.Add("amount", req.amount.minor_units)
          .Add("currency", Lower(req.amount.currency.Code()))
          .Add("payment_method", req.payment_method)
          .Add("confirm", "true")
          .Add("capture_method", req.auto_capture ? "automatic" : "manual");
      if (!req.return_url.empty()) {
        f.Add("return_url", req.return_url);
      } else {
        // Without a return URL, only methods that never redirect may be used (API versions from
        // 2023-08-16 enable automatic payment methods by default and would refuse the confirm).
        f.Add("automatic_payment_methods[enabled]", "true")
            .Add("automatic_payment_methods[allow_redirects]", "never");
      }
      f.Add("metadata[lp_payment]", req.payment_id)
          .Add("metadata[lp_attempt]", req.idempotency_key);
      return Post("/v1/payment_intents", f.Take(), req, secret_key);
    }
    case Operation::kCapture:
      f.Add("amount_to_capture", req.amount.minor_units);
      return Post("/v1/payment_intents/" + req.psp_reference + "/capture", f.Take(), req,
                  secret_key);
    case Operation::kVoid:
      return Post("/v1/payment_intents/" + req.psp_reference + "/cancel", "", req, secret_key);
    case Operation::kRefund:
      f.Add("payment_intent", req.psp_reference).Add("amount", req.amount.minor_units);
      if (req.refund_reason == "duplicate" || req.refund_reason == "fraudulent" ||
          req.refund_reason == "requested_by_customer") {
        f.Add("reason", req.refund_reason);
      }
      f.Add("metadata[lp_payment]", req.payment_id)
          .Add("metadata[lp_attempt]", req.idempotency_key);
      return Post("/v1/refunds", f.Take(), req, secret_key);
  }
  return Error::Internal("stripe: unknown operation");
}

PspRequest BuildRetrieve(std::string_view payment_intent, std::string_view secret_key) {
  return Base(false, "/v1/payment_intents/" + PercentEncode(payment_intent), secret_key);
}

PspRequest BuildSearchByAttempt(std::string_view attempt_id, std::string_view secret_key) {
  const std::string query = "metadata['lp_attempt']:'" + std::string(attempt_id) + "'";
  return Base(false, "/v1/payment_intents/search?query=" + PercentEncode(query), secret_key);
}

PspRequest BuildListRefunds(std::string_view payment_intent, std::string_view secret_key) {
  return Base(false, "/v1/refunds?payment_intent=" + PercentEncode(payment_intent) + "&limit=100",
              secret_key);
}

std::string UnifiedDeclineCode(std::string_view code, std::string_view decline_code) {
  std::string_view c = decline_code.empty() ? code : decline_code;
  // Stripe's error codes that name the card problem without a decline_code.
  if (c == "card_declined" || c.empty()) return std::string(declines::kGeneric);
  if (c == "invalid_cvc") return std::string(declines::kIncorrectCvc);
  if (c == "invalid_number") return std::string(declines::kIncorrectNumber);
  if (c == "invalid_expiry_month" || c == "invalid_expiry_year") {
    return std::string(declines::kExpiredCard);
  }
  if (c == "authentication_required" || c == "card_decline_rate_limit_exceeded") {
    return c == "authentication_required" ? std::string(declines::kAuthenticationRequired)
                                          : std::string(declines::kTryAgainLater);
  }
  return std::string(c);  // Stripe's decline codes are the unified vocabulary
}

namespace {

OperationResult Decline(std::string code, std::string message, std::string psp_reference) {
  OperationResult r;
  r.outcome = Outcome::kDeclined;
  const auto info = declines::Describe(code);
  r.soft_decline = info.soft;
  r.message = message.empty() ? std::string(info.message) : std::move(message);
  r.decline_code = std::move(code);
  r.psp_reference = std::move(psp_reference);
  return r;
}

OperationResult DeclineFrom(const json::object* last_error, std::string psp_reference) {
  if (!last_error) return Decline(std::string(declines::kGeneric), "", std::move(psp_reference));
  return Decline(UnifiedDeclineCode(Str(*last_error, "code"), Str(*last_error, "decline_code")),
                 Str(*last_error, "message"), std::move(psp_reference));
}

Error NoRecord(std::string detail) {
  return Error{ErrorType::kNotFound,
               std::string(kPspUnknown),
               "Stripe has no record of this operation.",
               {},
               std::move(detail)};
}

// A PaymentIntent as the answer to `op` (or to a sync of `op`).
Result<OperationResult> FromPaymentIntent(Operation op, const OperationRequest& req,
                                          const json::object& pi, bool sync) {
  const std::string status = Str(pi, "status");
  const std::string id = Str(pi, "id");
  if (id.empty() || status.empty()) {
    return Unclear(kDisplayName, "payment_intent without id or status");
  }
  OperationResult r;
  r.psp_reference = id;
  r.psp_status = status;
  const auto received = Int(pi, "amount_received");
  const auto capturable = Int(pi, "amount_capturable");
  auto unclear = [&] {
    return Unclear(kDisplayName, "payment_intent " + id + " is " + status + " after " +
                                     std::string(ToString(op)));
  };
  switch (op) {
    case Operation::kAuthorize:
      if (status == "succeeded") {
        r.outcome = Outcome::kCaptured;
        r.amount = received.value_or(-1);
      } else if (status == "requires_capture") {
        r.outcome = Outcome::kAuthorized;
        r.amount = capturable.value_or(-1);
      } else if (status == "requires_action") {
        r.outcome = Outcome::kRequiresAction;
        if (const auto* na = Obj(pi, "next_action")) r.next_action_json = json::serialize(*na);
      } else if (status == "processing") {
        r.outcome = req.auto_capture ? Outcome::kCaptured : Outcome::kAuthorized;
        r.pending = true;
      } else if (status == "requires_payment_method") {
        return DeclineFrom(Obj(pi, "last_payment_error"), id);
      } else if (status == "canceled") {
        return Decline(std::string(declines::kCancelled), "", id);
      } else {
        return unclear();
      }
      return r;
    case Operation::kCapture:
      if (status == "succeeded") {
        r.outcome = Outcome::kCaptured;
        r.amount = received.value_or(-1);
        return r;
      }
      if (status == "processing") {
        r.outcome = Outcome::kCaptured;
        r.pending = true;
        return r;
      }
      if (sync && status == "requires_capture") return NoRecord("capture not applied to " + id);
      if (status == "canceled") return Decline(std::string(declines::kCancelled), "", id);
      return unclear();
    case Operation::kVoid:
      if (status == "canceled") {
        r.outcome = Outcome::kVoided;
        return r;
      }
      if (sync && status == "requires_capture") return NoRecord("cancel not applied to " + id);
      return unclear();
    case Operation::kRefund:
      return unclear();
  }
  return unclear();
}

Result<OperationResult> FromRefund(const json::object& re) {
  const std::string status = Str(re, "status");
  const std::string id = Str(re, "id");
  if (id.empty() || status.empty()) return Unclear(kDisplayName, "refund without id or status");
  OperationResult r;
  r.psp_reference = id;
  r.psp_status = status;
  r.amount = Int(re, "amount").value_or(-1);
  r.outcome = Outcome::kRefunded;
  if (status == "succeeded") return r;
  if (status == "pending" || status == "requires_action") {
    r.pending = true;
    return r;
  }
  if (status == "failed" || status == "canceled") {
    std::string reason = Str(re, "failure_reason");
    OperationResult d =
        Decline(reason.empty() ? "refund_failed" : reason, "The refund failed at Stripe.", id);
    d.soft_decline = false;
    d.psp_status = status;
    return d;
  }
  return Unclear(kDisplayName, "refund " + id + " has status " + status);
}

// A Stripe error body (any non-2xx status).
Result<OperationResult> FromError(const OperationRequest& req, const PspReply& reply,
                                  Operation op) {
  const auto body = jsonf::ParseObject(reply.body);
  const json::object* err = body ? Obj(*body, "error") : nullptr;
  const std::string type = err ? Str(*err, "type") : "";
  const std::string code = err ? Str(*err, "code") : "";
  const std::string detail = "HTTP " + std::to_string(reply.status) + " " + type + " " + code +
                             (reply.idempotent_replayed ? " (replayed)" : "");
  if (reply.status == 401 || reply.status == 403) {
    return AuthenticationFailed(kDisplayName, reply.status);
  }
  if (reply.status == 402 || type == "card_error") {
    if (!err) return Unclear(kDisplayName, detail);
    std::string pi_id;
    if (const auto* pi = Obj(*err, "payment_intent")) pi_id = Str(*pi, "id");
    if (op != Operation::kAuthorize) {
      // A card error on a capture or refund: the operation was refused, nothing moved.
      return Rejected(kDisplayName, Str(*err, "message"), detail);
    }
    return Decline(UnifiedDeclineCode(code, Str(*err, "decline_code")), Str(*err, "message"),
                   std::move(pi_id));
  }
  if (reply.status >= 500 || reply.status == 429 || reply.status == 409 || !err) {
    return Unclear(kDisplayName, detail);  // not processed, or processed: unknown
  }
  if (type == "idempotency_error") {
    // The key was used with other parameters: the first request's outcome is unknown here.
    return Unclear(kDisplayName, detail);
  }
  if (reply.status == 404 && op == Operation::kAuthorize && !req.psp_reference.empty()) {
    return Error{ErrorType::kNotFound,
                 std::string(kPspUnknown),
                 "Stripe has no record of this payment.",
                 {},
                 detail};
  }
  // 400/404 invalid_request_error: Stripe refused the request without processing it.
  return Rejected(kDisplayName, Str(*err, "message"), detail);
}

}  // namespace

Result<OperationResult> ParseResponse(Operation op, const OperationRequest& req,
                                      const PspReply& reply, bool sync) {
  if (reply.status < 200 || reply.status > 299) return FromError(req, reply, op);
  const auto body = jsonf::ParseObject(reply.body);
  if (!body) return Unclear(kDisplayName, "HTTP " + std::to_string(reply.status) + ": not JSON");
  const std::string object = Str(*body, "object");
  if (object == "payment_intent") return FromPaymentIntent(op, req, *body, sync);
  if (object == "refund" && op == Operation::kRefund) return FromRefund(*body);
  return Unclear(kDisplayName, "unexpected object '" + object + "'");
}

Result<OperationResult> ParseFound(Operation op, const OperationRequest& req,
                                   const PspReply& reply) {
  if (reply.status < 200 || reply.status > 299) return FromError(req, reply, op);
  const auto body = jsonf::ParseObject(reply.body);
  const json::array* data = nullptr;
  if (body) {
    if (const auto* d = body->if_contains("data"); d && d->is_array()) data = &d->as_array();
  }
  if (!data) return Unclear(kDisplayName, "list without data");
  for (const auto& item : *data) {
    if (!item.is_object()) continue;
    const auto* md = Obj(item.as_object(), "metadata");
    if (!md || Str(*md, "lp_attempt") != req.idempotency_key) continue;
    if (op == Operation::kRefund) return FromRefund(item.as_object());
    return FromPaymentIntent(op, req, item.as_object(), /*sync=*/true);
  }
  return NoRecord("no object with metadata[lp_attempt]=" + req.idempotency_key);
}

}  // namespace lp::connectors::stripe
