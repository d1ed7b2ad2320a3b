// Routing configuration versions (GET/PUT /v1/routing, versions, activate, simulate) and the
// flow's access to the active one.
#include <boost/json.hpp>

#include "lp/audit/audit.hpp"
#include "lp/common/random.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "payments/routing_config_repository.hpp"
#include "payments/routing_flow.hpp"

namespace lp::payments {

namespace json = boost::json;
using store::Tx;

namespace routing_flow {

Result<ActiveConfig> LoadActive(Tx& tx, PaymentService::RoutingCache& cache,
                                const std::string& merchant_id, Mode mode) {
  // Every payment asks the store which version is active (so a PUT or an activate on any node
  // is seen by the next payment); only the version number is read. The configuration text
  // (~30 KB with 100 rules) is read and parsed once per version (bench/RESULTS.md).
  auto version = routing_repo::ActiveVersion(tx, merchant_id, ToString(mode));
  if (!version) return version.error();
  if (!*version) return ActiveConfig{};
  const std::string key = merchant_id + "/" + std::string(ToString(mode));
  {
    std::lock_guard lock(cache.mu);
    auto it = cache.by_key.find(key);
    if (it != cache.by_key.end() && it->second.first == **version) {
      return ActiveConfig{it->second.first, it->second.second};
    }
  }
  auto row = routing_repo::Get(tx, merchant_id, ToString(mode), **version);
  if (!row) return row.error();
  if (!*row) return Error::Internal("active routing version vanished: " + key);
  auto parsed = routing::ParseConfig((*row)->config);
  if (!parsed) return Error::Internal("stored routing configuration invalid: " + key);
  auto shared = std::make_shared<const routing::Config>(std::move(*parsed));
  std::lock_guard lock(cache.mu);
  cache.by_key[key] = {(*row)->version, shared};
  return ActiveConfig{(*row)->version, shared};
}

uint64_t SplitDraw() {
  thread_local uint64_t state = SystemRandom().NextU64();
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

routing::PaymentFacts FactsOf(const Payment& p,
                              std::vector<std::pair<std::string, std::string>>& metadata) {
  metadata.clear();
  boost::system::error_code ec;
  auto v = json::parse(p.metadata, ec);
  if (!ec && v.is_object()) {
    for (const auto& kv : v.as_object()) {
      if (kv.value().is_string()) {
        metadata.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
      }
    }
  }
  routing::PaymentFacts f;
  f.amount = p.amount.minor_units;
  f.currency = p.amount.currency.Code();
  if (p.customer_country) f.customer_country = *p.customer_country;
  f.card_brand = routing::CardBrandOf(p.payment_method.value_or(""));
  f.manual_capture = p.capture_method == CaptureMethod::kManual;
  f.metadata = metadata;
  return f;
}

}  // namespace routing_flow

namespace {

// Versions stored before max_attempts existed lack it: shown re-rendered, with the default.
PaymentService::RoutingVersion ToVersion(const routing_repo::Version& v) {
  auto parsed = routing::ParseConfig(v.config);
  return {v.version, parsed ? routing::RenderConfig(*parsed) : v.config, v.active, v.created_us,
          v.created_by};
}

// Where a configuration names `id` first, as a parameter path.
std::string PathOf(const routing::Config& c, const std::string& id) {
  for (size_t i = 0; i < c.rules.size(); ++i) {
    const auto& a = c.rules[i].action;
    const std::string base = "rules[" + std::to_string(i) + "].action.";
    for (size_t j = 0; j < a.accounts.size(); ++j) {
      if (a.accounts[j] == id) {
        return base + (a.kind == routing::Action::Kind::kPriority
                           ? "priority[" + std::to_string(j) + "]"
                           : std::string("connector_account"));
      }
    }
    for (size_t j = 0; j < a.split.size(); ++j) {
      if (a.split[j].connector_account == id) {
        return base + "split[" + std::to_string(j) + "].connector_account";
      }
    }
  }
  for (size_t k = 0; k < c.fallback.size(); ++k) {
    if (c.fallback[k] == id) return "fallback[" + std::to_string(k) + "]";
  }
  return "rules";
}

audit::Record AuditOf(const Actor& a, const Principal& p, std::string action, int64_t version) {
  json::object d{{"version", version}, {"mode", std::string(ToString(p.mode))}};
  return audit::Record{a.type,
                       a.id,
                       std::move(action),
                       "routing:v" + std::to_string(version),
                       p.merchant_id,
                       "success",
                       a.source_ip,
                       a.request_id,
                       json::serialize(d)};
}

}  // namespace

Task<Result<std::optional<PaymentService::RoutingVersion>>> PaymentService::GetRouting(
    const Principal& p) {
  std::optional<RoutingVersion> out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto a = routing_repo::Active(tx, p.merchant_id, ToString(p.mode));
    if (!a) return a.error();
    if (*a) out = ToVersion(**a);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<PaymentService::RoutingVersion>> PaymentService::PutRouting(const Principal& p,
                                                                        std::string body,
                                                                        Actor actor) {
  auto config = routing::ParseConfig(body);
  if (!config) co_return config.error();
  const std::string canonical = routing::RenderConfig(*config);
  const int64_t now = clock_.NowMicros();
  RoutingVersion out;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    // Every account it names must be one of the merchant's accounts in this mode.
    auto accounts = merchants::ActiveAccounts(tx, p.merchant_id, p.mode);
    if (!accounts) return accounts.error();
    for (const auto& id : routing::ReferencedAccounts(*config)) {
      bool found = false;
      for (const auto& a : *accounts) found = found || a.id == id;
      if (!found) {
        return Error::Invalid("resource_missing",
                              "No active connector account '" + id + "' in this mode.",
                              PathOf(*config, id));
      }
    }
    auto v = routing_repo::Add(tx, p.merchant_id, ToString(p.mode), canonical,
                               actor.type + ":" + actor.id, now);
    if (!v) return v.error();
    out = ToVersion(*v);
    return audit::Append(tx, AuditOf(actor, p, "routing.update", v->version), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<std::vector<PaymentService::RoutingVersion>>> PaymentService::RoutingVersions(
    const Principal& p) {
  std::vector<RoutingVersion> out;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto l = routing_repo::List(tx, p.merchant_id, ToString(p.mode));
    if (!l) return l.error();
    for (const auto& v : *l) out.push_back(ToVersion(v));
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<PaymentService::RoutingVersion>> PaymentService::ActivateRouting(const Principal& p,
                                                                             int64_t version,
                                                                             Actor actor) {
  const int64_t now = clock_.NowMicros();
  RoutingVersion out;
  auto w = co_await store::Write(store_, [&](Tx& tx) -> Result<void> {
    auto ok = routing_repo::Activate(tx, p.merchant_id, ToString(p.mode), version);
    if (!ok) return ok.error();
    if (!*ok) {
      return Error::NotFound("No such routing version: " + std::to_string(version), "version");
    }
    auto a = routing_repo::Active(tx, p.merchant_id, ToString(p.mode));
    if (!a) return a.error();
    if (!*a) return Error::Internal("no active routing version after activate");
    out = ToVersion(**a);
    return audit::Append(tx, AuditOf(actor, p, "routing.activate", version), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<std::string>> PaymentService::SimulateRouting(const Principal& p, SimulateInput input) {
  routing::Decision d;
  int64_t version = 0;
  int max_attempts = routing::kDefaultMaxAttempts;
  auto r = co_await store::Read(store_, [&](Tx& tx) -> Result<void> {
    auto active = routing_flow::LoadActive(tx, *routing_cache_, p.merchant_id, p.mode);
    if (!active) return active.error();
    version = active->version;
    if (active->config) max_attempts = active->config->max_attempts;
    auto accounts = merchants::ActiveAccounts(tx, p.merchant_id, p.mode);
    if (!accounts) return accounts.error();
    std::vector<routing::AccountView> views;
    for (const auto& a : *accounts) {
      auto* c = connectors_.Find(a.connector);
      views.push_back({a.id, true, c && c->Accepts(input.payment_method), false});
    }
    routing::PaymentFacts f;
    f.amount = input.amount;
    f.currency = input.currency;
    f.customer_country = input.customer_country;
    f.card_brand = routing::CardBrandOf(input.payment_method);
    f.manual_capture = input.capture_method == "manual";
    f.metadata = input.metadata;
    static const routing::Config kNone;
    d = routing::Decide(active->config ? *active->config : kNone, f, views,
                        routing_flow::SplitDraw());
    return {};
  });
  if (!r) co_return r.error();
  auto list = [](const std::vector<routing::Candidate>& cs) {
    json::array a;
    for (const auto& c : cs) {
      a.push_back(json::object{{"connector_account", c.connector_account}, {"reason", c.reason}});
    }
    return a;
  };
  // Accounts cut by max_attempts are listed in `skipped` too, after the others.
  json::array skipped = list(d.skipped);
  for (const auto& c : d.beyond_max_attempts) {
    skipped.push_back(json::object{{"connector_account", c.connector_account},
                                   {"reason", "beyond_max_attempts"}});
  }
  json::object o{{"object", "routing_simulation"},
                 {"version", version == 0 ? json::value(nullptr) : json::value(version)},
                 {"rule", d.rule.empty() ? json::value(nullptr) : json::value(d.rule)},
                 {"max_attempts", max_attempts},
                 {"candidates", list(d.candidates)},
                 {"skipped", std::move(skipped)}};
  co_return json::serialize(o);
}

}  // namespace lp::payments
