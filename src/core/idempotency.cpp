#include "lp/core/idempotency.hpp"

#include "core/repo.hpp"

namespace lp::core {

Task<Result<std::optional<ApiResult>>> ClaimIdempotencyKey(store::Store& store, const Principal& p,
                                                           const Idempotency& idem, int64_t now) {
  std::optional<ApiResult> replay;
  auto r = co_await store::Write(store, [&](store::Tx& tx) {
    replay.reset();
    return repo::ClaimIdempotency(tx, p, idem, "", now, replay);
  });
  if (!r) co_return r.error();
  co_return replay;
}

Task<Result<void>> FinishIdempotencyKey(store::Store& store, const Principal& p,
                                        const Idempotency& idem, int status, std::string body) {
  co_return co_await store::Write(
      store, [&](store::Tx& tx) { return repo::FinishIdempotency(tx, p, idem, "", status, body); });
}

Task<Result<void>> ReleaseIdempotencyKey(store::Store& store, const Principal& p,
                                         const Idempotency& idem) {
  co_return co_await store::Write(store, [&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec(
        "DELETE FROM idempotency_keys WHERE merchant_id = ? AND mode = ? AND key = ? AND "
        "state = 'in_progress'",
        {p.merchant_id, ToString(p.mode), idem.key});
    if (!r) return r.error();
    return {};
  });
}

}  // namespace lp::core
