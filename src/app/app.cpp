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

// The serve-only flags (the store flags come with the command).
void AddServeFlags(CLI::App* cmd, Flags& f) {
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

// The subcommands declared so far and what each runs once parsed, with the loaded configuration.
// A command's option values live in a shared struct held by both its CLI11 bindings and its
// action, so each group below declares and runs its commands in one place.
class Commands {
 public:
  explicit Commands(Flags& f) : flags_(f) {}

  // A subcommand of `parent` that opens the store (the store flags), running `run` when parsed.
  CLI::App* Add(CLI::App* parent, const std::string& name, const std::string& help,
                std::function<int(const Config&)> run) {
    auto* sub = parent->add_subcommand(name, help);
    AddStoreFlags(sub, flags_);
    actions_.emplace_back(sub, std::move(run));
    return sub;
  }
  Flags& flags() { return flags_; }

  // The exit code of the parsed command (0 when none of these was parsed).
  int Run(const Config& config) const {
    int rc = 0;
    for (const auto& [sub, run] : actions_) {
      if (sub->parsed()) rc = run(config);
    }
    return rc;
  }

 private:
  Flags& flags_;
  std::vector<std::pair<CLI::App*, std::function<int(const Config&)>>> actions_;
};

void AddMerchantCommands(CLI::App& app, Commands& cmds) {
  auto* merchant = app.add_subcommand("merchant", "Manage merchants");
  merchant->require_subcommand(1);
  struct Options {
    std::string name, mode = "test", owner_email, id, reason;
  };
  auto o = std::make_shared<Options>();
  auto* create = cmds.Add(
      merchant, "create", "Create a merchant and a secret API key",
      [o](const Config& c) { return CreateMerchantCommand(c, o->name, o->mode, o->owner_email); });
  create->add_option("--name", o->name, "Merchant name (required)")
      ->required()
      ->check([](const std::string& v) {
        return v.find_first_not_of(" \t") == std::string::npos ? "the name must not be blank"
                                                               : std::string();
      });
  create->add_option("--mode", o->mode, "Mode of the first key: test|live")
      ->check(CLI::IsMember({"test", "live"}));
  create->add_option("--owner-email", o->owner_email,
                     "Create the merchant's owner (a dashboard user) with this e-mail address; "
                     "its initial password is printed once");
  for (const bool freeze : {true, false}) {
    auto* sub = cmds.Add(
        merchant, freeze ? "freeze" : "unfreeze",
        freeze ? "Freeze a merchant: its API keys and dashboard sessions are refused (audited)"
               : "Unfreeze a merchant (audited)",
        [o, freeze](const Config& c) {
          return MerchantFreezeCommand(c, o->id, o->reason, freeze);
        });
    sub->add_option("merchant", o->id, "The merchant's id (mer_…)")->required();
    sub->add_option("--reason", o->reason, "Why (1–500 characters; kept in the audit log)")
        ->required();
  }
}

// Containment (audited as operator cli:<$USER>; docs/security-monitoring.md "Incident tools").
void AddIncidentCommands(CLI::App& app, Commands& cmds) {
  auto* incident = app.add_subcommand("incident", "Incident response tools");
  incident->require_subcommand(1);
  struct Options {
    std::string from, to, merchant, target, reason, user;
  };
  auto o = std::make_shared<Options>();
  auto* exp = cmds.Add(
      incident, "export",
      "Print the incident timeline of a window as JSON lines: audit records, security events, "
      "payments changed, and a summary with the audit chain's verification (audited)",
      [o](const Config& c) { return IncidentExportCommand(c, o->from, o->to, o->merchant); });
  exp->add_option("--from", o->from, "Window start, RFC 3339")->required();
  exp->add_option("--to", o->to, "Window end (exclusive), RFC 3339")->required();
  exp->add_option("--merchant", o->merchant, "One merchant's timeline (its id)");
  auto contain = [&](const std::string& name, const char* help, const char* target_help) {
    auto* sub = cmds.Add(incident, name, help, [o, name](const Config& c) {
      return IncidentContainCommand(c, name, o->target, o->reason);
    });
    if (target_help) sub->add_option("target", o->target, target_help)->required();
    sub->add_option("--reason", o->reason, "Why (1–500 characters; kept in the audit log)")
        ->required();
  };
  contain("revoke-keys", "Revoke every API key (test and live) of a merchant",
          "The merchant's id (mer_…)");
  auto* sessions = cmds.Add(
      incident, "revoke-sessions",
      "Revoke the dashboard sessions of a merchant's users, or of one user", [o](const Config& c) {
        if (o->merchant.empty() == o->user.empty()) {
          fmt::print(stderr,
                     "liasonpay: revoke-sessions needs --merchant or --user (one of them)\n");
          return 2;
        }
        return IncidentContainCommand(
            c, o->user.empty() ? "revoke-sessions-merchant" : "revoke-sessions-user",
            o->user.empty() ? o->merchant : o->user, o->reason);
      });
  sessions->add_option("--reason", o->reason, "Why (1–500 characters; kept in the audit log)")
      ->required();
  auto* by_merchant =
      sessions->add_option("--merchant", o->merchant, "Every member of this merchant");
  by_merchant->excludes(sessions->add_option("--user", o->user, "One dashboard user (usr_…)"));
  contain("disable-connector",
          "Suspend a connector account: routing skips it; only an operator re-enables it",
          "The connector account's id");
  contain("enable-connector", "Re-enable a suspended connector account",
          "The connector account's id");
  contain("rotate-webhook-secrets",
          "Replace every webhook secret of a merchant at once (no grace period; nothing "
          "secret is printed: the merchant rolls its endpoints' secrets itself)",
          "The merchant's id (mer_…)");
}

void AddOperatorCommands(CLI::App& app, Commands& cmds) {
  auto* op = app.add_subcommand("operator", "Manage operators (platform staff, ops listener)");
  op->require_subcommand(1);
  struct Options {
    std::string email, role = "platform_admin";
  };
  auto o = std::make_shared<Options>();
  auto* create =
      cmds.Add(op, "create", "Create an operator; prints a generated initial password once",
               [o](const Config& c) { return CreateOperatorCommand(c, o->email, o->role); });
  create->add_option("--email", o->email, "The operator's e-mail address (required)")->required();
  create->add_option("--role", o->role, "platform_admin|support|security_auditor")
      ->check(CLI::IsMember({"platform_admin", "support", "security_auditor"}));
}

void AddKeysCommands(CLI::App& app, Commands& cmds) {
  auto* keys = app.add_subcommand("keys", "Key ring: status, rotation, retirement");
  keys->require_subcommand(1);
  cmds.Add(keys, "status", "Key versions and how many secrets each protects (opens every secret)",
           KeysStatus);
  cmds.Add(keys, "rotate",
           "Add a key version, make it active, re-wrap every secret (online, re-runnable)",
           KeysRotate);
  auto version = std::make_shared<uint32_t>(0);
  auto* retire = cmds.Add(keys, "retire", "Remove a key version that nothing uses",
                          [version](const Config& c) { return KeysRetire(c, *version); });
  retire->add_option("version", *version, "The key version to remove")->required();
}

void AddAuditCommands(CLI::App& app, Commands& cmds) {
  auto* audit = app.add_subcommand("audit", "The audit log: verify its hash chain, export it");
  audit->require_subcommand(1);
  cmds.Add(audit, "verify",
           "Walk the hash chain: 'intact: N records' (exit 0) or the first bad record (exit 1)",
           AuditVerifyCommand);
  struct Options {
    std::string from, to, merchant;
  };
  auto o = std::make_shared<Options>();
  auto* exp =
      cmds.Add(audit, "export", "Print audit records as JSON lines, oldest first",
               [o](const Config& c) { return AuditExportCommand(c, o->from, o->to, o->merchant); });
  exp->add_option("--from", o->from, "Records at or after this RFC 3339 time");
  exp->add_option("--to", o->to, "Records before this RFC 3339 time");
  exp->add_option("--merchant", o->merchant, "One merchant's records (its id)");
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"LiasonPay: one API between merchants and payment providers.", "liasonpay"};
  app.require_subcommand(1);
  Flags f;
  Commands cmds(f);

  auto* serve =
      cmds.Add(&app, "serve", "Run the HTTPS server (api, dashboard, ops listeners)", Serve);
  AddServeFlags(serve, f);
  cmds.Add(&app, "migrate", "Apply pending database migrations", Migrate);
  cmds.Add(&app, "init", "Create the data dir, key ring and database", Init);
  app.add_flag_callback(
      "--version", [] { throw CLI::CallForVersion(); },
      "Print the version and the library versions (same as `version`)");
  auto* version = app.add_subcommand(
      "version",
      "Print the version, and the OpenSSL, SQLite, libsodium, ICU and Boost versions "
      "liasonpay was built with and runs with");
  AddMerchantCommands(app, cmds);
  AddIncidentCommands(app, cmds);
  AddOperatorCommands(app, cmds);
  AddKeysCommands(app, cmds);
  AddAuditCommands(app, cmds);
  // Needs no configuration: a merchant's receiver runs it.
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
  if (version->parsed()) return PrintVersion();
  if (wverify->parsed()) return VerifyWebhookCommand(wsecret, wtolerance);
  auto config = LoadConfig(f.config_file, f.values);
  if (!config) {
    fmt::print(stderr, "liasonpay: {}\n", config.error().message);
    return 2;
  }
  return cmds.Run(*config);
}

}  // namespace lp::app
