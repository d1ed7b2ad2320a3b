#include "connectors/stripe/webhooks.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "connectors/json_fields.hpp"
#include "connectors/stripe/transformers.hpp"
#include "lp/connectors/decline_codes.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::connectors::stripe {

namespace json = boost::json;
using jsonf::Int;
using jsonf::Obj;
using jsonf::Str;

namespace {

Error BadSignature(std::string detail) {
  return Error{ErrorType::kInvalidRequest,
               "webhook_signature_invalid",
               "The webhook signature could not be verified.",
               {},
               std::move(detail)};
}

Error Malformed(std::string detail) {
  return Error{ErrorType::kInvalidRequest,
               "webhook_malformed",
               "The webhook body is malformed.",
               {},
               std::move(detail)};
}

}  // namespace

Result<void> VerifySignature(std::string_view header, std::string_view body,
                             std::string_view secret, int64_t now, int64_t tolerance) {
  if (secret.empty()) {
    return Error{ErrorType::kInternal,
                 "webhook_secret_missing",
                 "The connector account has no webhook secret.",
                 {},
                 "stripe"};
  }
  std::string_view timestamp;
  std::vector<std::string_view> v1;
  size_t pos = 0;
  while (pos <= header.size()) {
    const size_t end = std::min(header.find(',', pos), header.size());
    const std::string_view item = header.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "t") {
      timestamp = value;
    } else if (key == "v1" && !value.empty()) {
      v1.push_back(value);
    }
  }
  int64_t t = 0;
  if (timestamp.empty() ||
      std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), t).ptr !=
          timestamp.data() + timestamp.size()) {
    return BadSignature("no timestamp in Stripe-Signature");
  }
  if (v1.empty()) return BadSignature("no v1 signature in Stripe-Signature");
  if (t < now - tolerance || t > now + tolerance) {
    return BadSignature("timestamp outside the tolerance (" + std::to_string(now - t) + " s)");
  }
  std::string signed_payload;
  signed_payload.reserve(timestamp.size() + 1 + body.size());
  signed_payload.append(timestamp).push_back('.');
  signed_payload.append(body);
  const std::string expected = crypto::Hex(crypto::HmacSha256(secret, signed_payload));
  bool ok = false;
  for (auto sig : v1) ok = crypto::ConstantTimeEqual(expected, sig) || ok;  // no early exit
  if (!ok) return BadSignature("no v1 signature matches");
  return {};
}

Result<void> VerifyWebhook(const Credentials& credentials, const WebhookRequest& request,
                           int64_t now) {
  return VerifySignature(request.Header("stripe-signature"), request.body,
                         credentials.Get("webhook_secret"), now);
}

namespace {

void FillFromPaymentIntent(PspEvent& e, const json::object& pi) {
  e.payment_reference = Str(pi, "id");
  e.result.psp_reference = e.payment_reference;
  e.result.psp_status = Str(pi, "status");
  if (const auto* md = Obj(pi, "metadata")) e.our_reference = Str(*md, "lp_attempt");
  e.currency = Str(pi, "currency");
  for (auto& c : e.currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

void FillFromRefund(PspEvent& e, const json::object& re) {
  e.operation = Operation::kRefund;
  e.result.psp_reference = Str(re, "id");
  e.result.psp_status = Str(re, "status");
  e.payment_reference = Str(re, "payment_intent");
  if (const auto* md = Obj(re, "metadata")) e.our_reference = Str(*md, "lp_attempt");
  e.amount = Int(re, "amount").value_or(-1);
  e.currency = Str(re, "currency");
  for (auto& c : e.currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string& status = e.result.psp_status;
  if (status == "succeeded") {
    e.action = PspEventAction::kApply;
    e.result.outcome = Outcome::kRefunded;
  } else if (status == "failed" || status == "canceled") {
    e.action = PspEventAction::kApply;
    e.result.outcome = Outcome::kDeclined;
    const std::string reason = Str(re, "failure_reason");
    e.result.decline_code = reason.empty() ? "refund_failed" : reason;
    e.result.message = "The refund failed at Stripe.";
  }  // pending, requires_action: nothing settled yet
}

}  // namespace

Result<std::vector<PspEvent>> ParseEvent(std::string_view body) {
  const auto ev = jsonf::ParseObject(body);
  if (!ev || Str(*ev, "object") != "event") return Malformed("not a Stripe event");
  PspEvent e;
  e.event_id = Str(*ev, "id");
  e.type = Str(*ev, "type");
  e.created = Int(*ev, "created").value_or(0);
  if (const auto* lm = ev->if_contains("livemode"); lm && lm->is_bool()) e.livemode = lm->as_bool();
  const json::object* data = Obj(*ev, "data");
  const json::object* obj = data ? Obj(*data, "object") : nullptr;
  if (e.event_id.empty() || e.type.empty() || !obj) return Malformed("event without id/type/data");

  const std::string& type = e.type;
  const std::string object = Str(*obj, "object");
  if (type.starts_with("payment_intent.") && object == "payment_intent") {
    FillFromPaymentIntent(e, *obj);
    const bool manual = Str(*obj, "capture_method") == "manual";
    if (type == "payment_intent.succeeded") {
      e.action = PspEventAction::kApply;
      e.operation = manual ? Operation::kCapture : Operation::kAuthorize;
      e.result.outcome = Outcome::kCaptured;
      e.amount = Int(*obj, "amount_received").value_or(-1);
    } else if (type == "payment_intent.amount_capturable_updated") {
      e.action = PspEventAction::kApply;
      e.result.outcome = Outcome::kAuthorized;
      e.amount = Int(*obj, "amount_capturable").value_or(-1);
    } else if (type == "payment_intent.payment_failed") {
      e.action = PspEventAction::kApply;
      e.result.outcome = Outcome::kDeclined;
      const json::object* le = Obj(*obj, "last_payment_error");
      e.result.decline_code = le ? UnifiedDeclineCode(Str(*le, "code"), Str(*le, "decline_code"))
                                 : std::string(declines::kGeneric);
      const auto info = declines::Describe(e.result.decline_code);
      e.result.soft_decline = info.soft;
      e.result.message =
          le && !Str(*le, "message").empty() ? Str(*le, "message") : std::string(info.message);
    } else if (type == "payment_intent.requires_action") {
      e.action = PspEventAction::kApply;
      e.result.outcome = Outcome::kRequiresAction;
      if (const auto* na = Obj(*obj, "next_action")) {
        e.result.next_action_json = json::serialize(*na);
      }
    } else if (type == "payment_intent.canceled") {
      e.action = PspEventAction::kApply;
      e.operation = Operation::kVoid;
      e.result.outcome = Outcome::kVoided;
    }
    e.result.amount = e.amount;
    return std::vector<PspEvent>{std::move(e)};
  }
  if ((type == "charge.refund.updated" || type == "refund.created" || type == "refund.updated" ||
       type == "refund.failed") &&
      object == "refund") {
    FillFromRefund(e, *obj);
    e.result.amount = e.amount;
    return std::vector<PspEvent>{std::move(e)};
  }
  if (type == "charge.refunded" && object == "charge") {
    e.action = PspEventAction::kSync;
    e.operation = Operation::kRefund;
    e.payment_reference = Str(*obj, "payment_intent");
    e.amount = Int(*obj, "amount_refunded").value_or(-1);
    return std::vector<PspEvent>{std::move(e)};
  }
  return std::vector<PspEvent>{std::move(e)};  // kIgnore
}

}  // namespace lp::connectors::stripe
