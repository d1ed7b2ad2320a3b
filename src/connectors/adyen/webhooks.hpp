// Adyen notifications (Standard webhooks of the Checkout API): HMAC verification per item and
// parsing (pure).
//
// HMAC: each NotificationRequestItem carries additionalData.hmacSignature = base64(HMAC-SHA256(
// hex_decode(hmac_key), "pspReference:originalReference:merchantAccountCode:merchantReference:
// amount.value:amount.currency:eventCode:success")), absent fields empty, values not escaped. A
// request is accepted only if EVERY item verifies (compared in constant time).
// The answer Adyen expects is `[accepted]`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/connectors/descriptor.hpp"

namespace lp::connectors::adyen {

// The string an item's signature covers; `item` is a NotificationRequestItem object as JSON text.
Result<std::string> DataToSign(std::string_view item_json);
// base64(HMAC-SHA256(hex_decode(hex_key), data)); error webhook_secret_missing for a key that is
// not hex.
Result<std::string> Sign(std::string_view hex_key, std::string_view data);

// Errors: webhook_secret_missing (no or malformed hmac_key: fail closed), webhook_malformed (not
// a notification, no items), webhook_signature_invalid (an item without a signature or with a
// wrong one).
Result<void> VerifyNotification(std::string_view body, std::string_view hex_key);

// Items as PspEvents (event id "<eventCode>:<pspReference>:<success>"):
//   AUTHORISATION    success: authorized (the core treats an automatic-capture payment as
//                    captured); failure: declined (reason mapped)
//   CAPTURE          captured / capture refused        CAPTURE_FAILED  capture failed
//   CANCELLATION     voided / cancel refused
//   REFUND           refunded / refund refused         REFUND_FAILED   refund failed
//   others           ignore
Result<std::vector<PspEvent>> ParseNotification(std::string_view body);

Result<void> VerifyWebhook(const Credentials& credentials, const WebhookRequest& request,
                           int64_t now);

}  // namespace lp::connectors::adyen
