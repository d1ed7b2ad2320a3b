// The idempotency_keys table (PRODUCT.md §2): claims, stored responses with the grants their
// requests needed, releases and pruning. The only code with SQL for it.
#include <algorithm>

#include "lp/idempotency/idempotency.hpp"

namespace lp::idempotency {

namespace {

// Grants are stored space-separated (permission names hold no spaces).
std::string JoinGrants(const std::vector<std::string>& a, const std::vector<std::string>& b = {}) {
  std::vector<std::string> all(a);
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::string out;
  for (const auto& g : all) {
    if (!out.empty()) out += ' ';
    out += g;
  }
  return out;
}

// Whether `p` holds every grant a stored record needed. Records written before grants were
// stored (empty text) are replayed to secret keys only.
bool HoldsGrants(const Principal& p, std::string_view stored) {
  if (stored.empty()) return Grants(p, kSecretKeyGrant);
  while (!stored.empty()) {
    const size_t sp = stored.find(' ');
    if (!Grants(p, stored.substr(0, sp))) return false;
    stored = sp == std::string_view::npos ? std::string_view() : stored.substr(sp + 1);
  }
  return true;
}

// The stored key: merchant and mode scope it (the columns); a dashboard user's keys are also
// scoped to the user (docs/dashboard-api.md §1 "Requests"), so two users never collide.
std::string ScopedKey(const Principal& p, const Idempotency& idem) {
  if (p.key_type == "user") return p.user_id + "/" + idem.key;
  return idem.key;
}

}  // namespace

Result<void> Claim(store::Tx& tx, const Principal& p, const Idempotency& idem,
                   std::string_view resource_id, int64_t now, std::optional<Answer>& replay) {
  if (idem.key.empty()) return {};
  // Claim first (the common case: a new key), read the existing record only when taken.
  auto ins = tx.Exec(
      "INSERT INTO idempotency_keys (merchant_id, mode, key, request_hash, state, resource_id, "
      "created, required_grants) VALUES (?,?,?,?,'in_progress',?,?,?) "
      "ON CONFLICT (merchant_id, mode, key) DO NOTHING",
      {p.merchant_id, ToString(p.mode), ScopedKey(p, idem), idem.request_hash, resource_id, now,
       JoinGrants(idem.grants)});
  if (!ins) return ins.error();
  if (*ins == 1) return {};
  bool found = false;
  std::string hash, state, body, grants;
  int64_t status = 0;
  auto r = tx.Query(
      "SELECT request_hash, state, response_status, response_body, required_grants "
      "FROM idempotency_keys WHERE merchant_id = ? AND mode = ? AND key = ?",
      {p.merchant_id, ToString(p.mode), ScopedKey(p, idem)}, [&](const store::Row& row) {
        found = true;
        hash = row.Text(0);
        state = row.Text(1);
        status = row.IsNull(2) ? 0 : row.Int(2);
        body = row.IsNull(3) ? "" : row.Text(3);
        grants = row.Text(4);
        return false;
      });
  if (!r) return r.error();
  if (!found) return Error::Internal("idempotency key neither inserted nor found");
  if (hash != idem.request_hash) {
    return Error{ErrorType::kIdempotency,
                 "idempotency_error",
                 "Keys for idempotent requests can only be used with the same parameters they "
                 "were first used with.",
                 "Idempotency-Key",
                 {}};
  }
  // The same request: replaying its answer is a read of it, allowed only to a caller that
  // could have made the request itself.
  if (!HoldsGrants(p, grants)) {
    return Error{ErrorType::kPermission,
                 "permission_denied",
                 "This Idempotency-Key belongs to a request that this API key is not allowed to "
                 "make.",
                 "Idempotency-Key",
                 {}};
  }
  if (state != "done") {
    return Error::Conflict("idempotency_in_progress",
                           "A request with this Idempotency-Key is still being processed; "
                           "retry later.");
  }
  // Only successful (200) answers are stored, so a replay is a 200 too.
  (void)status;
  replay = Answer{std::move(body), true, 0, {}};
  return {};
}

Result<void> Finish(store::Tx& tx, const Principal& p, const Idempotency& idem,
                    std::string_view resource_id, int status, std::string_view body,
                    const std::vector<std::string>& extra_grants) {
  if (idem.key.empty()) return {};
  auto r = tx.Exec(
      "UPDATE idempotency_keys SET state = 'done', resource_id = ?, response_status = ?, "
      "response_body = ?, required_grants = ? WHERE merchant_id = ? AND mode = ? AND key = ?",
      {resource_id, status, body, JoinGrants(idem.grants, extra_grants), p.merchant_id,
       ToString(p.mode), ScopedKey(p, idem)});
  if (!r) return r.error();
  return {};
}

Result<void> Release(store::Tx& tx, const Principal& p, const Idempotency& idem) {
  auto r = tx.Exec(
      "DELETE FROM idempotency_keys WHERE merchant_id = ? AND mode = ? AND key = ? AND "
      "state = 'in_progress'",
      {p.merchant_id, ToString(p.mode), ScopedKey(p, idem)});
  if (!r) return r.error();
  return {};
}

Result<void> FinishForResource(store::Tx& tx, std::string_view resource_id, int status,
                               std::string_view body) {
  auto u = tx.Exec(
      "UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ? "
      "WHERE resource_id = ? AND state = 'in_progress'",
      {status, body, resource_id});
  if (!u) return u.error();
  return {};
}

Result<void> Prune(store::Tx& tx, int64_t created_before) {
  auto r = tx.Exec("DELETE FROM idempotency_keys WHERE state = 'done' AND created < ?",
                   {created_before});
  if (!r) return r.error();
  return {};
}

}  // namespace lp::idempotency
