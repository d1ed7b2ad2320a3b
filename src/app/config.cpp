#include "app/config.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <functional>

#include "app/security_txt.hpp"

namespace lp::app {

std::string Config::DatabaseUrl() const {
  return database.empty() ? data_dir + "/liasonpay.db" : database;
}
std::string Config::CertFile() const {
  return tls_cert.empty() ? data_dir + "/tls/cert.pem" : tls_cert;
}
std::string Config::KeyFile() const {
  return tls_key.empty() ? data_dir + "/tls/key.pem" : tls_key;
}
std::string Config::KeyringFile() const {
  return keyring.empty() ? data_dir + "/keyring" : keyring;
}

std::string Config::WebDir() const {
  if (!web_dir.empty()) return web_dir;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "web";
  return (exe.parent_path() / "web").string();
}

namespace {

struct Setter {
  std::string key;
  std::function<Result<void>(const std::string&)> set;
};

Result<void> ParseBool(const std::string& key, const std::string& v, bool& out) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") {
    out = true;
  } else if (v == "0" || v == "false" || v == "no" || v == "off") {
    out = false;
  } else {
    return Error::Invalid("config_invalid", key + " must be true or false", key);
  }
  return {};
}
Result<void> ParseInt(const std::string& key, const std::string& v, int64_t& out, int64_t lo,
                      int64_t hi) {
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size() || n < lo || n > hi) throw std::out_of_range(key);
    out = n;
  } catch (...) {
    return Error::Invalid(
        "config_invalid",
        key + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi), key);
  }
  return {};
}
Result<void> ParseDouble(const std::string& key, const std::string& v, double& out) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used != v.size() || d < 0) throw std::out_of_range(key);
    out = d;
  } catch (...) {
    return Error::Invalid("config_invalid", key + " must be a non-negative number", key);
  }
  return {};
}

std::vector<std::string> SplitList(const std::string& v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= v.size()) {
    size_t j = v.find(',', i);
    if (j == std::string::npos) {
      j = v.size();
    }
    if (j > i) {
      out.push_back(v.substr(i, j - i));
    }
    i = j + 1;
  }
  return out;
}

// A list of security.txt URIs (comma-separated in env and flags, an array or string in TOML).
Result<void> ParseUris(const std::string& key, const std::string& v, bool allow_mailto_tel,
                       std::vector<std::string>& out) {
  out = SplitList(v);
  for (const auto& uri : out) {
    if (!IsSecurityTxtUri(uri, allow_mailto_tel)) {
      return Error::Invalid("config_invalid",
                            key + (allow_mailto_tel ? " must be mailto:, https: or tel: URIs"
                                                    : " must be https: URLs"),
                            key);
    }
  }
  return {};
}

std::vector<Setter> Setters(Config& c) {
  auto str = [](std::string& field) {
    return [&field](const std::string& v) -> Result<void> {
      field = v;
      return {};
    };
  };
  auto int_in = [](std::string_view key, int64_t& field, int64_t lo, int64_t hi) {
    return [key = std::string(key), &field, lo, hi](const std::string& v) {
      return ParseInt(key, v, field, lo, hi);
    };
  };
  return {
      {"data_dir", str(c.data_dir)},
      {"database", str(c.database)},
      {"api_addr", str(c.api_addr)},
      {"dashboard_addr", str(c.dashboard_addr)},
      {"ops_addr", str(c.ops_addr)},
      {"tls_cert", str(c.tls_cert)},
      {"tls_key", str(c.tls_key)},
      {"keyring", str(c.keyring)},
      {"log_level", str(c.log_level)},
      {"log_file", str(c.log_file)},
      {"web_dir", str(c.web_dir)},
      {"psp_ca_file", str(c.psp_ca_file)},
      {"psp_proxy_url", str(c.psp_proxy_url)},
      {"dev", [&c](const std::string& v) { return ParseBool("dev", v, c.dev); }},
      {"sandbox_latency_ms",
       [&c](const std::string& v) {
         return ParseInt("sandbox_latency_ms", v, c.sandbox_latency_ms, 0, 60000);
       }},
      {"psp_timeout_ms",
       [&c](const std::string& v) {
         return ParseInt("psp_timeout_ms", v, c.psp_timeout_ms, 1, 120000);
       }},
      {"recovery_interval_ms",
       [&c](const std::string& v) {
         return ParseInt("recovery_interval_ms", v, c.recovery_interval_ms, 100, 3600000);
       }},
      {"audit_checkpoint_interval_s",
       [&c](const std::string& v) {
         return ParseInt("audit_checkpoint_interval_s", v, c.audit_checkpoint_interval_s, 1, 86400);
       }},
      {"audit_verify_interval_s",
       [&c](const std::string& v) {
         return ParseInt("audit_verify_interval_s", v, c.audit_verify_interval_s, 1, 86400);
       }},
      {"webhook_retry_scale",
       [&c](const std::string& v) {
         return ParseDouble("webhook_retry_scale", v, c.webhook_retry_scale);
       }},
      {"psp_webhook_rate_limit",
       [&c](const std::string& v) {
         return ParseDouble("psp_webhook_rate_limit", v, c.psp_webhook_rate_limit);
       }},
      {"rate_limit_per_key",
       [&c](const std::string& v) {
         return ParseDouble("rate_limit_per_key", v, c.rate_limit_per_key);
       }},
      {"max_connections",
       [&c](const std::string& v) {
         return ParseInt("max_connections", v, c.max_connections, 1, 1'000'000);
       }},
      {"threads", [&c](const std::string& v) { return ParseInt("threads", v, c.threads, 0, 256); }},
      {"detect_window_s", int_in("detect_window_s", c.detect_window_s, 1, 86400)},
      {"detect_cooldown_s", int_in("detect_cooldown_s", c.detect_cooldown_s, 0, 86400)},
      {"detect_signin_failures_per_account",
       int_in("detect_signin_failures_per_account", c.detect_signin_failures_per_account, 0,
              10000)},
      {"detect_signin_failures_per_ip",
       int_in("detect_signin_failures_per_ip", c.detect_signin_failures_per_ip, 0, 100000)},
      {"detect_card_declines_per_ip",
       int_in("detect_card_declines_per_ip", c.detect_card_declines_per_ip, 0, 100000)},
      {"detect_card_declines_per_key",
       int_in("detect_card_declines_per_key", c.detect_card_declines_per_key, 0, 1000000)},
      {"detect_distinct_cards_per_ip",
       int_in("detect_distinct_cards_per_ip", c.detect_distinct_cards_per_ip, 0, 10000)},
      {"contain_block_s", int_in("contain_block_s", c.contain_block_s, 1, 30 * 86400)},
      {"security_contact",
       [&c](const std::string& v) {
         return ParseUris("security_contact", v, true, c.security_contact);
       }},
      {"security_txt_expires",
       [&c](const std::string& v) -> Result<void> {
         if (!v.empty() && !ParseRfc3339(v)) {
           return Error::Invalid("config_invalid",
                                 "security_txt_expires must be an RFC 3339 date-time, e.g. "
                                 "2027-06-30T00:00:00Z",
                                 "security_txt_expires");
         }
         c.security_txt_expires = v;
         return {};
       }},
      {"security_policy",
       [&c](const std::string& v) -> Result<void> {
         if (!v.empty() && !IsSecurityTxtUri(v, false)) {
           return Error::Invalid("config_invalid", "security_policy must be an https: URL",
                                 "security_policy");
         }
         c.security_policy = v;
         return {};
       }},
      {"security_txt_canonical",
       [&c](const std::string& v) {
         return ParseUris("security_txt_canonical", v, false, c.security_txt_canonical);
       }},
      {"trusted_proxies",
       [&c](const std::string& v) -> Result<void> {
         c.trusted_proxies.clear();
         size_t i = 0;
         while (i <= v.size()) {
           size_t j = v.find(',', i);
           if (j == std::string::npos) j = v.size();
           if (j > i) c.trusted_proxies.push_back(v.substr(i, j - i));
           i = j + 1;
         }
         return {};
       }},
  };
}

std::string TomlToString(const toml::node& n) {
  if (auto s = n.value<std::string>()) return *s;
  if (auto b = n.value_exact<bool>()) return *b ? "true" : "false";
  if (auto i = n.value_exact<int64_t>()) return std::to_string(*i);
  if (auto d = n.value_exact<double>()) return std::to_string(*d);
  if (auto a = n.as_array()) {
    std::string out;
    for (const auto& e : *a) {
      if (!out.empty()) out += ',';
      out += TomlToString(e);
    }
    return out;
  }
  return {};
}

}  // namespace

Result<Config> LoadConfig(const std::string& config_file, const FlagValues& flags) {
  Config c;
  auto setters = Setters(c);
  if (!config_file.empty()) {
    toml::table tbl;
    try {
      tbl = toml::parse_file(config_file);
    } catch (const toml::parse_error& e) {
      return Error::Invalid("config_invalid",
                            "cannot parse " + config_file + ": " + std::string(e.description()));
    }
    for (const auto& [k, v] : tbl) {
      std::string key(k.str());
      auto it = std::find_if(setters.begin(), setters.end(),
                             [&](const Setter& s) { return s.key == key; });
      if (it == setters.end()) {
        return Error::Invalid("config_invalid", "unknown key '" + key + "' in " + config_file, key);
      }
      if (auto r = it->set(TomlToString(v)); !r) return r.error();
    }
  }
  for (auto& s : setters) {
    std::string env = "LIASONPAY_";
    for (char ch : s.key) env.push_back(static_cast<char>(std::toupper(ch)));
    if (const char* v = std::getenv(env.c_str())) {
      if (auto r = s.set(v); !r) return r.error();
    }
  }
  for (const auto& [k, v] : flags) {
    auto it =
        std::find_if(setters.begin(), setters.end(), [&](const Setter& s) { return s.key == k; });
    if (it == setters.end()) continue;
    if (auto r = it->set(v); !r) return r.error();
  }
  return c;
}

}  // namespace lp::app
