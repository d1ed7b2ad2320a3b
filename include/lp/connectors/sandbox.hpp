// Sandbox PSP (PRODUCT.md §8): in-process and deterministic. It keeps a ledger of every operation
// it accepted, keyed by idempotency key (a repeated key returns the recorded result and charges
// nothing new), appended to a JSON-lines file so tests can prove nothing was charged twice.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "lp/connectors/connector.hpp"
#include "lp/connectors/descriptor.hpp"

namespace lp::connectors::sandbox {

// The sandbox's descriptor (connectors/sandbox/descriptor.cpp): tok_… payment methods, an
// optional api_key (never checked), no webhooks; its accounts take options.simulate and
// latency_ms, not options.return_url. Its connector is made by MakeBuiltinConnectors (the ledger).
const ConnectorDescriptor& Descriptor();
// The payment methods the sandbox takes: its test tokens (PRODUCT.md §8).
inline bool TakesPaymentMethod(std::string_view pm) { return pm.starts_with("tok_"); }

struct LedgerEntry {
  std::string idempotency_key;
  std::string operation;
  std::string payment_id;
  std::string payment_method;
  int64_t amount = 0;
  std::string currency;
  std::string psp_reference;
  std::string outcome;  // authorized | captured | declined | requires_action | voided | refunded
  std::string decline_code;
};

// The ledger file is the record; memory holds only a hash of each key and where its line
// starts (~50 bytes per entry instead of the whole entry), so a long-running sandbox does not
// grow by the size of every charge it ever made. A lookup that hits reads its line back.
class Ledger {
 public:
  // Indexes an existing ledger file (if any) and appends to it.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& path);
  ~Ledger();
  std::optional<LedgerEntry> Find(const std::string& idempotency_key) const;
  // Records the entry unless the key exists; returns the stored entry either way.
  LedgerEntry Record(const LedgerEntry& e);
  size_t Size() const;

 private:
  Ledger() = default;
  std::optional<LedgerEntry> FindLocked(const std::string& key) const;
  std::optional<LedgerEntry> ReadAt(uint64_t offset) const;
  mutable std::mutex mu_;
  std::unordered_multimap<uint64_t, uint64_t> offsets_;  // hash(key) -> line offset
  uint64_t end_ = 0;                                     // where the next line goes
  int fd_ = -1;                                          // append
  int read_fd_ = -1;
};

class SandboxConnector final : public Connector {
 public:
  SandboxConnector(Ledger& ledger, int64_t default_latency_ms, int64_t timeout_ms)
      : ledger_(ledger), default_latency_ms_(default_latency_ms), timeout_ms_(timeout_ms) {}
  std::string_view Name() const override { return kSandbox; }
  bool Accepts(std::string_view pm) const override { return TakesPaymentMethod(pm); }
  bool UsesCredentials() const override { return false; }
  Task<Result<OperationResult>> Execute(const Account& account, Operation op,
                                        const OperationRequest& request) override;
  Task<Result<OperationResult>> Sync(const Account& account, Operation op,
                                     const OperationRequest& request) override;

  // Pure mapping: what the sandbox does with a token (tested without I/O).
  static LedgerEntry Decide(Operation op, const OperationRequest& request);

 private:
  Ledger& ledger_;
  int64_t default_latency_ms_;
  int64_t timeout_ms_;
};

}  // namespace lp::connectors::sandbox
