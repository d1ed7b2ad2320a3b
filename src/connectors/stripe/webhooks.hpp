// Stripe webhooks: `Stripe-Signature` verification on the raw body and event parsing (pure).
//
// Signature: header `t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`; v1 = hex(HMAC-SHA256(secret,
// "<t>.<raw body>")) with the whsec_… text itself as the key. Accepted if ANY v1 matches
// (constant-time compare; several v1 during a secret roll) and t is within the tolerance of now;
// other schemes (v0) are ignored, so a header with only v0 fails.
#pragma once

#include <string_view>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/connectors/descriptor.hpp"

namespace lp::connectors::stripe {

inline constexpr int64_t kWebhookToleranceSeconds = 300;

// Errors: webhook_secret_missing (empty secret: fail closed), webhook_signature_invalid
// (malformed or missing header, no matching v1, timestamp outside the tolerance).
Result<void> VerifySignature(std::string_view header, std::string_view body,
                             std::string_view secret, int64_t now,
                             int64_t tolerance = kWebhookToleranceSeconds);

// One Stripe event (the whole body) as a PspEvent:
//   payment_intent.succeeded         captured (operation capture if capture_method is manual)
//   payment_intent.amount_capturable_updated  authorized
//   payment_intent.payment_failed    authorize declined (last_payment_error mapped)
//   payment_intent.requires_action   requires action (next_action kept)
//   payment_intent.canceled          voided
//   charge.refund.updated, refund.created|updated|failed   refund succeeded / failed (pending:
//                                    ignored)
//   charge.refunded                  sync (the Charge no longer lists its refunds)
//   anything else                    ignore
// Errors: webhook_malformed (not an event).
Result<std::vector<PspEvent>> ParseEvent(std::string_view body);

// The descriptor's verify_webhook: the `stripe-signature` header with credentials.webhook_secret.
Result<void> VerifyWebhook(const Credentials& credentials, const WebhookRequest& request,
                           int64_t now);

}  // namespace lp::connectors::stripe
