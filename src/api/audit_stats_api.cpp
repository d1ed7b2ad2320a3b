#include "lp/api/audit_stats_api.hpp"

#include <boost/json.hpp>

#include "api/csv.hpp"
#include "api/input.hpp"
#include "lp/common/time_buckets.hpp"
#include "lp/payments/stats.hpp"
#include "lp/people/authorization.hpp"
#include "lp/people/errors.hpp"
#include "lp/security/events.hpp"
#include "lp/webhooks/stats.hpp"

namespace lp::api {

namespace json = boost::json;
using auth::SessionAnswer;
using http::Request;
using people::Caller;
using people::RequestContext;

namespace {

using Fn = Task<Result<SessionAnswer>> (*)(const AuditStatsApiDeps&, Request&, const Caller&,
                                           const RequestContext&);
using Query = std::vector<std::pair<std::string, std::string>>;

int64_t Seconds(int64_t us) { return us / 1'000'000; }

SessionAnswer Body(const json::object& o) {
  SessionAnswer a;
  a.body = json::serialize(o);
  return a;
}

// Ids and action names: ASCII letters, digits, '_' and '.', 1–100 characters.
bool IsToken(std::string_view s, bool dots) {
  if (s.empty() || s.size() > 100) {
    return false;
  }
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || (dots && c == '.');
    if (!ok) {
      return false;
    }
  }
  return true;
}

// ---- audit log ----

// The filters of §8 (and `merchant` on the ops listener).
Result<audit::QueryFilter> AuditFilter(const Query& q, const ListParams& list, bool ops) {
  audit::QueryFilter f;
  if (auto v = QueryValue(q, "action")) {
    std::string_view a = *v;
    const bool prefix = a.size() > 2 && a.ends_with(".*");
    if (prefix) {
      a.remove_suffix(1);  // keep the '.'
    }
    if (!IsToken(a, true)) {
      return people::InvalidParameter(
          "action", "Must be an action name (e.g. api_key.roll) or a prefix ending in .* .");
    }
    (prefix ? f.action_prefix : f.action) = std::string(a);
  }
  if (auto v = QueryValue(q, "actor")) {
    if (!IsToken(*v, false)) {
      return people::InvalidParameter("actor", "Must be a user, operator or API key id.");
    }
    f.actor_id = *v;
  }
  if (auto v = QueryValue(q, "outcome")) {
    if (*v != "success" && *v != "denied" && *v != "failure") {
      return people::InvalidParameter("outcome", "Must be success, denied or failure.");
    }
    f.outcome = *v;
  }
  if (ops) {
    if (auto v = QueryValue(q, "merchant")) {
      if (!IsToken(*v, false)) {
        return people::InvalidParameter("merchant", "Must be a merchant id.");
      }
      f.merchant_id = *v;
    }
  }
  if (list.created_gte) {
    f.from_us = *list.created_gte * 1'000'000;
  }
  if (list.created_lte) {
    f.to_us = *list.created_lte * 1'000'000 + 999'999;
  }
  return f;
}

json::value DetailsOf(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return json::object{};
  }
  return v;
}

json::object AuditEventJson(const people::AuditEvent& e, bool masked) {
  const auto& s = e.stored;
  const auto& r = s.record;
  json::object actor{{"type", r.actor_type}, {"id", r.actor_id}};
  if (r.actor_type == "user") {
    if (e.actor_email) {
      actor["email"] = masked ? people::MaskEmail(*e.actor_email) : *e.actor_email;
    } else {
      actor["email"] = nullptr;
    }
  }
  return json::object{
      {"object", "audit_event"},
      {"id", s.id},
      {"seq", s.seq},
      {"created", Seconds(s.time_us)},
      {"merchant", r.merchant_id.empty() ? json::value(nullptr) : json::value(r.merchant_id)},
      {"actor", std::move(actor)},
      {"action", r.action},
      {"target", r.target},
      {"outcome", r.outcome},
      {"source_ip",
       masked || r.source_ip.empty() ? json::value(nullptr) : json::value(r.source_ip)},
      {"request_id", r.request_id},
      {"details", masked ? json::value(json::object{}) : DetailsOf(r.details)}};
}

// The merchant of a dashboard route (nullopt on the ops listener).
std::optional<std::string> MerchantOf(const Request& req) {
  if (req.listener == "ops") {
    return std::nullopt;
  }
  return req.params.at(0);
}

std::string AuditUrl(const Request& req) {
  const auto m = MerchantOf(req);
  return m ? "/dashboard/api/merchants/" + *m + "/audit_events" : "/ops/api/audit_events";
}

// The contract's order: membership 404 → frozen 403 → permission 403, before the query's 400s.
Result<void> AuthorizeAudit(const Caller& c, const Request& req) {
  if (const auto m = MerchantOf(req)) {
    auto a = people::Authorize(c, *m, "audit:read");
    if (!a) {
      return a.error();
    }
    return {};
  }
  return people::AuthorizeOperator(c, "audit:read");
}

Task<Result<SessionAnswer>> ListAuditEvents(const AuditStatsApiDeps& d, Request& req,
                                            const Caller& c, const RequestContext&) {
  if (auto a = AuthorizeAudit(c, req); !a) {
    co_return a.error();
  }
  const bool ops = !MerchantOf(req);
  auto q = ops ? ParseQuery(req, {"limit", "starting_after", "ending_before", "action", "actor",
                                  "outcome", "created[gte]", "created[lte]", "merchant"})
               : ParseQuery(req, {"limit", "starting_after", "ending_before", "action", "actor",
                                  "outcome", "created[gte]", "created[lte]"});
  if (!q) {
    co_return q.error();
  }
  auto list = ParseListParams(*q);
  if (!list) {
    co_return list.error();
  }
  auto filter = AuditFilter(*q, *list, ops);
  if (!filter) {
    co_return filter.error();
  }
  audit::QueryPage page{list->limit, list->starting_after, list->ending_before};
  std::optional<std::string> merchant = MerchantOf(req);
  auto events = co_await d.audit_log.List(c, std::move(merchant), std::move(*filter), page);
  if (!events) {
    co_return events.error();
  }
  json::array data;
  for (const auto& e : events->data) {
    data.push_back(AuditEventJson(e, events->masked));
  }
  co_return Body(json::object{{"object", "list"},
                              {"url", AuditUrl(req)},
                              {"has_more", events->has_more},
                              {"data", std::move(data)}});
}

constexpr std::string_view kCsvHeader =
    "id,seq,created,merchant,actor_type,actor_id,actor_email,action,target,outcome,source_ip,"
    "request_id,details\r\n";

void AppendCsvRow(const json::object& o, std::string& out) {
  const auto& actor = o.at("actor").as_object();
  auto text = [](const json::value& v) -> std::string {
    if (v.is_null()) {
      return {};
    }
    if (v.is_string()) {
      return std::string(v.as_string());
    }
    return json::serialize(v);
  };
  const json::value* email = actor.if_contains("email");
  const std::string cells[] = {text(o.at("id")),
                               text(o.at("seq")),
                               text(o.at("created")),
                               text(o.at("merchant")),
                               text(actor.at("type")),
                               text(actor.at("id")),
                               email ? text(*email) : std::string(),
                               text(o.at("action")),
                               text(o.at("target")),
                               text(o.at("outcome")),
                               text(o.at("source_ip")),
                               text(o.at("request_id")),
                               text(o.at("details"))};
  bool first = true;
  for (const auto& c : cells) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += CsvCell(c);
  }
  out += "\r\n";
}

Task<Result<SessionAnswer>> ExportAuditEvents(const AuditStatsApiDeps& d, Request& req,
                                              const Caller& c, const RequestContext& ctx) {
  if (auto a = AuthorizeAudit(c, req); !a) {
    co_return a.error();
  }
  const bool ops = !MerchantOf(req);
  auto q = ops ? ParseQuery(req, {"format", "action", "actor", "outcome", "created[gte]",
                                  "created[lte]", "merchant"})
               : ParseQuery(
                     req, {"format", "action", "actor", "outcome", "created[gte]", "created[lte]"});
  if (!q) {
    co_return q.error();
  }
  const std::string format = QueryValue(*q, "format").value_or("jsonl");
  if (format != "jsonl" && format != "csv") {
    co_return people::InvalidParameter("format", "Must be jsonl or csv.");
  }
  auto list = ParseListParams(*q);
  if (!list) {
    co_return list.error();
  }
  auto filter = AuditFilter(*q, *list, ops);
  if (!filter) {
    co_return filter.error();
  }
  const std::string merchant_part = MerchantOf(req).value_or(filter->merchant_id.value_or("all"));
  std::optional<std::string> merchant = MerchantOf(req);
  auto events = co_await d.audit_log.Export(c, std::move(merchant), *filter, format, ctx);
  if (!events) {
    co_return events.error();
  }
  SessionAnswer a;
  if (format == "csv") {
    a.body = kCsvHeader;
  }
  for (const auto& e : events->data) {
    const json::object o = AuditEventJson(e, events->masked);
    if (format == "csv") {
      AppendCsvRow(o, a.body);
    } else {
      a.body += json::serialize(o);
      a.body += '\n';
    }
  }
  // The file's range: the filter's bounds, else the oldest record's time and now.
  const int64_t from = list->created_gte.value_or(
      events->data.empty() ? 0 : Seconds(events->data.back().stored.time_us));
  const int64_t to = list->created_lte.value_or(Seconds(d.clock.NowMicros()));
  a.content_type = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
  a.headers.emplace_back("Content-Disposition", "attachment; filename=\"audit-" + merchant_part +
                                                    "-" + std::to_string(from) + "-" +
                                                    std::to_string(to) + "." + format + "\"");
  co_return a;
}

// ---- aggregates ----

// A Unix time in seconds: digits only, at most 12.
Result<std::optional<int64_t>> OptSecondsParam(const Query& q, std::string_view name) {
  auto v = QueryValue(q, name);
  if (!v) {
    return std::optional<int64_t>();
  }
  if (v->empty() || v->size() > 12 || v->find_first_not_of("0123456789") != std::string::npos) {
    return people::InvalidParameter(std::string(name), "Must be a Unix time in seconds.");
  }
  return std::optional<int64_t>(std::stoll(*v));
}

struct StatsQuery {
  Mode mode = Mode::kTest;
  TimeBuckets range;
};

Result<StatsQuery> ParseStatsQuery(const Request& req, int64_t now_s) {
  auto q = ParseQuery(req, {"mode", "from", "to", "interval"});
  if (!q) {
    return q.error();
  }
  StatsQuery s;
  if (auto m = QueryValue(*q, "mode")) {
    auto mode = ParseMode(*m);
    if (!mode) {
      return people::InvalidParameter("mode", "Must be test or live.");
    }
    s.mode = *mode;
  }
  auto from = OptSecondsParam(*q, "from");
  if (!from) {
    return from.error();
  }
  auto to = OptSecondsParam(*q, "to");
  if (!to) {
    return to.error();
  }
  const auto interval = QueryValue(*q, "interval");
  auto range = MakeTimeBuckets(
      *from, *to,
      interval ? std::optional<std::string_view>(*interval) : std::optional<std::string_view>(),
      now_s);
  if (!range) {
    return range.error();
  }
  s.range = *range;
  return s;
}

// Authorizes the merchant route, then parses the query (the contract's order).
Result<StatsQuery> StatsRequest(const AuditStatsApiDeps& d, const Request& req, const Caller& c,
                                std::string_view permission) {
  if (auto a = people::Authorize(c, req.params.at(0), permission); !a) {
    return a.error();
  }
  return ParseStatsQuery(req, Seconds(d.clock.NowMicros()));
}

json::object RangeJson(std::string_view object, const TimeBuckets& r, bool interval) {
  json::object o{{"object", object}, {"from", r.from}, {"to", r.to}};
  if (interval) {
    o["interval"] = r.interval;
  }
  return o;
}

Task<Result<SessionAnswer>> PaymentStats(const AuditStatsApiDeps& d, Request& req, const Caller& c,
                                         const RequestContext&) {
  auto s = StatsRequest(d, req, c, "payments:read");
  if (!s) {
    co_return s.error();
  }
  const std::string merchant = req.params.at(0);
  std::vector<payments::AccountStats> stats;
  auto r = co_await store::ReadInto(d.store, stats, [&](store::Tx& tx) {
    return payments::LoadPaymentStats(tx, merchant, s->mode, s->range);
  });
  if (!r) {
    co_return r.error();
  }
  json::array accounts;
  for (const auto& a : stats) {
    json::array buckets;
    for (const auto& b : a.buckets) {
      json::object volume;
      for (const auto& [currency, amount] : b.volume) {
        volume[currency] = amount;
      }
      buckets.push_back(json::object{{"start", b.start},
                                     {"attempts", b.attempts},
                                     {"succeeded", b.succeeded},
                                     {"failed", b.failed},
                                     {"processing", b.processing},
                                     {"volume", std::move(volume)}});
    }
    accounts.push_back(json::object{{"connector_account", a.connector_account_id},
                                    {"label", a.label},
                                    {"connector", a.connector},
                                    {"buckets", std::move(buckets)}});
  }
  json::object o = RangeJson("payment_stats", s->range, true);
  o["connector_accounts"] = std::move(accounts);
  co_return Body(o);
}

Task<Result<SessionAnswer>> DeclineStats(const AuditStatsApiDeps& d, Request& req, const Caller& c,
                                         const RequestContext&) {
  auto s = StatsRequest(d, req, c, "payments:read");
  if (!s) {
    co_return s.error();
  }
  const std::string merchant = req.params.at(0);
  payments::DeclineStats stats;
  auto r = co_await store::ReadInto(d.store, stats, [&](store::Tx& tx) {
    return payments::LoadDeclineStats(tx, merchant, s->mode, s->range);
  });
  if (!r) {
    co_return r.error();
  }
  json::array data;
  for (const auto& row : stats.data) {
    data.push_back(json::object{
        {"decline_code", row.decline_code ? json::value(*row.decline_code) : json::value(nullptr)},
        {"count", row.count}});
  }
  json::object o = RangeJson("decline_stats", s->range, false);
  o["total"] = stats.total;
  o["data"] = std::move(data);
  co_return Body(o);
}

json::value OptValue(const std::optional<int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

Task<Result<SessionAnswer>> WebhookStats(const AuditStatsApiDeps& d, Request& req, const Caller& c,
                                         const RequestContext&) {
  auto s = StatsRequest(d, req, c, "webhooks:read");
  if (!s) {
    co_return s.error();
  }
  const std::string merchant = req.params.at(0);
  webhooks::WebhookStats stats;
  auto r = co_await store::ReadInto(d.store, stats, [&](store::Tx& tx) {
    return webhooks::LoadWebhookStats(tx, merchant, s->mode, s->range);
  });
  if (!r) {
    co_return r.error();
  }
  json::array endpoints;
  for (const auto& e : stats.endpoints) {
    endpoints.push_back(json::object{
        {"endpoint", e.endpoint_id},
        {"url", e.url},
        {"status", e.status},
        {"deliveries", json::object{{"succeeded", e.deliveries_succeeded},
                                    {"failed", e.deliveries_failed},
                                    {"pending", e.deliveries_pending}}},
        {"attempts", json::object{{"total", e.attempts_total}, {"failed", e.attempts_failed}}},
        {"avg_latency_ms",
         e.avg_latency_ms ? json::value(*e.avg_latency_ms) : json::value(nullptr)},
        {"last_success_at", OptValue(e.last_success_at)},
        {"last_failure_at", OptValue(e.last_failure_at)}});
  }
  json::array buckets;
  for (const auto& b : stats.buckets) {
    buckets.push_back(
        json::object{{"start", b.start}, {"attempts", b.attempts}, {"failed", b.failed}});
  }
  json::object o = RangeJson("webhook_stats", s->range, true);
  o["endpoints"] = std::move(endpoints);
  o["buckets"] = std::move(buckets);
  co_return Body(o);
}

// ---- security events (ops; docs/security-monitoring.md) ----

// GET /ops/api/security_events: newest first; filters merchant, kind, created[gte|lte]
// (seconds), limit (1–100, default 20; narrow with created[lte] to page back).
Task<Result<SessionAnswer>> OpsSecurityEvents(const AuditStatsApiDeps& d, Request& req,
                                              const Caller& c, const RequestContext&) {
  if (auto a = people::AuthorizeOperator(c, "audit:read"); !a) {
    co_return a.error();
  }
  auto q = ParseQuery(req, {"limit", "merchant", "kind", "created[gte]", "created[lte]"});
  if (!q) {
    co_return q.error();
  }
  auto list = ParseListParams(*q);
  if (!list) {
    co_return list.error();
  }
  security::EventFilter f;
  f.limit = list->limit + 1;
  if (list->created_gte) {
    f.from_us = *list->created_gte * 1'000'000;
  }
  if (list->created_lte) {
    f.to_us = (*list->created_lte + 1) * 1'000'000;
  }
  for (const char* name : {"merchant", "kind"}) {
    if (auto v = QueryValue(*q, name)) {
      if (!IsToken(*v, false)) {
        co_return Error::Invalid("parameter_invalid",
                                 std::string(name) + " must be an id or an event kind.", name);
      }
      (std::string_view(name) == "merchant" ? f.merchant_id : f.kind) = *v;
    }
  }
  std::vector<security::StoredEvent> events;
  auto r = co_await store::ReadInto(d.store, events,
                                    [&](store::Tx& tx) { return security::List(tx, f); });
  if (!r) {
    co_return r.error();
  }
  const bool has_more = events.size() > static_cast<size_t>(list->limit);
  if (has_more) {
    events.pop_back();
  }
  json::array data;
  for (const auto& e : events) {
    data.push_back(json::parse(security::ToJson(e)));
  }
  co_return Body(json::object{{"object", "list"},
                              {"url", "/ops/api/security_events"},
                              {"has_more", has_more},
                              {"data", std::move(data)}});
}

void Register(http::Router& r, const AuditStatsApiDeps& deps, const std::string& prefix,
              const std::string& method, const std::string& path, const std::string& permission,
              Fn fn) {
  const AuditStatsApiDeps* d = &deps;
  r.Add(method, prefix + path, permission,
        d->pipeline.Wrap(people::MfaGate::kSatisfied,
                         [d, fn](Request& req, const Caller& c, const RequestContext& ctx) {
                           return fn(*d, req, c, ctx);
                         }));
}

}  // namespace

void RegisterDashboardAuditStats(http::Router& r, const AuditStatsApiDeps& deps) {
  const std::string p = "/dashboard/api/merchants/{m}";
  // GET only: no route changes or deletes an audit record (other methods answer 405).
  Register(r, deps, p, "GET", "/audit_events", "audit:read", ListAuditEvents);
  Register(r, deps, p, "GET", "/audit_events/export", "audit:read", ExportAuditEvents);
  Register(r, deps, p, "GET", "/stats/payments", "payments:read", PaymentStats);
  Register(r, deps, p, "GET", "/stats/declines", "payments:read", DeclineStats);
  Register(r, deps, p, "GET", "/stats/webhooks", "webhooks:read", WebhookStats);
}

void RegisterOpsAudit(http::Router& r, const AuditStatsApiDeps& deps) {
  Register(r, deps, "/ops/api", "GET", "/audit_events", "audit:read", ListAuditEvents);
  Register(r, deps, "/ops/api", "GET", "/audit_events/export", "audit:read", ExportAuditEvents);
  Register(r, deps, "/ops/api", "GET", "/security_events", "audit:read", OpsSecurityEvents);
}

}  // namespace lp::api
