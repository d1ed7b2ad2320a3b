// Metrics registry and Prometheus text exposition. Counters and histograms are keyed by name and
// a pre-rendered label set; lookups take a shared lock, updates are atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lp::metrics {

// Label pairs in a fixed order, e.g. {{"listener","api"},{"status","200"}}.
using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class Registry {
 public:
  Registry();
  ~Registry();

  void Describe(std::string name, std::string type, std::string help);
  void Inc(std::string_view name, const Labels& labels, uint64_t v = 1);
  void Set(std::string_view name, const Labels& labels, double v);  // gauge
  // Observes a value in seconds into the histogram `name` (fixed latency buckets).
  void Observe(std::string_view name, const Labels& labels, double seconds);

  // Prometheus text format 0.0.4. Adds process_resident_memory_bytes and process_uptime_seconds.
  std::string Render() const;

  static std::string Key(std::string_view name, const Labels& labels);

 private:
  struct Series;
  Series& Get(std::string_view name, const Labels& labels, int kind);
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Series>, std::less<>> series_;
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> meta_;  // type, help
  int64_t start_us_;
};

// Current resident set size in bytes (from /proc/self/statm).
uint64_t ResidentMemoryBytes();

}  // namespace lp::metrics
