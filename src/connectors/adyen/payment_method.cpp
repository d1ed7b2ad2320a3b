#include "connectors/adyen/payment_method.hpp"

#include <boost/json.hpp>

#include "connectors/json_fields.hpp"

namespace lp::connectors::adyen {

namespace json = boost::json;

namespace {

Error InvalidMethod(std::string message, std::string param = "payment_method") {
  return Error::Invalid("parameter_invalid", std::move(message), std::move(param));
}

}  // namespace

Result<EncryptedCard> ParsePaymentMethod(std::string_view text) {
  if (text.empty() || text.front() != '{')
    return InvalidMethod("An Adyen payment method is an object.");
  const auto o = jsonf::ParseObject(text);
  if (!o) return InvalidMethod("An Adyen payment method is a JSON object.");
  EncryptedCard card;
  struct Field {
    std::string_view key;
    std::string* out;
    bool required;
  };
  const Field fields[] = {
      {"encryptedCardNumber", &card.encrypted_card_number, true},
      {"encryptedExpiryMonth", &card.encrypted_expiry_month, true},
      {"encryptedExpiryYear", &card.encrypted_expiry_year, true},
      {"encryptedSecurityCode", &card.encrypted_security_code, false},
      {"holderName", &card.holder_name, false},
      {"brand", &card.brand, false},
      {"checkoutAttemptId", &card.checkout_attempt_id, false},
  };
  for (const auto& kv : *o) {
    const std::string param = "payment_method." + std::string(kv.key());
    if (kv.key() == "type") {
      if (!kv.value().is_string() || kv.value().as_string() != "scheme") {
        return InvalidMethod("Only Adyen card payment methods (type \"scheme\") are supported.",
                             param);
      }
      continue;
    }
    const Field* f = nullptr;
    for (const auto& candidate : fields) {
      if (candidate.key == kv.key()) f = &candidate;
    }
    if (!f) {
      return Error::Invalid("parameter_unknown",
                            "Unknown field in an Adyen payment method (only encrypted card fields "
                            "are taken).",
                            param);
    }
    if (!kv.value().is_string() || kv.value().as_string().empty() ||
        kv.value().as_string().size() > kMaxEncryptedFieldLength) {
      return InvalidMethod("Adyen payment method fields are non-empty strings.", param);
    }
    *f->out = std::string(kv.value().as_string());
  }
  if (!o->contains("type"))
    return Error::Invalid("parameter_missing", "Missing type.", "payment_method.type");
  for (const auto& f : fields) {
    if (f.required && f.out->empty()) {
      return Error::Invalid("parameter_missing", "Missing encrypted card field.",
                            "payment_method." + std::string(f.key));
    }
  }
  return card;
}

Result<std::string> Normalize(std::string_view text) {
  auto card = ParsePaymentMethod(text);
  if (!card) return card.error();
  json::object o;
  o["type"] = "scheme";
  o["encryptedCardNumber"] = card->encrypted_card_number;
  o["encryptedExpiryMonth"] = card->encrypted_expiry_month;
  o["encryptedExpiryYear"] = card->encrypted_expiry_year;
  if (!card->encrypted_security_code.empty()) {
    o["encryptedSecurityCode"] = card->encrypted_security_code;
  }
  if (!card->holder_name.empty()) o["holderName"] = card->holder_name;
  if (!card->brand.empty()) o["brand"] = card->brand;
  if (!card->checkout_attempt_id.empty()) o["checkoutAttemptId"] = card->checkout_attempt_id;
  return json::serialize(o);
}

}  // namespace lp::connectors::adyen
