// Standard Webhooks (v1.0.0) symmetric signatures for outbound merchant webhooks (CUST-04..07).
//
// Owns: endpoint secrets ("whsec_" + base64 of 24 random bytes), the v1 signature
// base64(HMAC-SHA256(key, msg_id "." timestamp "." body)) where key = base64-decode of the secret
// without its prefix, the space-separated header used during secret rotation, and verification
// (constant-time compare, any v1 match passes, timestamp tolerance in both directions).
//
// Must not touch: the network, the store, clocks (callers pass `now`), logging of secrets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/result.hpp"

namespace lp::webhooks {

inline constexpr std::string_view kSecretPrefix = "whsec_";
inline constexpr int64_t kDefaultToleranceSeconds = 300;

// "whsec_" + base64(24 bytes from the OS CSPRNG). Unique per endpoint.
std::string GenerateSecret();

// "v1,<base64 signature>". The secret may carry the "whsec_" prefix or not; unpadded base64 is
// accepted (as the reference libraries do). msg_id must be non-empty and contain no '.'.
// Errors: webhook_secret_invalid, webhook_id_invalid, webhook_timestamp_invalid (negative).
Result<std::string> Sign(std::string_view secret, std::string_view msg_id, int64_t timestamp,
                         std::string_view body);

// The webhook-signature header value: one "v1,..." per secret, space-separated, in the given
// order (rotation: new secret first, then the old one). Secrets that cannot be used are skipped;
// an empty string means no secret was usable and the message must not be sent.
std::string SignatureHeader(const std::vector<std::string>& secrets, std::string_view msg_id,
                            int64_t timestamp, std::string_view body);

// The three Standard Webhooks headers as received (raw values; empty = missing).
struct SignedHeaders {
  std::string_view id;         // webhook-id
  std::string_view timestamp;  // webhook-timestamp, unix seconds
  std::string_view signature;  // webhook-signature, space-separated "v1,<base64>" entries
};

// Verifies a delivery against one or more secrets (pass {secret} for one). Passes if any "v1"
// entry matches any secret; other versions (v1a, v2, ...) are ignored. Fails closed on an empty
// secret list. `now` and the timestamp are unix seconds; |now - timestamp| <= tolerance_s passes.
// Errors (all ErrorType::kInvalidRequest): webhook_secret_invalid, webhook_header_missing (param
// names the header), webhook_id_invalid, webhook_timestamp_invalid, webhook_timestamp_too_old,
// webhook_timestamp_too_new, webhook_signature_invalid (no v1 entry matched).
Result<void> Verify(const std::vector<std::string>& secrets, const SignedHeaders& headers,
                    std::string_view body, int64_t now,
                    int64_t tolerance_s = kDefaultToleranceSeconds);

}  // namespace lp::webhooks
