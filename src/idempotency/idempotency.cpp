#include "lp/idempotency/idempotency.hpp"

namespace lp::idempotency {

Task<Result<std::optional<Answer>>> ClaimKey(store::Store& store, const Principal& p,
                                             const Idempotency& idem, int64_t now) {
  std::optional<Answer> replay;
  auto r = co_await store::Write(store, [&](store::Tx& tx) {
    replay.reset();
    return Claim(tx, p, idem, "", now, replay);
  });
  if (!r) co_return r.error();
  co_return replay;
}

Task<Result<void>> FinishKey(store::Store& store, const Principal& p, const Idempotency& idem,
                             int status, std::string body, std::vector<std::string> extra_grants) {
  co_return co_await store::Write(
      store, [&](store::Tx& tx) { return Finish(tx, p, idem, "", status, body, extra_grants); });
}

Task<Result<void>> ReleaseKey(store::Store& store, const Principal& p, const Idempotency& idem) {
  co_return co_await store::Write(store, [&](store::Tx& tx) { return Release(tx, p, idem); });
}

}  // namespace lp::idempotency
