#include "lp/common/log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <memory>

#include "lp/common/pan.hpp"
#include "lp/common/redact.hpp"

namespace lp::log {
namespace {

std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger;
  return logger;
}
std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

// Replaces bytes that are not well-formed UTF-8 with U+FFFD so every line stays valid JSON.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len == 2) ok = c >= 0xC2;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// True when `s` needs no work: printable ASCII without quote or backslash (nothing to escape or
// repair), fewer than 13 digits (no card number fits) and no secret (ContainsSecret: nothing for
// Redact to mask). Most log values (ids, routes, addresses, codes) are such; a false answer only
// sends the value the long way.
bool Plain(std::string_view s) {
  int digits = 0;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
    digits += (c >= '0' && c <= '9');
  }
  if (digits >= 13) return false;
  return !ContainsSecret(s);
}

// Values are redacted before they are serialized, so masking never breaks the JSON.
void AppendJsonString(std::string& out, std::string_view s) {
  if (Plain(s)) {
    out += '"';
    out += s;
    out += '"';
    return;
  }
  std::string clean = ValidUtf8(Redact(s));
  out += boost::json::serialize(boost::json::string_view(clean.data(), clean.size()));
}

// "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". The part up to the second is formatted once per second and
// thread; only the microseconds are written per line.
void AppendNowIso(std::string& out) {
  thread_local std::time_t cached_second = -1;
  thread_local char prefix[32];
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - secs).count();
  std::time_t t = std::chrono::system_clock::to_time_t(secs);
  if (t != cached_second) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    fmt::format_to_n(prefix, sizeof prefix - 1, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
    prefix[20] = '\0';
    cached_second = t;
  }
  out.append(prefix, 20);
  char digits[6];
  for (int i = 5; i >= 0; --i, micros /= 10) digits[i] = static_cast<char>('0' + micros % 10);
  out.append(digits, 6);
  out += 'Z';
}

}  // namespace

void Init(Level min_level, const std::string& file) {
  g_min_level = static_cast<int>(min_level);
  if (Logger()) return;
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file);
  }
  // Synchronous: a line goes into the sink's stdio buffer under the sink's mutex and reaches the
  // file when the buffer fills, at once for warnings and errors, and at the latest after a
  // second. (An async logger woke its worker thread for every line: a futex wake and a context
  // switch per request on two cores.)
  auto logger = std::make_shared<spdlog::logger>("lp", sink);
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);  // so flush_every reaches it
  Logger() = logger;
  spdlog::flush_every(std::chrono::seconds(1));
}

void Flush() {
  if (Logger()) Logger()->flush();
}

std::string FormatLine(Level level, std::string_view msg, std::initializer_list<Field> fields,
                       std::string_view time) {
  std::string line;
  line.reserve(256);
  line += "{\"time\":\"";
  if (time.empty()) {
    AppendNowIso(line);
  } else {
    line += time;
  }
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"msg\":";
  AppendJsonString(line, msg);
  for (const auto& f : fields) {
    line += ',';
    AppendJsonString(line, f.key);
    line += ':';
    std::visit(
        [&](auto&& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            AppendJsonString(line, v);
          } else if constexpr (std::is_same_v<T, bool>) {
            line += v ? "true" : "false";
          } else if constexpr (std::is_same_v<T, double>) {
            line += std::isfinite(v) ? fmt::format("{}", v) : std::string("null");
          } else {
            char buf[24];
            const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
            const std::string_view digits(buf, static_cast<size_t>(end - buf));
            if (digits.size() >= 13 && ContainsPan(digits)) {
              AppendJsonString(line, digits);  // masked, as a string
            } else {
              line += digits;
            }
          }
        },
        f.value);
  }
  line += '}';
  return line;
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  std::string line = FormatLine(level, msg, fields, {});
  if (auto& l = Logger()) {
    l->info(line);
  } else {
    fmt::print(stderr, "{}\n", line);
  }
}

}  // namespace lp::log
