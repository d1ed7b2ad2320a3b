// Adyen encrypted card fields as a LiasonPay payment method.
//
// Decision: a merchant passes the `paymentMethod` object that Adyen's Web Drop-in / Components
// hand it (`state.data.paymentMethod`) unchanged, as a JSON object in our `payment_method`
// parameter:
//   "payment_method": {"type": "scheme", "encryptedCardNumber": "adyenjs_0_1_25$…",
//                      "encryptedExpiryMonth": "…", "encryptedExpiryYear": "…",
//                      "encryptedSecurityCode": "…", "holderName": "…"}
// Only these keys (plus brand and checkoutAttemptId) are taken: no plain `number`/`cvc`, so a raw
// card never passes through here. The API keeps the object as its canonical JSON text (this
// file's Normalize), which is the string routing and the connector see. A string form was
// rejected: the four fields are ~2–3 KB of base64 and have no natural separator.
#pragma once

#include <string>
#include <string_view>

#include "lp/common/result.hpp"

namespace lp::connectors::adyen {

inline constexpr size_t kMaxEncryptedFieldLength = 8192;

struct EncryptedCard {
  std::string encrypted_card_number;
  std::string encrypted_expiry_month;
  std::string encrypted_expiry_year;
  std::string encrypted_security_code;  // optional (cards without CVC)
  std::string holder_name;              // optional
  std::string brand;                    // optional
  std::string checkout_attempt_id;      // optional
};

// Parses and checks the JSON text. Errors: Error::Invalid naming `payment_method` or
// `payment_method.<key>`.
Result<EncryptedCard> ParsePaymentMethod(std::string_view json_text);

// The canonical JSON text (fixed key order, no whitespace) of a valid payment method object.
Result<std::string> Normalize(std::string_view json_text);

}  // namespace lp::connectors::adyen
