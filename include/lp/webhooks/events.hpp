// Events (PRODUCT.md §3): one per status change, written in the same transaction as the change,
// with an outbox row that the dispatcher fans out to the merchant's endpoints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lp/common/principal.hpp"
#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"
#include "lp/store/sealed_columns.hpp"
#include "lp/store/store.hpp"

namespace lp::crypto {
class KeyRing;
}

namespace lp::webhooks {

// Writes the event, and its outbox row when the merchant has a webhook endpoint in that mode
// (delivery comes from the dispatcher). `object_json` is the object's API representation.
Result<void> EmitEvent(store::Tx& tx, const std::string& merchant_id, Mode mode,
                       std::string_view type, std::string_view object_id,
                       std::string_view object_json, int64_t now);

// An event whose delivered object holds a secret (user.invited: the invitation link). The
// `data` column keeps `shown_object_json` (what the events API shows, the secret left out);
// the delivered body is sealed with the key ring in `data_sealed`, bound to the event's id, and
// only the dispatcher opens it, to sign and send it. Both bodies share the event's id and time.
Result<void> EmitSealedEvent(store::Tx& tx, const crypto::KeyRing& keyring,
                             const std::string& merchant_id, Mode mode, std::string_view type,
                             std::string_view object_id, std::string_view shown_object_json,
                             const Secret<std::string>& delivered_object_json, int64_t now);

// The sealed delivered bodies (key rotation re-wraps them with the other sealed columns).
inline constexpr store::SealedColumn kSealedDataColumn{"events", "id", "data_sealed"};

}  // namespace lp::webhooks
