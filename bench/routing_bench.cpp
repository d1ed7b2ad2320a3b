// The routing decision (issue 19: median <= 5 us with 100 rules). 100 rules, each with an amount
// range, two currencies and a metadata condition; the payment matches only the last one, so every
// rule is evaluated. Accounts: 10. `build/bench/lp_routing_bench`.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "lp/routing/routing.hpp"

namespace {

lp::routing::Config HundredRules() {
  std::string json = R"({"rules":[)";
  for (int i = 0; i < 100; ++i) {
    if (i) json += ",";
    const bool last = i == 99;
    json += R"({"name":"rule)" + std::to_string(i) + R"(","conditions":{"amount":{"gte":)" +
            std::to_string(last ? 0 : 1000000 + i) + R"(},"currency":["USD","EUR"],)" +
            R"("metadata":{"segment":"s)" + std::to_string(last ? 0 : i) +
            R"("}},"action":{"split":[)" + R"({"connector_account":"ca_)" + std::to_string(i % 10) +
            R"(","weight":70},)" + R"({"connector_account":"ca_)" + std::to_string((i + 1) % 10) +
            R"(","weight":30}]}})";
  }
  json += R"(],"fallback":["ca_0","ca_1","ca_2"]})";
  return *lp::routing::ParseConfig(json);
}

void BM_Decide100Rules(benchmark::State& state) {
  const auto config = HundredRules();
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back("ca_" + std::to_string(i));
  std::vector<lp::routing::AccountView> accounts;
  for (const auto& id : ids) accounts.push_back({id});
  const std::vector<std::pair<std::string, std::string>> metadata = {{"order", "o-1"},
                                                                     {"segment", "s0"}};
  lp::routing::PaymentFacts p{1500, "USD", "DE", "visa", false, metadata};
  uint64_t draw = 0;
  for (auto _ : state) {
    auto d = lp::routing::Decide(config, p, accounts, draw++);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_Decide100Rules)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_DecideNoRules(benchmark::State& state) {
  std::vector<std::string> ids = {"ca_0", "ca_1", "ca_2"};
  std::vector<lp::routing::AccountView> accounts;
  for (const auto& id : ids) accounts.push_back({id});
  lp::routing::PaymentFacts p{1500, "USD", "", "visa", false, {}};
  const lp::routing::Config none;
  for (auto _ : state) {
    auto d = lp::routing::Decide(none, p, accounts, 0);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecideNoRules)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
