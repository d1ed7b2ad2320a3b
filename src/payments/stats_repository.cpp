// SQL of the payment aggregates (lp/payments/stats.hpp): GROUP BY over time buckets, read
// through payment_attempts(connector_account_id, created) for the merchant's accounts.
#include <map>

#include "lp/payments/stats.hpp"

namespace lp::payments {

namespace {

// Attempts of the merchant's accounts in `mode` and the range; `?` order: merchant, mode, from,
// to (microseconds).
constexpr std::string_view kAttemptsInRange =
    " FROM connector_accounts ca JOIN payment_attempts a ON a.connector_account_id = ca.id "
    "JOIN payments p ON p.id = a.payment_id "
    "WHERE ca.merchant_id = ? AND ca.mode = ? AND a.created >= ? AND a.created < ? "
    "AND a.operation = 'authorize' AND p.merchant_id = ca.merchant_id AND p.mode = ca.mode";

}  // namespace

Result<std::vector<AccountStats>> LoadPaymentStats(store::Tx& tx, const std::string& merchant_id,
                                                   Mode mode, const TimeBuckets& range) {
  const std::string mode_s(ToString(mode));
  const int64_t from_us = range.from * 1'000'000;
  const int64_t to_us = range.to * 1'000'000;
  const int64_t first_us = range.first_start * 1'000'000;
  const int64_t step_us = range.seconds * 1'000'000;

  std::vector<AccountStats> out;
  std::map<std::string, size_t> index;
  auto add_account = [&](std::string id, std::string label, std::string connector) {
    AccountStats s{std::move(id), std::move(label), std::move(connector), {}};
    s.buckets.resize(static_cast<size_t>(range.count));
    for (int64_t i = 0; i < range.count; ++i) {
      s.buckets[static_cast<size_t>(i)].start = range.Start(i);
    }
    index.emplace(s.connector_account_id, out.size());
    out.push_back(std::move(s));
  };
  // Every live account (zeros included), oldest first; deleted ones only when they have data.
  auto accounts = tx.Query(
      "SELECT id, label, connector, status FROM connector_accounts WHERE merchant_id = ? AND "
      "mode = ? ORDER BY created, id",
      {merchant_id, mode_s}, [&](const store::Row& r) {
        if (r.Text(3) != "deleted") {
          add_account(r.Text(0), r.Text(1), r.Text(2));
        }
        return true;
      });
  if (!accounts) return accounts.error();

  struct Cell {
    std::string account, status, currency;
    int64_t bucket, count, amount;
  };
  std::vector<Cell> cells;
  auto q = tx.Query(
      "SELECT a.connector_account_id, (a.created - ?) / ?, a.status, p.currency, COUNT(*), "
      "SUM(a.amount)" +
          std::string(kAttemptsInRange) +
          " GROUP BY a.connector_account_id, 2, a.status, p.currency",
      {first_us, step_us, merchant_id, mode_s, from_us, to_us}, [&](const store::Row& r) {
        cells.push_back(Cell{r.Text(0), r.Text(2), r.Text(3), r.Int(1), r.Int(4), r.Int(5)});
        return true;
      });
  if (!q) return q.error();
  for (const auto& c : cells) {
    if (!index.contains(c.account)) {
      // A deleted account with attempts in the range.
      auto found = tx.Query("SELECT label, connector FROM connector_accounts WHERE id = ?",
                            {c.account}, [&](const store::Row& r) {
                              add_account(c.account, r.Text(0), r.Text(1));
                              return false;
                            });
      if (!found) return found.error();
    }
    if (c.bucket < 0 || c.bucket >= range.count || !index.contains(c.account)) {
      continue;
    }
    AttemptBucket& b = out[index.at(c.account)].buckets[static_cast<size_t>(c.bucket)];
    b.attempts += c.count;
    if (c.status == "succeeded") {
      b.succeeded += c.count;
      b.volume[c.currency] += c.amount;
    } else if (c.status == "failed") {
      b.failed += c.count;
    } else {
      b.processing += c.count;  // pending | processing
    }
  }
  return out;
}

Result<DeclineStats> LoadDeclineStats(store::Tx& tx, const std::string& merchant_id, Mode mode,
                                      const TimeBuckets& range) {
  const std::string mode_s(ToString(mode));
  const int64_t from_us = range.from * 1'000'000;
  const int64_t to_us = range.to * 1'000'000;
  DeclineStats out;
  auto total =
      tx.Query("SELECT COUNT(*)" + std::string(kAttemptsInRange) + " AND a.status = 'failed'",
               {merchant_id, mode_s, from_us, to_us}, [&](const store::Row& r) {
                 out.total = r.Int(0);
                 return false;
               });
  if (!total) return total.error();
  auto rows =
      tx.Query("SELECT a.decline_code, COUNT(*)" + std::string(kAttemptsInRange) +
                   " AND a.status = 'failed' GROUP BY a.decline_code "
                   "ORDER BY COUNT(*) DESC, a.decline_code IS NULL, a.decline_code LIMIT ?",
               {merchant_id, mode_s, from_us, to_us, kMaxDeclineRows}, [&](const store::Row& r) {
                 out.data.push_back(DeclineCount{r.OptText(0), r.Int(1)});
                 return true;
               });
  if (!rows) return rows.error();
  return out;
}

}  // namespace lp::payments
