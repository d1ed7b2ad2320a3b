// The server's background loops, spawned by Serve on its io_context (each ends when the
// context stops) and the audit chain's seal at a clean stop.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "lp/audit/audit.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/task.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/http/server.hpp"
#include "lp/metrics/registry.hpp"
#include "lp/payments/payment_service.hpp"
#include "lp/store/store.hpp"

namespace lp::app {

namespace net = boost::asio;

// A transaction that signs the audit chain's head when a checkpoint is due (`made`: the new
// one, if any; the caller also writes it to the anchor file).
store::TxFn CheckpointTx(const std::string& key, const Clock& clock, int64_t every_records,
                         int64_t every_us, std::optional<audit::Checkpoint>& made);

// The audit hash chain, verified on a reader thread (store::Read), then and every `interval`:
// the gauges say whether it was intact when last checked (an edit, deletion or reordering since
// start-up shows within one interval; the alert rules watch them).
Task<void> VerifyAuditChainPeriodically(net::io_context& ioc, store::Store& store,
                                        metrics::Registry& reg, const Clock& clock,
                                        std::chrono::seconds interval, std::string key,
                                        std::string anchor_path);

// Recovery: first everything a previous process left unsettled (attempts last touched before
// `boot_us`), then unclear outcomes every `interval_ms`; idempotency keys pruned hourly.
Task<void> RecoverPeriodically(net::io_context& ioc, payments::PaymentService& payments,
                               const Clock& clock, int64_t interval_ms, int64_t boot_us);

// Memory freed after a burst of connections (TLS buffers) goes back to the OS once the burst is
// over, instead of staying in malloc's free lists; the key-ring file is re-read every second.
Task<void> ReleaseMemoryAndReloadKeys(net::io_context& ioc, http::Server& server,
                                      crypto::KeyRing& keyring);

// Signed audit checkpoints (docs/audit.md): at least every `interval_s` and every 1,000
// records, in the database and in the anchor file outside it.
Task<void> CheckpointAuditPeriodically(net::io_context& ioc, store::Store& store,
                                       const Clock& clock, int64_t interval_s, std::string key,
                                       std::string anchor_path);

// A clean stop seals the chain: a checkpoint over every record written (blocking).
void SealAuditChain(store::Store& store, const Clock& clock, const std::string& key,
                    const std::string& anchor_path);

}  // namespace lp::app
