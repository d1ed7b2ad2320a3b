// The server's background loops (docs/architecture.md, app).
#include "app/background.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>

#include "lp/common/log.hpp"

// jemalloc's control entry point, when the server links jemalloc (see ReleaseFreeMemory).
extern "C" int mallctl(const char*, void*, size_t*, void*, size_t) __attribute__((weak));

namespace lp::app {

namespace {
// Hands freed memory back to the OS after a connection burst. The server links jemalloc (see
// CMakeLists.txt); sanitizer builds and tests run on glibc malloc, hence the weak symbol.
void ReleaseFreeMemory() {
  if (mallctl) {
    (void)mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // MALLCTL_ARENAS_ALL
  } else {
    malloc_trim(0);
  }
}
}  // namespace

// A transaction that signs the audit chain's head when a checkpoint is due (`made`: the new
// one, if any; the caller also writes it to the anchor file).
store::TxFn CheckpointTx(const std::string& key, const Clock& clock, int64_t every_records,
                         int64_t every_us, std::optional<audit::Checkpoint>& made) {
  return [&key, &clock, every_records, every_us, &made](store::Tx& tx) -> Result<void> {
    auto cp = audit::WriteCheckpointIfDue(tx, key, clock.NowMicros(), every_records, every_us);
    if (!cp) return cp.error();
    made = *cp;
    return {};
  };
}

// The audit hash chain, verified on a reader thread (store::Read), then and every `interval`:
// the gauges say whether it was intact when last checked (an edit, deletion or reordering since
// start-up shows within one interval; the alert rules watch them).
Task<void> VerifyAuditChainPeriodically(net::io_context& ioc, store::Store& store,
                                        metrics::Registry& reg, const Clock& clock,
                                        std::chrono::seconds interval, std::string key,
                                        std::string anchor_path) {
  net::steady_timer t(ioc);
  for (;;) {
    audit::VerifyReport rep;
    audit::VerifyOptions vopt{key, std::nullopt};
    Result<void> r;
    auto anchor = audit::ReadAnchor(anchor_path);
    if (!anchor) {
      r = anchor.error();
    } else {
      vopt.anchor = *anchor;
      r = co_await store::Read(store, [&rep, &vopt](store::Tx& tx) -> Result<void> {
        auto v = audit::Verify(tx, vopt);
        if (!v) return v.error();
        rep = *v;
        return {};
      });
    }
    if (!r) {
      reg.Set("liasonpay_audit_verification_ok", {}, 0);
      log::Error("audit_verification_failed", {{"error", r.error().detail}});
    } else {
      reg.Set("liasonpay_audit_chain_records", {}, static_cast<double>(rep.records));
      reg.Set("liasonpay_audit_last_verification_timestamp_seconds", {},
              static_cast<double>(clock.NowSeconds()));
      reg.Set("liasonpay_audit_verification_ok", {}, rep.ok ? 1 : 0);
      if (!rep.ok) {
        log::Error("audit_chain_broken", {{"first_bad_seq", rep.first_bad_seq},
                                          {"problem", rep.problem},
                                          {"records", rep.records}});
      }
    }
    t.expires_after(interval);
    auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
  }
}

Task<void> RecoverPeriodically(net::io_context& ioc, payments::PaymentService& payments,
                               const Clock& clock, int64_t interval_ms, int64_t boot_us) {
  size_t n = co_await payments.Recover(true, boot_us);
  if (n > 0) log::Info("recovery_pass", {{"settled", static_cast<int64_t>(n)}});
  net::steady_timer t(ioc);
  int64_t since_prune = 0;
  for (;;) {
    t.expires_after(std::chrono::milliseconds(interval_ms));
    auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    n = co_await payments.Recover(false, clock.NowMicros() - interval_ms * 1000);
    if (n > 0) log::Info("recovery_pass", {{"settled", static_cast<int64_t>(n)}});
    since_prune += interval_ms;
    if (since_prune >= 3'600'000) {
      since_prune = 0;
      (void)co_await payments.PruneIdempotency(int64_t{48} * 3600 * 1'000'000);
    }
  }
}

Task<void> ReleaseMemoryAndReloadKeys(net::io_context& ioc, http::Server& server,
                                      crypto::KeyRing& keyring) {
  net::steady_timer t(ioc);
  size_t peak = 0;
  for (int tick = 0;; ++tick) {
    t.expires_after(std::chrono::milliseconds(250));
    auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    // A `keys rotate` elsewhere rewrites the key-ring file: pick it up within a second.
    if (tick % 4 == 0) {
      auto r = keyring.Reload();
      if (!r) {
        log::Error("keyring_reload_failed", {{"error", r.error().message}});
      } else if (*r) {
        log::Info("keyring_reloaded",
                  {{"active_version", static_cast<int64_t>(keyring.ActiveVersion())}});
      }
    }
    const size_t now = server.ActiveConnections();
    peak = std::max(peak, now);
    if (peak >= now + 100) {
      ReleaseFreeMemory();
      peak = now;
    }
  }
}

Task<void> CheckpointAuditPeriodically(net::io_context& ioc, store::Store& store,
                                       const Clock& clock, int64_t interval_s, std::string key,
                                       std::string anchor_path) {
  net::steady_timer t(ioc);
  const int64_t every_us = interval_s * 1'000'000;
  for (;;) {
    std::optional<audit::Checkpoint> made;
    auto w = co_await store::Write(store, CheckpointTx(key, clock, 1000, every_us, made));
    if (w && made) w = audit::WriteAnchor(anchor_path, *made);
    if (!w) log::Error("audit_checkpoint_failed", {{"detail", w.error().detail}});
    t.expires_after(std::chrono::seconds(std::min<int64_t>(60, interval_s)));
    auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
  }
}

void SealAuditChain(store::Store& store, const Clock& clock, const std::string& key,
                    const std::string& anchor_path) {
  std::optional<audit::Checkpoint> sealed;
  auto sealing = store.WriteSync(CheckpointTx(key, clock, 1, 0, sealed));
  if (sealing && sealed) sealing = audit::WriteAnchor(anchor_path, *sealed);
  if (!sealing) log::Error("audit_checkpoint_failed", {{"detail", sealing.error().detail}});
}

}  // namespace lp::app
