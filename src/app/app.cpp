// Command line: `liasonpay <command> [flags]` (CLI11). Flags become config keys; see config.hpp
// for the precedence (defaults < TOML < LIASONPAY_* env < flags).
#include "lp/app/app.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/accounts_cli.hpp"
#include "app/audit_cli.hpp"
#include "app/config.hpp"
#include "app/incident_cli.hpp"
#include "app/keys_cli.hpp"
#include "app/serve.hpp"
#include "app/setup_cli.hpp"
#include "app/version.hpp"
#include "app/webhooks_cli.hpp"

#ifndef LP_VERSION
#define LP_VERSION "0.1.0"
#endif

namespace lp::app {

namespace {

// `liasonpay version` and `--version`: the library table on stdout, a warning on stderr for each
// library whose running major.minor differs from the one it was built with.
int PrintVersion() {
  const auto report = FormatVersionReport(LP_VERSION, CollectLibraryVersions());
  fmt::print("{}", report.text);
  for (const auto& w : report.warnings) {
    fmt::print(stderr, "liasonpay: warning: {}\n", w);
  }
  return 0;
}

struct Flags {
  std::string config_file;
  FlagValues values;
};

// Adds the flags that every store-opening command takes.
void AddStoreFlags(CLI::App* cmd, Flags& f) {
  cmd->add_option("--config", f.config_file, "TOML configuration file");
  cmd->add_option_function<std::string>(
      "--data-dir", [&f](const std::string& v) { f.values["data_dir"] = v; },
      "Data directory (default ./var)");
  cmd->add_option_function<std::string>(
      "--database", [&f](const std::string& v) { f.values["database"] = v; },
      "Database: a SQLite path (default <data-dir>/liasonpay.db)");
  cmd->add_option_function<std::string>(
      "--keyring", [&f](const std::string& v) { f.values["keyring"] = v; },
      "Key-ring file (default <data-dir>/keyring)");
  cmd->add_option_function<std::string>(
      "--log-level", [&f](const std::string& v) { f.values["log_level"] = v; },
      "debug|info|warn|error");
}

void AddServeFlags(CLI::App* cmd, Flags& f) {
  AddStoreFlags(cmd, f);
  auto opt = [&](const char* flag, const char* key, const char* help) {
    cmd->add_option_function<std::string>(
        flag, [&f, key](const std::string& v) { f.values[key] = v; }, help);
  };
  opt("--api-addr", "api_addr", "Merchant API listener host:port (default 0.0.0.0:8443)");
  opt("--dashboard-addr", "dashboard_addr", "Dashboard listener host:port (default 0.0.0.0:8444)");
  opt("--ops-addr", "ops_addr", "Ops listener host:port (default 127.0.0.1:9443)");
  opt("--tls-cert", "tls_cert", "TLS certificate chain, PEM (default <data-dir>/tls/cert.pem)");
  opt("--tls-key", "tls_key", "TLS private key, PEM, mode 0600 (default <data-dir>/tls/key.pem)");
  opt("--log-file", "log_file", "Write logs to this file instead of stderr");
  opt("--web-dir", "web_dir",
      "Built dashboard files (default: the web/ directory beside the binary, e.g. build/web)");
  opt("--sandbox-latency-ms", "sandbox_latency_ms", "Simulated sandbox PSP latency");
  opt("--psp-timeout-ms", "psp_timeout_ms", "Deadline of a PSP call (default 10000)");
  opt("--psp-ca-file", "psp_ca_file",
      "PEM CA certificates trusted for PSP calls INSTEAD of the system store (simulators only)");
  opt("--psp-proxy-url", "psp_proxy_url",
      "Forward proxy for PSP calls, http://[user:pass@]host:port (CONNECT tunnels)");
  opt("--recovery-interval-ms", "recovery_interval_ms",
      "How often unclear PSP outcomes are synced (default 5000)");
  opt("--audit-checkpoint-interval-s", "audit_checkpoint_interval_s",
      "Sign an audit checkpoint at least this often (default 3600; and every 1,000 records)");
  opt("--audit-verify-interval-s", "audit_verify_interval_s",
      "How often the audit hash chain is verified for /metrics (default 600)");
  opt("--rate-limit-per-key", "rate_limit_per_key", "Requests/s per API key (0 = off)");
  opt("--psp-webhook-rate-limit", "psp_webhook_rate_limit",
      "Inbound PSP webhooks/s per client IP, burst 2x (default 50; 0 = off)");
  opt("--webhook-retry-scale", "webhook_retry_scale",
      "Multiplies the webhook retry schedule (default 1; for tests)");
  opt("--max-connections", "max_connections", "Max concurrent connections (default 10000)");
  opt("--threads", "threads", "I/O threads (default: number of cores)");
  opt("--security-contact", "security_contact",
      "security.txt Contact: mailto:/https: URIs, comma-separated (default "
      "mailto:security@example.com, a placeholder)");
  opt("--security-txt-expires", "security_txt_expires",
      "security.txt Expires, RFC 3339 (default: start-up + 364 days)");
  cmd->add_option_function<std::vector<std::string>>(
      "--trusted-proxy",
      [&f](const std::vector<std::string>& v) {
        std::string joined;
        for (const auto& s : v) joined += (joined.empty() ? "" : ",") + s;
        f.values["trusted_proxies"] = joined;
      },
      "CIDR of a proxy whose X-Forwarded-For is honoured (repeatable)");
  cmd->add_flag_callback(
      "--dev", [&f] { f.values["dev"] = "true"; },
      "Development mode: create ./var, a self-signed certificate, a demo merchant");
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"LiasonPay: one API between merchants and payment providers.", "liasonpay"};
  app.require_subcommand(1);
  Flags f;
  int rc = 0;

  auto* serve = app.add_subcommand("serve", "Run the HTTPS server (api, dashboard, ops listeners)");
  AddServeFlags(serve, f);
  auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations");
  AddStoreFlags(migrate, f);
  auto* init = app.add_subcommand("init", "Create the data dir, key ring and database");
  AddStoreFlags(init, f);
  app.add_flag_callback(
      "--version", [] { throw CLI::CallForVersion(); },
      "Print the version and the library versions (same as `version`)");
  auto* version = app.add_subcommand(
      "version",
      "Print the version, and the OpenSSL, SQLite, libsodium, ICU and Boost versions "
      "liasonpay was built with and runs with");
  auto* merchant = app.add_subcommand("merchant", "Manage merchants");
  merchant->require_subcommand(1);
  auto* mcreate = merchant->add_subcommand("create", "Create a merchant and a secret API key");
  AddStoreFlags(mcreate, f);
  std::string name;
  std::string mode = "test";
  mcreate->add_option("--name", name, "Merchant name (required)")
      ->required()
      ->check([](const std::string& v) {
        return v.find_first_not_of(" \t") == std::string::npos ? "the name must not be blank"
                                                               : std::string();
      });
  mcreate->add_option("--mode", mode, "Mode of the first key: test|live")
      ->check(CLI::IsMember({"test", "live"}));
  std::string owner_email;
  mcreate->add_option("--owner-email", owner_email,
                      "Create the merchant's owner (a dashboard user) with this e-mail address; "
                      "its initial password is printed once");

  auto* mfreeze = merchant->add_subcommand(
      "freeze", "Freeze a merchant: its API keys and dashboard sessions are refused (audited)");
  auto* munfreeze = merchant->add_subcommand("unfreeze", "Unfreeze a merchant (audited)");
  std::string freeze_id, freeze_reason;
  for (auto* sub : {mfreeze, munfreeze}) {
    AddStoreFlags(sub, f);
    sub->add_option("merchant", freeze_id, "The merchant's id (mer_…)")->required();
    sub->add_option("--reason", freeze_reason, "Why (1–500 characters; kept in the audit log)")
        ->required();
  }

  auto* incident = app.add_subcommand("incident", "Incident response tools");
  incident->require_subcommand(1);
  auto* iexport = incident->add_subcommand(
      "export",
      "Print the incident timeline of a window as JSON lines: audit records, security events, "
      "payments changed, and a summary with the audit chain's verification (audited)");
  AddStoreFlags(iexport, f);
  std::string i_from, i_to, i_merchant;
  iexport->add_option("--from", i_from, "Window start, RFC 3339")->required();
  iexport->add_option("--to", i_to, "Window end (exclusive), RFC 3339")->required();
  iexport->add_option("--merchant", i_merchant, "One merchant's timeline (its id)");
  // Containment (audited as operator cli:<$USER>; docs/security-monitoring.md "Incident tools").
  std::string c_target, c_reason, c_merchant, c_user;
  std::vector<std::pair<CLI::App*, std::string>> contain;
  auto containment = [&](const char* name, const char* help, const char* target_help) {
    auto* sub = incident->add_subcommand(name, help);
    AddStoreFlags(sub, f);
    if (target_help) sub->add_option("target", c_target, target_help)->required();
    sub->add_option("--reason", c_reason, "Why (1–500 characters; kept in the audit log)")
        ->required();
    contain.emplace_back(sub, name);
    return sub;
  };
  containment("revoke-keys", "Revoke every API key (test and live) of a merchant",
              "The merchant's id (mer_…)");
  auto* irsessions =
      containment("revoke-sessions",
                  "Revoke the dashboard sessions of a merchant's users, or of one user", nullptr);
  auto* rs_m = irsessions->add_option("--merchant", c_merchant, "Every member of this merchant");
  auto* rs_u = irsessions->add_option("--user", c_user, "One dashboard user (usr_…)");
  rs_m->excludes(rs_u);
  containment("disable-connector",
              "Suspend a connector account: routing skips it; only an operator re-enables it",
              "The connector account's id");
  containment("enable-connector", "Re-enable a suspended connector account",
              "The connector account's id");
  containment("rotate-webhook-secrets",
              "Replace every webhook secret of a merchant at once (no grace period; nothing "
              "secret is printed: the merchant rolls its endpoints' secrets itself)",
              "The merchant's id (mer_…)");

  auto* op = app.add_subcommand("operator", "Manage operators (platform staff, ops listener)");
  op->require_subcommand(1);
  auto* ocreate =
      op->add_subcommand("create", "Create an operator; prints a generated initial password once");
  AddStoreFlags(ocreate, f);
  std::string op_email;
  std::string op_role = "platform_admin";
  ocreate->add_option("--email", op_email, "The operator's e-mail address (required)")->required();
  ocreate->add_option("--role", op_role, "platform_admin|support|security_auditor")
      ->check(CLI::IsMember({"platform_admin", "support", "security_auditor"}));

  auto* keys = app.add_subcommand("keys", "Key ring: status, rotation, retirement");
  keys->require_subcommand(1);
  auto* kstatus = keys->add_subcommand(
      "status", "Key versions and how many secrets each protects (opens every secret)");
  AddStoreFlags(kstatus, f);
  auto* krotate = keys->add_subcommand(
      "rotate", "Add a key version, make it active, re-wrap every secret (online, re-runnable)");
  AddStoreFlags(krotate, f);
  auto* kretire = keys->add_subcommand("retire", "Remove a key version that nothing uses");
  AddStoreFlags(kretire, f);
  uint32_t retire_version = 0;
  kretire->add_option("version", retire_version, "The key version to remove")->required();

  auto* audit = app.add_subcommand("audit", "The audit log: verify its hash chain, export it");
  audit->require_subcommand(1);
  auto* averify = audit->add_subcommand(
      "verify",
      "Walk the hash chain: 'intact: N records' (exit 0) or the first bad record (exit 1)");
  AddStoreFlags(averify, f);
  auto* aexport =
      audit->add_subcommand("export", "Print audit records as JSON lines, oldest first");
  AddStoreFlags(aexport, f);
  std::string a_from, a_to, a_merchant;
  aexport->add_option("--from", a_from, "Records at or after this RFC 3339 time");
  aexport->add_option("--to", a_to, "Records before this RFC 3339 time");
  aexport->add_option("--merchant", a_merchant, "One merchant's records (its id)");

  auto* webhooks = app.add_subcommand("webhooks", "Helpers for merchants' webhook receivers");
  webhooks->require_subcommand(1);
  auto* wverify = webhooks->add_subcommand(
      "verify", "Verify a webhook request read on stdin (headers, blank line, body)");
  std::string wsecret;
  int64_t wtolerance = 300;
  wverify->add_option("--secret", wsecret, "The endpoint's whsec_ secret")->required();
  wverify->add_option("--tolerance", wtolerance, "Allowed clock skew in seconds (default 300)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion&) {
    return PrintVersion();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (version->parsed()) {
    return PrintVersion();
  }
  if (wverify->parsed()) return VerifyWebhookCommand(wsecret, wtolerance);
  auto config = LoadConfig(f.config_file, f.values);
  if (!config) {
    fmt::print(stderr, "liasonpay: {}\n", config.error().message);
    return 2;
  }
  if (serve->parsed()) rc = Serve(*config);
  if (migrate->parsed()) rc = Migrate(*config);
  if (init->parsed()) rc = Init(*config);
  if (mcreate->parsed()) rc = CreateMerchantCommand(*config, name, mode, owner_email);
  if (ocreate->parsed()) rc = CreateOperatorCommand(*config, op_email, op_role);
  if (kstatus->parsed()) rc = KeysStatus(*config);
  if (krotate->parsed()) rc = KeysRotate(*config);
  if (kretire->parsed()) rc = KeysRetire(*config, retire_version);
  if (mfreeze->parsed()) rc = MerchantFreezeCommand(*config, freeze_id, freeze_reason, true);
  if (munfreeze->parsed()) rc = MerchantFreezeCommand(*config, freeze_id, freeze_reason, false);
  if (iexport->parsed()) rc = IncidentExportCommand(*config, i_from, i_to, i_merchant);
  for (const auto& [sub, name] : contain) {
    if (!sub->parsed()) continue;
    if (sub == irsessions && c_merchant.empty() == c_user.empty()) {
      fmt::print(stderr, "liasonpay: revoke-sessions needs --merchant or --user (one of them)\n");
      rc = 2;
    } else if (sub == irsessions) {
      rc = IncidentContainCommand(
          *config, c_user.empty() ? "revoke-sessions-merchant" : "revoke-sessions-user",
          c_user.empty() ? c_merchant : c_user, c_reason);
    } else {
      rc = IncidentContainCommand(*config, name, c_target, c_reason);
    }
  }
  if (averify->parsed()) rc = AuditVerifyCommand(*config);
  if (aexport->parsed()) rc = AuditExportCommand(*config, a_from, a_to, a_merchant);
  return rc;
}

}  // namespace lp::app
