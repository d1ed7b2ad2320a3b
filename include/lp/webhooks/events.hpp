// Events (PRODUCT.md §3): one per status change, written in the same transaction as the change,
// with an outbox row that the dispatcher fans out to the merchant's endpoints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lp/common/principal.hpp"
#include "lp/common/result.hpp"
#include "lp/store/store.hpp"

namespace lp::webhooks {

// Writes the event, and its outbox row when the merchant has a webhook endpoint in that mode
// (delivery comes from the dispatcher). `object_json` is the object's API representation.
Result<void> EmitEvent(store::Tx& tx, const std::string& merchant_id, Mode mode,
                       std::string_view type, std::string_view object_id,
                       std::string_view object_json, int64_t now);

}  // namespace lp::webhooks
