#include "lp/metrics/registry.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <mutex>

#include "lp/common/clock.hpp"

namespace lp::metrics {

namespace {
// Fine below 1 ms: the app-time target is a fraction of a millisecond.
constexpr std::array<double, 20> kBuckets = {
    0.00005, 0.0001, 0.00015, 0.0002, 0.00025, 0.0003, 0.0004, 0.0005, 0.00075, 0.001,
    0.0025,  0.005,  0.01,    0.025,  0.05,    0.1,    0.25,   0.5,    1.0,     2.5};
void AppendEscaped(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}
std::string LabelText(const Labels& labels, std::string_view extra_k = {},
                      std::string_view extra_v = {}) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out.push_back(',');
    out.append(k);
    out += "=\"";
    AppendEscaped(out, v);
    out.push_back('"');
  }
  if (!extra_k.empty()) {
    if (!out.empty()) out.push_back(',');
    out.append(extra_k);
    out += "=\"";
    out.append(extra_v);
    out.push_back('"');
  }
  return out;
}
}  // namespace

struct Registry::Series {
  int kind = 0;  // 0 counter, 1 gauge, 2 histogram
  std::string name;
  std::string labels;
  std::atomic<uint64_t> count{0};
  std::atomic<double> gauge{0};
  std::array<std::atomic<uint64_t>, kBuckets.size()> buckets{};
  std::atomic<uint64_t> sum_ns{0};
};

Registry::Registry() : start_us_(MonotonicMicros()) {}
Registry::~Registry() = default;

std::string Registry::Key(std::string_view name, const Labels& labels) {
  std::string k(name);
  k.push_back('{');
  k += LabelText(labels);
  k.push_back('}');
  return k;
}

void Registry::Describe(std::string name, std::string type, std::string help) {
  std::unique_lock lk(mu_);
  meta_[std::move(name)] = {std::move(type), std::move(help)};
}

Registry::Series& Registry::Get(std::string_view name, const Labels& labels, int kind) {
  std::string key = Key(name, labels);
  {
    std::shared_lock lk(mu_);
    auto it = series_.find(key);
    if (it != series_.end()) return *it->second;
  }
  std::unique_lock lk(mu_);
  auto& slot = series_[key];
  if (!slot) {
    slot = std::make_unique<Series>();
    slot->kind = kind;
    slot->name = std::string(name);
    slot->labels = LabelText(labels);
  }
  return *slot;
}

void Registry::Inc(std::string_view name, const Labels& labels, uint64_t v) {
  Get(name, labels, 0).count.fetch_add(v, std::memory_order_relaxed);
}

void Registry::Set(std::string_view name, const Labels& labels, double v) {
  Get(name, labels, 1).gauge.store(v, std::memory_order_relaxed);
}

void Registry::Observe(std::string_view name, const Labels& labels, double seconds) {
  auto& s = Get(name, labels, 2);
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      s.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

std::string Registry::Render() const {
  std::string out;
  out.reserve(8192);
  std::shared_lock lk(mu_);
  std::string last_name;
  for (const auto& [key, s] : series_) {
    if (s->name != last_name) {
      last_name = s->name;
      auto m = meta_.find(s->name);
      const char* type = s->kind == 0 ? "counter" : s->kind == 1 ? "gauge" : "histogram";
      if (m != meta_.end()) out += fmt::format("# HELP {} {}\n", s->name, m->second.second);
      out += fmt::format("# TYPE {} {}\n", s->name, type);
    }
    auto lbl = [&](std::string_view extra_k = {}, std::string_view extra_v = {}) {
      std::string l = s->labels;
      if (!extra_k.empty()) {
        if (!l.empty()) l.push_back(',');
        l += fmt::format("{}=\"{}\"", extra_k, extra_v);
      }
      return l.empty() ? std::string() : "{" + l + "}";
    };
    if (s->kind == 0) {
      out += fmt::format("{}{} {}\n", s->name, lbl(), s->count.load());
    } else if (s->kind == 1) {
      out += fmt::format("{}{} {}\n", s->name, lbl(), s->gauge.load());
    } else {
      uint64_t cum = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cum += s->buckets[i].load();
        out += fmt::format("{}_bucket{} {}\n", s->name, lbl("le", fmt::format("{}", kBuckets[i])),
                           cum);
      }
      out += fmt::format("{}_bucket{} {}\n", s->name, lbl("le", "+Inf"), s->count.load());
      out += fmt::format("{}_sum{} {}\n", s->name, lbl(), s->sum_ns.load() / 1e9);
      out += fmt::format("{}_count{} {}\n", s->name, lbl(), s->count.load());
    }
  }
  out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n";
  out += "# TYPE process_resident_memory_bytes gauge\n";
  out += fmt::format("process_resident_memory_bytes {}\n", ResidentMemoryBytes());
  out += "# HELP process_uptime_seconds Seconds since the process started.\n";
  out += "# TYPE process_uptime_seconds gauge\n";
  out += fmt::format("process_uptime_seconds {:.3f}\n", (MonotonicMicros() - start_us_) / 1e6);
  return out;
}

uint64_t ResidentMemoryBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace lp::metrics
