// SQL of the webhook aggregates (lp/webhooks/stats.hpp): GROUP BY per endpoint and per time
// bucket, read through webhook_deliveries(endpoint_id, created) for the merchant's endpoints.
#include <map>

#include "lp/webhooks/stats.hpp"

namespace lp::webhooks {

namespace {
// The merchant's endpoints in a mode joined to their deliveries created in a window; `?` order:
// merchant, mode, deliveries from, deliveries to (microseconds).
constexpr std::string_view kDeliveries =
    " FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id "
    "WHERE e.merchant_id = ? AND e.mode = ? AND d.created >= ? AND d.created < ?";
}  // namespace

Result<WebhookStats> LoadWebhookStats(store::Tx& tx, const std::string& merchant_id, Mode mode,
                                      const TimeBuckets& range) {
  const std::string mode_s(ToString(mode));
  const int64_t from_us = range.from * 1'000'000;
  const int64_t to_us = range.to * 1'000'000;
  const int64_t lookback_us = from_us - kAttemptLookbackSeconds * 1'000'000;
  WebhookStats out;
  std::map<std::string, size_t> index;
  auto eps = tx.Query(
      "SELECT id, url, status FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? AND "
      "status != 'deleted' ORDER BY created, id",
      {merchant_id, mode_s}, [&](const store::Row& r) {
        index.emplace(r.Text(0), out.endpoints.size());
        EndpointStats s;
        s.endpoint_id = r.Text(0);
        s.url = r.Text(1);
        s.status = r.Text(2);
        out.endpoints.push_back(std::move(s));
        return true;
      });
  if (!eps) return eps.error();
  auto find = [&](const std::string& id) -> EndpointStats* {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &out.endpoints[it->second];
  };

  auto states = tx.Query(
      "SELECT d.endpoint_id, d.state, COUNT(*)" + std::string(kDeliveries) + " GROUP BY 1, 2",
      {merchant_id, mode_s, from_us, to_us}, [&](const store::Row& r) {
        if (auto* s = find(r.Text(0))) {
          const std::string state = r.Text(1);
          if (state == "succeeded") {
            s->deliveries_succeeded += r.Int(2);
          } else if (state == "failed") {
            s->deliveries_failed += r.Int(2);
          } else {
            s->deliveries_pending += r.Int(2);
          }
        }
        return true;
      });
  if (!states) return states.error();

  // Attempts in the range, through deliveries created from the lookback on; `?` order: bucket
  // origin and step (for the buckets query), merchant, mode, deliveries from, to, attempts from,
  // to.
  const std::string attempts_from =
      " FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id "
      "JOIN webhook_attempts t ON t.delivery_id = d.id "
      "WHERE e.merchant_id = ? AND e.mode = ? AND d.created >= ? AND d.created < ? "
      "AND t.time >= ? AND t.time < ?";
  auto per_endpoint = tx.Query(
      "SELECT d.endpoint_id, COUNT(*), SUM(CASE WHEN t.error IS NULL THEN 0 ELSE 1 END), "
      "SUM(COALESCE(t.latency_us, 0)), COUNT(t.latency_us), "
      "MAX(CASE WHEN t.error IS NULL THEN t.time END), "
      "MAX(CASE WHEN t.error IS NULL THEN NULL ELSE t.time END)" +
          attempts_from + " GROUP BY d.endpoint_id",
      {merchant_id, mode_s, lookback_us, to_us, from_us, to_us}, [&](const store::Row& r) {
        if (auto* s = find(r.Text(0))) {
          s->attempts_total = r.Int(1);
          s->attempts_failed = r.Int(2);
          if (r.Int(4) > 0) {
            s->avg_latency_ms =
                static_cast<double>(r.Int(3)) / static_cast<double>(r.Int(4)) / 1000.0;
          }
          if (!r.IsNull(5)) {
            s->last_success_at = r.Int(5) / 1'000'000;
          }
          if (!r.IsNull(6)) {
            s->last_failure_at = r.Int(6) / 1'000'000;
          }
        }
        return true;
      });
  if (!per_endpoint) return per_endpoint.error();

  out.buckets.resize(static_cast<size_t>(range.count));
  for (int64_t i = 0; i < range.count; ++i) {
    out.buckets[static_cast<size_t>(i)].start = range.Start(i);
  }
  const int64_t first_us = range.first_start * 1'000'000;
  const int64_t step_us = range.seconds * 1'000'000;
  auto buckets = tx.Query(
      "SELECT (t.time - ?) / ?, COUNT(*), SUM(CASE WHEN t.error IS NULL THEN 0 ELSE 1 END)" +
          attempts_from + " AND e.status != 'deleted' GROUP BY 1",
      {first_us, step_us, merchant_id, mode_s, lookback_us, to_us, from_us, to_us},
      [&](const store::Row& r) {
        const int64_t i = r.Int(0);
        if (i >= 0 && i < range.count) {
          out.buckets[static_cast<size_t>(i)].attempts = r.Int(1);
          out.buckets[static_cast<size_t>(i)].failed = r.Int(2);
        }
        return true;
      });
  if (!buckets) return buckets.error();
  return out;
}

}  // namespace lp::webhooks
