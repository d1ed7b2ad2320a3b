// Idempotency for POSTs whose service does not fold it into its own transactions (payments and
// refunds do): claim the key, run the request, store its response (or release the key when the
// request was refused, so a corrected retry can run).
#pragma once

#include <optional>
#include <string>

#include "lp/common/task.hpp"
#include "lp/core/model.hpp"
#include "lp/core/payments.hpp"
#include "lp/store/store.hpp"

namespace lp::core {

// The stored response when the same request ran before; nullopt when this call claimed the key.
// 400 idempotency_error for other parameters under the key, 409 while the first still runs.
Task<Result<std::optional<ApiResult>>> ClaimIdempotencyKey(store::Store& store, const Principal& p,
                                                           const Idempotency& idem, int64_t now);
Task<Result<void>> FinishIdempotencyKey(store::Store& store, const Principal& p,
                                        const Idempotency& idem, int status, std::string body);
Task<Result<void>> ReleaseIdempotencyKey(store::Store& store, const Principal& p,
                                         const Idempotency& idem);

}  // namespace lp::core
