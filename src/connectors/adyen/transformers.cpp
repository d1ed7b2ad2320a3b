#include "connectors/adyen/transformers.hpp"

#include <array>
#include <boost/json.hpp>

#include "connectors/adyen/payment_method.hpp"
#include "connectors/json_fields.hpp"
#include "lp/connectors/decline_codes.hpp"

namespace lp::connectors::adyen {

namespace json = boost::json;
using jsonf::Int;
using jsonf::Obj;
using jsonf::Str;

namespace {

struct Refusal {
  std::string_view code;  // refusalReasonCode
  std::string_view text;  // refusalReason (as in notifications' `reason`)
  std::string_view unified;
};

// Adyen's refusal reasons ("Refusal reasons" in Adyen's documentation) to unified codes; soft or
// hard follows from decline_codes.cpp.
// clang-format off
constexpr std::array<Refusal, 43> kRefusals = {{
  {"2",  "Refused",                                "generic_decline"},
  {"3",  "Referral",                               "call_issuer"},
  {"4",  "Acquirer Error",                         "processing_error"},
  {"5",  "Blocked Card",                           "restricted_card"},
  {"6",  "Expired Card",                           "expired_card"},
  {"7",  "Invalid Amount",                         "invalid_amount"},
  {"8",  "Invalid Card Number",                    "incorrect_number"},
  {"9",  "Issuer Unavailable",                     "issuer_not_available"},
  {"10", "Not supported",                          "card_not_supported"},
  {"11", "3D Not Authenticated",                   "authentication_required"},
  {"12", "Not enough balance",                     "insufficient_funds"},
  {"14", "Acquirer Fraud",                         "fraudulent"},
  {"15", "Cancelled",                              "payment_cancelled"},
  {"16", "Shopper Cancelled",                      "payment_cancelled"},
  {"17", "Invalid Pin",                            "incorrect_pin"},
  {"18", "Pin tries exceeded",                     "pin_try_exceeded"},
  {"19", "Pin validation not possible",            "processing_error"},
  {"20", "FRAUD",                                  "fraudulent"},
  {"21", "Not Submitted",                          "processing_error"},
  {"22", "FRAUD-CANCELLED",                        "fraudulent"},
  {"23", "Transaction Not Permitted",              "transaction_not_allowed"},
  {"24", "CVC Declined",                           "incorrect_cvc"},
  {"25", "Restricted Card",                        "restricted_card"},
  {"26", "Revocation Of Auth",                     "revocation_of_authorization"},
  {"27", "Declined Non Generic",                   "do_not_honor"},
  {"28", "Withdrawal amount exceeded",             "card_velocity_exceeded"},
  {"29", "Withdrawal count exceeded",              "withdrawal_count_limit_exceeded"},
  {"31", "Issuer Suspected Fraud",                 "fraudulent"},
  {"32", "AVS Declined",                           "incorrect_address"},
  {"33", "Card requires online pin",               "online_or_offline_pin_required"},
  {"34", "No checking account available on Card",  "invalid_account"},
  {"35", "No savings account available on Card",   "invalid_account"},
  {"36", "Mobile pin required",                    "offline_pin_required"},
  {"37", "Contactless fallback",                   "try_again_later"},
  {"38", "Authentication required",                "authentication_required"},
  {"39", "RReq not received from DS",              "authentication_required"},
  {"40", "Current AID is in Penalty Box.",         "try_again_later"},
  {"41", "CVM Required Restart Payment",           "try_again_later"},
  {"42", "3DS Authentication Error",               "authentication_required"},
  {"43", "Online PIN required",                    "online_or_offline_pin_required"},
  {"44", "Try another interface",                  "try_again_later"},
  {"45", "Chip downgrade mode",                    "try_again_later"},
  {"46", "Transaction blocked by Adyen to prevent excessive retry fees", "do_not_try_again"},
}};
// clang-format on

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Error Invalid(std::string message, std::string param) {
  return Error::Invalid("parameter_invalid", std::move(message), std::move(param));
}

bool IsPspReference(std::string_view r) {
  return !r.empty() && r.size() <= 64 && std::all_of(r.begin(), r.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

json::object Amount(const OperationRequest& req) {
  return json::object{{"currency", req.amount.currency.Code()}, {"value", req.amount.minor_units}};
}

PspRequest Post(std::string path, const json::object& body, const OperationRequest& req,
                const AuthParams& auth) {
  PspRequest r;
  r.post = true;
  r.path = std::move(path);
  r.headers.emplace_back("X-API-Key", std::string(auth.api_key));
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Idempotency-Key", req.idempotency_key);
  r.body = json::serialize(body);
  return r;
}

}  // namespace

std::string DeclineCodeForRefusal(std::string_view code, std::string_view text) {
  for (const auto& r : kRefusals) {
    if ((!code.empty() && r.code == code) || (code.empty() && EqualsNoCase(r.text, text))) {
      return std::string(r.unified);
    }
  }
  if (code.empty() && text.empty()) return std::string(declines::kGeneric);
  return "unknown_decline";  // not in the table: hard
}

Result<PspRequest> BuildRequest(Operation op, const OperationRequest& req, const AuthParams& auth) {
  if (req.idempotency_key.empty()) return Error::Internal("adyen: no idempotency key");
  if (op != Operation::kVoid && req.amount.minor_units <= 0) {
    return Invalid("The amount must be a positive integer.", "amount");
  }
  if (op != Operation::kAuthorize && !IsPspReference(req.psp_reference)) {
    return Invalid("The payment has no Adyen pspReference to act on.", "psp_reference");
  }
  json::object body;
  body["merchantAccount"] = auth.merchant_account;
  switch (op) {
    case Operation::kAuthorize: {
      auto card = ParsePaymentMethod(req.payment_method);
      if (!card) return card.error();
      if (req.return_url.empty()) {
        return Error::Invalid("parameter_missing",
                              "Adyen needs a return URL for payments (set return_url on the "
                              "connector account).",
                              "return_url");
      }
      body["amount"] = Amount(req);
      body["reference"] = req.idempotency_key;
      json::object pm{{"type", "scheme"},
                      {"encryptedCardNumber", card->encrypted_card_number},
                      {"encryptedExpiryMonth", card->encrypted_expiry_month},
                      {"encryptedExpiryYear", card->encrypted_expiry_year}};
      if (!card->encrypted_security_code.empty()) {
        pm["encryptedSecurityCode"] = card->encrypted_security_code;
      }
      if (!card->holder_name.empty()) pm["holderName"] = card->holder_name;
      if (!card->brand.empty()) pm["brand"] = card->brand;
      if (!card->checkout_attempt_id.empty()) pm["checkoutAttemptId"] = card->checkout_attempt_id;
      body["paymentMethod"] = std::move(pm);
      body["returnUrl"] = req.return_url;
      body["shopperInteraction"] = "Ecommerce";
      body["channel"] = "Web";
      if (req.auto_capture) {
        body["captureDelayHours"] = 0;
      } else {
        body["additionalData"] = json::object{{"manualCapture", "true"}};
      }
      body["metadata"] = json::object{{"lp_payment", req.payment_id}};
      return Post("/payments", body, req, auth);
    }
    case Operation::kCapture:
      body["amount"] = Amount(req);
      body["reference"] = req.idempotency_key;
      return Post("/payments/" + req.psp_reference + "/captures", body, req, auth);
    case Operation::kVoid:
      body["reference"] = req.idempotency_key;
      return Post("/payments/" + req.psp_reference + "/cancels", body, req, auth);
    case Operation::kRefund:
      body["amount"] = Amount(req);
      body["reference"] = req.idempotency_key;
      if (req.refund_reason == "duplicate") {
        body["merchantRefundReason"] = "DUPLICATE";
      } else if (req.refund_reason == "fraudulent") {
        body["merchantRefundReason"] = "FRAUD";
      } else if (req.refund_reason == "requested_by_customer") {
        body["merchantRefundReason"] = "CUSTOMER REQUEST";
      }
      return Post("/payments/" + req.psp_reference + "/refunds", body, req, auth);
  }
  return Error::Internal("adyen: unknown operation");
}

namespace {

OperationResult Decline(std::string code, std::string message, std::string psp_reference,
                        std::string psp_status) {
  OperationResult r;
  r.outcome = Outcome::kDeclined;
  const auto info = declines::Describe(code);
  r.soft_decline = info.soft;
  r.message = message.empty() ? std::string(info.message) : std::move(message);
  r.decline_code = std::move(code);
  r.psp_reference = std::move(psp_reference);
  r.psp_status = std::move(psp_status);
  return r;
}

Result<OperationResult> FromPayment(const OperationRequest& req, const json::object& body) {
  const std::string result_code = Str(body, "resultCode");
  OperationResult r;
  r.psp_reference = Str(body, "pspReference");
  r.psp_status = result_code;
  if (const auto* amount = Obj(body, "amount")) r.amount = Int(*amount, "value").value_or(-1);
  const Outcome success = req.auto_capture ? Outcome::kCaptured : Outcome::kAuthorized;
  if (result_code == "Authorised" || result_code == "Success") {
    if (r.psp_reference.empty())
      return Unclear(kDisplayName, result_code + " without pspReference");
    r.outcome = success;  // automatic capture: Adyen captures by itself (captureDelayHours 0)
    return r;
  }
  if (result_code == "Refused") {
    const std::string reason = Str(body, "refusalReason");
    return Decline(DeclineCodeForRefusal(Str(body, "refusalReasonCode"), reason), "",
                   r.psp_reference, result_code);
  }
  if (result_code == "Cancelled") {
    return Decline(std::string(declines::kCancelled), "", r.psp_reference, result_code);
  }
  if (result_code == "Error") {
    return Decline(std::string(declines::kProcessingError), "", r.psp_reference, result_code);
  }
  if (result_code == "Pending" || result_code == "Received") {
    r.outcome = success;
    r.pending = true;  // the AUTHORISATION notification settles it
    return r;
  }
  if (result_code == "RedirectShopper" || result_code == "IdentifyShopper" ||
      result_code == "ChallengeShopper" || result_code == "PresentToShopper") {
    r.outcome = Outcome::kRequiresAction;
    if (const auto* action = Obj(body, "action")) r.next_action_json = json::serialize(*action);
    return r;
  }
  // PartiallyAuthorised (never asked for), AuthenticationFinished/NotRequired (authentication-
  // only flows), anything new: unclear.
  return Unclear(kDisplayName, "resultCode '" + result_code + "'");
}

Result<OperationResult> FromModification(Operation op, const json::object& body) {
  const std::string status = Str(body, "status");
  OperationResult r;
  r.psp_reference = Str(body, "pspReference");
  r.psp_status = status;
  if (const auto* amount = Obj(body, "amount")) r.amount = Int(*amount, "value").value_or(-1);
  if (status != "received" || r.psp_reference.empty()) {
    return Unclear(kDisplayName, "modification status '" + status + "'");
  }
  r.pending = true;  // settled by the CAPTURE / CANCELLATION / REFUND notification
  r.outcome = op == Operation::kCapture ? Outcome::kCaptured
              : op == Operation::kVoid  ? Outcome::kVoided
                                        : Outcome::kRefunded;
  return r;
}

}  // namespace

Result<OperationResult> ParseResponse(Operation op, const OperationRequest& req,
                                      const PspReply& reply) {
  const auto body = jsonf::ParseObject(reply.body);
  if (reply.status >= 200 && reply.status <= 299) {
    if (!body) return Unclear(kDisplayName, "HTTP " + std::to_string(reply.status) + ": not JSON");
    if (op == Operation::kAuthorize) return FromPayment(req, *body);
    return FromModification(op, *body);
  }
  // ServiceError {status, errorCode, message, errorType, pspReference}.
  const std::string error_code = body ? Str(*body, "errorCode") : "";
  const std::string error_type = body ? Str(*body, "errorType") : "";
  const std::string detail =
      "HTTP " + std::to_string(reply.status) + " " + error_type + " " + error_code;
  if (reply.status == 401 || reply.status == 403) {
    return AuthenticationFailed(kDisplayName, reply.status);
  }
  if (error_code == "704") {
    return Unclear(kDisplayName, detail + " (idempotent request in progress)");
  }
  if (reply.status == 400 || reply.status == 404 || reply.status == 422) {
    // Validation: Adyen refused the request without processing it.
    return Rejected(kDisplayName, body ? Str(*body, "message") : "", detail);
  }
  return Unclear(kDisplayName, detail);  // 5xx, 429, anything else
}

}  // namespace lp::connectors::adyen
