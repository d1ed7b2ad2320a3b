// `liasonpay serve`: the process's life. It opens the foundations, builds the Node (node.hpp:
// every service and route, wired), starts the listeners and background loops (background.hpp),
// runs the I/O threads until a signal, and seals the audit chain at a clean stop.
#include "app/serve.hpp"

#include <malloc.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <thread>

#include "app/background.hpp"
#include "app/cli_common.hpp"
#include "app/dev_mode.hpp"
#include "app/files.hpp"
#include "app/node.hpp"
#include "lp/audit/audit.hpp"
#include "lp/common/log.hpp"

namespace lp::app {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

// The listeners' ports go to <data-dir>/ports.json (tests and tools read it) and the log.
Result<void> AnnounceListening(const Config& c, const http::Server& server, store::Store& store) {
  auto ports = server.Ports();
  json::object pj;
  for (const auto& [name, port] : ports) pj[name] = port;
  if (auto r = WriteFileAtomic(c.data_dir + "/ports.json", json::serialize(pj) + "\n", 0644); !r) {
    return r;
  }
  log::Info("listening", {{"api", static_cast<int64_t>(ports["api"])},
                          {"dashboard", static_cast<int64_t>(ports["dashboard"])},
                          {"ops", static_cast<int64_t>(ports["ops"])},
                          {"database", store.Backend()},
                          {"schema_version", store.SchemaVersion()}});
  if (c.dev) PrintDevBanner(c, ports);
  return {};
}

// SIGHUP reloads the TLS certificate and the key ring, and asks again.
void ReloadOnHangup(net::signal_set& hup, http::Server& server, crypto::KeyRing& keyring,
                    metrics::Registry& reg) {
  hup.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    auto r = server.ReloadTls();
    if (r) {
      reg.Set("liasonpay_tls_certificate_expiry_timestamp_seconds", {},
              static_cast<double>(server.CertificateNotAfter()));
      log::Info("tls_reloaded", {});
    } else {
      log::Error("tls_reload_failed", {{"error", r.error().detail}});
    }
    if (auto k = keyring.ForceReload(); !k) {
      log::Error("keyring_reload_failed", {{"error", k.error().message}});
    }
    ReloadOnHangup(hup, server, keyring, reg);
  });
}

void RunIoThreads(net::io_context& ioc, int configured) {
  const size_t n = configured > 0 ? static_cast<size_t>(configured)
                                  : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < n; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
}

}  // namespace

int Serve(const Config& c) {
  // Few malloc arenas: with many short-lived TLS buffers, per-thread arenas hoard memory.
  mallopt(M_ARENA_MAX, 2);
  log::Init(ParseLevel(c.log_level), c.log_file);
  if (c.dev) {
    log::Warn("dev_mode", {{"note",
                            "DEV MODE: self-signed certificate, demo credentials, "
                            "sandbox PSP. Never use for real payments."}});
    if (auto r = EnsureDevDataDir(c); !r) return Fail(r.error().detail);
  }
  auto f = OpenFoundation(c);
  if (!f) return Fail(f.error().detail);
  store::Store& store = *f->store;

  // The I/O threads' context: declared before everything that keeps sockets or timers on it.
  net::io_context ioc;
  SystemClock clock;
  auto connectors = OpenConnectors(c, ioc, clock);
  if (!connectors) return Fail(connectors.error().detail);
  Node node(c, *f, **connectors, ioc, clock);
  if (c.dev) {
    auto cr = EnsureDevCredentials(c, store, node.keys, node.password_policy, clock);
    if (!cr) return Fail(cr.error().detail);
  }

  http::Limits limits;
  limits.max_connections = static_cast<size_t>(c.max_connections);
  http::Server server(ioc, limits, {c.CertFile(), c.KeyFile()}, RecordRequest(node.reg));
  // Signals are registered before ports.json tells anyone we are up: a SIGINT/SIGTERM/SIGHUP
  // from then on is queued for the handlers installed below, never the default action.
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  net::signal_set hup(ioc, SIGHUP);
  // Attempts last touched before this instant belong to a previous process.
  const int64_t boot_us = clock.NowMicros();
  if (auto r = server.Start(node.Listeners()); !r) return Fail(r.error().detail);
  node.reg.Set("liasonpay_tls_certificate_expiry_timestamp_seconds", {},
               static_cast<double>(server.CertificateNotAfter()));
  if (auto r = AnnounceListening(c, server, store); !r) return Fail(r.error().detail);

  // Recovery: first everything a previous process left unsettled, then unclear outcomes.
  net::co_spawn(ioc,
                RecoverPeriodically(ioc, node.payments, clock, c.recovery_interval_ms, boot_us),
                net::detached);
  net::co_spawn(ioc, ReleaseMemoryAndReloadKeys(ioc, server, *f->keyring), net::detached);
  net::co_spawn(ioc, node.dispatcher.Run(), net::detached);
  // Signed audit checkpoints (docs/audit.md): at least every `audit_checkpoint_interval_s` and
  // every 1,000 records, in the database and in the anchor file outside it; verified with them.
  const std::string checkpoint_key = audit::CheckpointKey(f->keyring->ApiKeyPepper().view());
  const std::string anchor_path = c.data_dir + "/audit-anchor.json";
  net::co_spawn(ioc,
                CheckpointAuditPeriodically(ioc, store, clock, c.audit_checkpoint_interval_s,
                                            checkpoint_key, anchor_path),
                net::detached);
  net::co_spawn(ioc,
                VerifyAuditChainPeriodically(ioc, store, node.reg, clock,
                                             std::chrono::seconds(c.audit_verify_interval_s),
                                             checkpoint_key, anchor_path),
                net::detached);

  ReloadOnHangup(hup, server, *f->keyring, node.reg);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::Info("shutdown", {{"signal", sig}});
    hup.cancel();
    node.dispatcher.Stop();
    server.Shutdown([&ioc] { ioc.stop(); });
  });
  RunIoThreads(ioc, c.threads);
  // A clean stop seals the chain: a checkpoint over every record written.
  SealAuditChain(store, clock, checkpoint_key, anchor_path);
  store.Close();
  log::Info("stopped", {});
  log::Flush();
  return 0;
}

}  // namespace lp::app
