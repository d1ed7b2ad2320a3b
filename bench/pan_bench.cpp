// Micro-benchmark of the card-number check (PRODUCT.md §6) on the strings of a typical payment
// request: it runs on every JSON string, key, query parameter and checked header value, so the
// common case (short ASCII, few digits) must stay cheap. `build/bench/lp_pan_bench`.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "lp/common/pan.hpp"
#include "lp/common/redact.hpp"

namespace {

// Keys and values of a typical POST /v1/payments body and its checked headers.
const std::vector<std::string>& PaymentStrings() {
  static const std::vector<std::string> kStrings = {
      "amount",
      "currency",
      "usd",
      "payment_method",
      "tok_visa",
      "capture_method",
      "automatic",
      "description",
      "Order #1042 for Jane Doe: 2 items, blue.",  // 40 characters
      "metadata",
      "order_id",
      "ord_2024_000001042",
      "customer",
      "cus_8f3k2LmQ9x",
      "order-1042-7f3a9c2e-41d4",  // Idempotency-Key
  };
  return kStrings;
}

void BM_ContainsPan_Token(benchmark::State& state) {
  const std::string s = "tok_visa";
  for (auto _ : state) {
    benchmark::DoNotOptimize(lp::ContainsPan(s));
  }
}
BENCHMARK(BM_ContainsPan_Token);

void BM_ContainsPan_Description40(benchmark::State& state) {
  const std::string s = "Order #1042 for Jane Doe: 2 items, blue.";
  for (auto _ : state) {
    benchmark::DoNotOptimize(lp::ContainsPan(s));
  }
}
BENCHMARK(BM_ContainsPan_Description40);

// Every string of one payment request, checked once each.
void BM_ContainsPan_PaymentRequest(benchmark::State& state) {
  const auto& strings = PaymentStrings();
  for (auto _ : state) {
    for (const auto& s : strings) {
      benchmark::DoNotOptimize(lp::ContainsPan(s));
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ContainsPan_PaymentRequest);

// Non-ASCII text (the slow path: normalisation and Unicode properties).
void BM_ContainsPan_NonAsciiDescription(benchmark::State& state) {
  const std::string s = "Caf\xc3\xa9 cr\xc3\xa8me \xe2\x80\x94 2 tasses, livraison 12\xe2\x82\xac";
  for (auto _ : state) {
    benchmark::DoNotOptimize(lp::ContainsPan(s));
  }
}
BENCHMARK(BM_ContainsPan_NonAsciiDescription);

// An ASCII string with 13+ digits but no card number (the full scan).
void BM_ContainsPan_TimestampAndIds(benchmark::State& state) {
  const std::string s = "2024-01-31T12:34:56.789Z order 1042 ref 20240131";
  for (auto _ : state) {
    benchmark::DoNotOptimize(lp::ContainsPan(s));
  }
}
BENCHMARK(BM_ContainsPan_TimestampAndIds);

void BM_ContainsPan_FormattedCard(benchmark::State& state) {
  const std::string s = "card 4242 4242 4242 4242 exp 12/34";
  for (auto _ : state) {
    benchmark::DoNotOptimize(lp::ContainsPan(s));
  }
}
BENCHMARK(BM_ContainsPan_FormattedCard);

// Throughput on 1 MiB of digits and separators, ASCII and fullwidth.
void BM_ContainsPan_OneMiB(benchmark::State& state) {
  std::string s;
  const std::string unit = state.range(0) == 0 ? "4242 " : "\xef\xbc\x94\xef\xbc\x92 ";
  while (s.size() < (1u << 20)) {
    s += unit;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(lp::ContainsPan(s));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
}
BENCHMARK(BM_ContainsPan_OneMiB)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Redact_LogLine(benchmark::State& state) {
  const std::string s =
      R"({"time":"2024-01-31T12:34:56.789012Z","level":"info","msg":"access","listener":"api",)"
      R"("method":"POST","route":"/v1/payments","status":200,"duration_us":412,)"
      R"("request_id":"req_9f8e7d6c5b4a3f2e1d0c","client_ip":"127.0.0.1"})";
  for (auto _ : state) {
    benchmark::DoNotOptimize(lp::Redact(s));
  }
}
BENCHMARK(BM_Redact_LogLine);

// What the log's shortcut asks of every plain field value (ids, routes, addresses, codes).
void BM_ContainsSecret_AccessValues(benchmark::State& state) {
  const std::string_view values[] = {"access",
                                     "api",
                                     "POST",
                                     "/v1/payments/{id}/capture",
                                     "req_9f8e7d6c5b4a3f2e1d0c",
                                     "127.0.0.1",
                                     "pay_01HV2XQ8Z5K8F4W6T3N9B7C2D1",
                                     "payment_succeeded"};
  size_t bytes = 0;
  for (auto v : values) {
    bytes += v.size();
  }
  for (auto _ : state) {
    for (auto v : values) {
      benchmark::DoNotOptimize(lp::ContainsSecret(v));
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_ContainsSecret_AccessValues);

}  // namespace

BENCHMARK_MAIN();
