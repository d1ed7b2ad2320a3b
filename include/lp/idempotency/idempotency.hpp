// Idempotency keys (PRODUCT.md §2): claim a key for a request, store its response with the grants
// the request needed, replay it to callers holding those grants, release it when the request was
// refused (so a corrected retry can run). Payments and refunds claim and finish inside their own
// transactions (the functions taking a Tx); other POSTs use the asynchronous wrappers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/api_result.hpp"
#include "lp/common/principal.hpp"
#include "lp/common/task.hpp"
#include "lp/store/store.hpp"

namespace lp::idempotency {

// Claims an idempotency key for the resource the request works on (recovery finishes the
// record from that resource). When a finished response exists for the same request, `replay`
// is set; a different request under the key is 400 idempotency_error; a running one is 409.
// The record keeps the grants the request needed (idem.grants); a caller lacking any of them
// gets 403 permission_denied whatever the record's state, never the stored response.
Result<void> Claim(store::Tx& tx, const Principal& p, const Idempotency& idem,
                   std::string_view resource_id, int64_t now, std::optional<Answer>& replay);
// Stores the response; `extra_grants` (found while the request ran) join idem.grants.
Result<void> Finish(store::Tx& tx, const Principal& p, const Idempotency& idem,
                    std::string_view resource_id, int status, std::string_view body,
                    const std::vector<std::string>& extra_grants = {});
// Deletes an unfinished claim (the request was refused).
Result<void> Release(store::Tx& tx, const Principal& p, const Idempotency& idem);
// Finishes every unfinished record of a resource (recovery settled it).
Result<void> FinishForResource(store::Tx& tx, std::string_view resource_id, int status,
                               std::string_view body);
// Deletes finished records created before `created_before` (microseconds).
Result<void> Prune(store::Tx& tx, int64_t created_before);

// The stored response when the same request ran before; nullopt when this call claimed the key.
Task<Result<std::optional<Answer>>> ClaimKey(store::Store& store, const Principal& p,
                                             const Idempotency& idem, int64_t now);
Task<Result<void>> FinishKey(store::Store& store, const Principal& p, const Idempotency& idem,
                             int status, std::string body,
                             std::vector<std::string> extra_grants = {});
Task<Result<void>> ReleaseKey(store::Store& store, const Principal& p, const Idempotency& idem);

}  // namespace lp::idempotency
