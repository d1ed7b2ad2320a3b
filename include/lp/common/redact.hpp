// The redactor: the last step before any log line is written. Masks, wherever they appear:
//  - keys by their prefix: Stripe/LiasonPay sk_/rk_/pk_ test and live keys, whsec_ webhook
//    secrets, Adyen API keys (AQE…): the prefix stays, e.g. "sk_live_***";
//  - the value after a telling name, case-insensitively, in JSON, query strings, headers and
//    prose (`password`, `secret` (TOTP secrets in otpauth URIs), `recovery_code(s)`, the session
//    cookies `__Host-lp_session` / `__Host-lp_ops_session`, `*_token`, `api_key`, `hmac_key`,
//    `Authorization` and `Cookie` header values (the auth scheme stays), `Bearer <token>`);
//  - shapes: recovery codes ("7h2k-x9qm-4vtr"), runs of 64+ hex digits (Adyen HMAC keys);
//  - card numbers (pan.hpp), as "[REDACTED_PAN]".
// Linear in the input; Redact(Redact(x)) == Redact(x).
#pragma once

#include <string>
#include <string_view>

namespace lp {

std::string Redact(std::string_view text);

// Whether Redact would mask a secret in `text` (card numbers aside): the log's fast path asks
// this before it writes a value unredacted.
bool ContainsSecret(std::string_view text);

}  // namespace lp
