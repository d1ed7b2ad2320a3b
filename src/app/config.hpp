// Configuration: defaults < TOML file (--config) < LIASONPAY_* environment < command-line flags.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lp/common/result.hpp"

namespace lp::app {

struct Config {
  std::string data_dir = "./var";
  std::string database;  // default: <data_dir>/liasonpay.db
  std::string api_addr = "0.0.0.0:8443";
  std::string dashboard_addr = "0.0.0.0:8444";
  std::string ops_addr = "127.0.0.1:9443";
  std::string tls_cert;  // default: <data_dir>/tls/cert.pem
  std::string tls_key;   // default: <data_dir>/tls/key.pem
  std::string keyring;   // default: <data_dir>/keyring
  std::string log_level = "info";
  std::string log_file;
  std::string web_dir;  // default: <directory of the binary>/web
  bool dev = false;
  int64_t sandbox_latency_ms = 0;
  int64_t psp_timeout_ms = 10000;
  std::string psp_ca_file;    // PSP calls trust these CAs instead of the system store (tests)
  std::string psp_proxy_url;  // forward proxy for PSP calls
  int64_t recovery_interval_ms = 5000;
  int64_t audit_checkpoint_interval_s = 3600;  // signed checkpoint at least this often (and
                                               // every 1,000 records), docs/audit.md
  int64_t audit_verify_interval_s = 600;  // the audit chain is verified at start-up and this often
  double rate_limit_per_key = 100;
  double webhook_retry_scale = 1.0;    // tests shrink the retry schedule
  double psp_webhook_rate_limit = 50;  // inbound PSP webhooks/s per client IP (burst 2x); 0 = off
  int64_t max_connections = 10000;
  int64_t threads = 0;  // 0 = number of cores
  std::vector<std::string> trusted_proxies;
  // Security-event detectors (docs/security-monitoring.md): the sliding window, one alert per
  // kind and subject per cooldown, thresholds (0 = that detector off), and how long automatic
  // containment blocks an address.
  int64_t detect_window_s = 300;
  int64_t detect_cooldown_s = 900;
  int64_t detect_signin_failures_per_account = 5;
  int64_t detect_signin_failures_per_ip = 20;
  int64_t detect_card_declines_per_ip = 10;
  int64_t detect_card_declines_per_key = 25;
  int64_t detect_distinct_cards_per_ip = 10;
  int64_t contain_block_s = 3600;
  // /.well-known/security.txt (RFC 9116, see security_txt.hpp): Contact lines (mailto:, https:
  // or tel:; default mailto:security@example.com, a placeholder), Expires (RFC 3339; default
  // start-up + 364 days), an optional Policy URL and Canonical URLs (https:).
  std::vector<std::string> security_contact;
  std::string security_txt_expires;
  std::string security_policy;
  std::vector<std::string> security_txt_canonical;

  std::string DatabaseUrl() const;
  std::string CertFile() const;
  std::string KeyFile() const;
  std::string KeyringFile() const;
  std::string WebDir() const;
};

// Raw values by key ("api_addr", "dev", …) given on the command line.
using FlagValues = std::map<std::string, std::string>;

// Resolves the configuration. `config_file` may be empty. Errors name the offending key.
Result<Config> LoadConfig(const std::string& config_file, const FlagValues& flags);

}  // namespace lp::app
