#include "connectors/adyen/webhooks.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "connectors/adyen/transformers.hpp"
#include "connectors/json_fields.hpp"
#include "lp/connectors/decline_codes.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::connectors::adyen {

namespace json = boost::json;
using jsonf::Obj;
using jsonf::Str;

namespace {

Error Malformed(std::string detail) {
  return Error{ErrorType::kInvalidRequest,
               "webhook_malformed",
               "The notification body is malformed.",
               {},
               std::move(detail)};
}

Error BadSignature(std::string detail) {
  return Error{ErrorType::kInvalidRequest,
               "webhook_signature_invalid",
               "The notification signature could not be verified.",
               {},
               std::move(detail)};
}

Error NoKey(std::string detail) {
  return Error{ErrorType::kInternal,
               "webhook_secret_missing",
               "The connector account has no valid hmac_key.",
               {},
               std::move(detail)};
}

// A JSON scalar as Adyen's validators write it: strings as they are, numbers in decimal.
std::string Scalar(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  if (v->is_bool()) return v->as_bool() ? "true" : "false";
  return {};
}

std::string DataToSign(const json::object& item) {
  std::string value, currency;
  if (const auto* amount = Obj(item, "amount")) {
    value = Scalar(*amount, "value");
    currency = Scalar(*amount, "currency");
  }
  std::string out;
  for (const std::string& part :
       {Scalar(item, "pspReference"), Scalar(item, "originalReference"),
        Scalar(item, "merchantAccountCode"), Scalar(item, "merchantReference"), value, currency,
        Scalar(item, "eventCode"), Scalar(item, "success")}) {
    out += part;
    out.push_back(':');
  }
  out.pop_back();
  return out;
}

bool HexDecode(std::string_view hex, std::string& out) {
  if (hex.empty() || hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// The NotificationRequestItem objects of a notification body.
Result<std::vector<const json::object*>> Items(const json::object& body) {
  const auto* items = body.if_contains("notificationItems");
  if (!items || !items->is_array() || items->as_array().empty()) {
    return Malformed("no notificationItems");
  }
  std::vector<const json::object*> out;
  for (const auto& wrapper : items->as_array()) {
    const json::object* item =
        wrapper.is_object() ? Obj(wrapper.as_object(), "NotificationRequestItem") : nullptr;
    if (!item) return Malformed("an item without NotificationRequestItem");
    out.push_back(item);
  }
  return out;
}

}  // namespace

Result<std::string> DataToSign(std::string_view item_json) {
  const auto o = jsonf::ParseObject(item_json);
  if (!o) return Malformed("item is not an object");
  return DataToSign(*o);
}

Result<std::string> Sign(std::string_view hex_key, std::string_view data) {
  std::string key;
  if (!HexDecode(hex_key, key)) return NoKey("hmac_key is not hex");
  std::string mac = crypto::HmacSha256(key, data);
  crypto::Wipe(key);
  return crypto::Base64(mac);
}

Result<void> VerifyNotification(std::string_view body, std::string_view hex_key) {
  std::string key;
  if (hex_key.empty() || !HexDecode(hex_key, key)) return NoKey("hmac_key missing or not hex");
  struct WipeKey {
    std::string& k;
    ~WipeKey() { crypto::Wipe(k); }
  } wipe{key};
  const auto o = jsonf::ParseObject(body);
  if (!o) return Malformed("not a JSON object");
  auto items = Items(*o);
  if (!items) return items.error();
  for (const json::object* item : *items) {
    const json::object* additional = Obj(*item, "additionalData");
    const std::string sig = additional ? Str(*additional, "hmacSignature") : "";
    if (sig.empty()) return BadSignature("an item has no hmacSignature");
    std::string given;
    if (!crypto::Base64Decode(sig, given) || given.size() != 32) {
      return BadSignature("hmacSignature is not a base64 HMAC-SHA256");
    }
    const std::string expected = crypto::HmacSha256(key, DataToSign(*item));
    if (!crypto::ConstantTimeEqual(expected, given)) {
      return BadSignature("hmacSignature does not match for " + Str(*item, "pspReference"));
    }
  }
  return {};
}

Result<void> VerifyWebhook(const Credentials& credentials, const WebhookRequest& request, int64_t) {
  return VerifyNotification(request.body, credentials.Get("hmac_key"));
}

namespace {

PspEvent FromItem(const json::object& item, bool live) {
  PspEvent e;
  const std::string code = Str(item, "eventCode");
  const std::string psp = Str(item, "pspReference");
  const std::string success_text = Scalar(item, "success");
  const bool success = success_text == "true";
  e.event_id = code + ":" + psp + ":" + success_text;
  e.type = code;
  e.livemode = live;
  e.our_reference = Str(item, "merchantReference");
  if (const auto* amount = Obj(item, "amount")) {
    e.amount = jsonf::Int(*amount, "value").value_or(-1);
    if (e.amount < 0) {
      const std::string v = Scalar(*amount, "value");
      if (!v.empty() && v.size() < 19 &&
          std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        e.amount = std::stoll(v);
      }
    }
    e.currency = Str(*amount, "currency");
  }
  e.result.amount = e.amount;
  e.result.psp_reference = psp;
  e.result.psp_status = code + (success ? "" : " (success=false)");
  const std::string reason = Str(item, "reason");
  auto fail = [&](Operation op, std::string decline, std::string message) {
    e.action = PspEventAction::kApply;
    e.operation = op;
    e.result.outcome = Outcome::kDeclined;
    const auto info = declines::Describe(decline);
    e.result.soft_decline = op == Operation::kAuthorize && info.soft;
    e.result.decline_code = std::move(decline);
    e.result.message = message.empty() ? std::string(info.message) : std::move(message);
  };
  auto apply = [&](Operation op, Outcome outcome) {
    e.action = PspEventAction::kApply;
    e.operation = op;
    e.result.outcome = outcome;
  };
  // Modifications name the payment in originalReference; AUTHORISATION is the payment itself.
  e.payment_reference = code == "AUTHORISATION" ? psp : Str(item, "originalReference");
  if (code == "AUTHORISATION") {
    if (success) {
      apply(Operation::kAuthorize, Outcome::kAuthorized);
    } else {
      fail(Operation::kAuthorize, DeclineCodeForRefusal("", reason), "");
    }
  } else if (code == "CAPTURE") {
    success ? apply(Operation::kCapture, Outcome::kCaptured)
            : fail(Operation::kCapture, "capture_failed", "Adyen refused the capture.");
  } else if (code == "CAPTURE_FAILED") {
    fail(Operation::kCapture, "capture_failed", "The capture failed at the card scheme.");
  } else if (code == "CANCELLATION") {
    success ? apply(Operation::kVoid, Outcome::kVoided)
            : fail(Operation::kVoid, "cancel_failed", "Adyen refused the cancellation.");
  } else if (code == "REFUND") {
    success ? apply(Operation::kRefund, Outcome::kRefunded)
            : fail(Operation::kRefund, "refund_failed", "Adyen refused the refund.");
  } else if (code == "REFUND_FAILED") {
    fail(Operation::kRefund, "refund_failed", "The refund failed at the card scheme.");
  }
  return e;
}

}  // namespace

Result<std::vector<PspEvent>> ParseNotification(std::string_view body) {
  const auto o = jsonf::ParseObject(body);
  if (!o) return Malformed("not a JSON object");
  auto items = Items(*o);
  if (!items) return items.error();
  const bool live = Scalar(*o, "live") == "true";
  std::vector<PspEvent> out;
  for (const json::object* item : *items) {
    if (Str(*item, "eventCode").empty() || Str(*item, "pspReference").empty()) {
      return Malformed("an item without eventCode or pspReference");
    }
    out.push_back(FromItem(*item, live));
  }
  return out;
}

}  // namespace lp::connectors::adyen
