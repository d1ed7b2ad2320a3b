// Connector: the interface every PSP integration implements. Connectors are stateless I/O glue:
// they never touch the store. A decline is a successful result carrying a decline; a transport
// error, 5xx or timeout is an Error (the payment stays `processing` until synced).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/common/task.hpp"

namespace lp::connectors {

struct Account {
  std::string id;
  std::string connector;  // "sandbox" | "stripe" | "adyen"
  std::string label;
  std::string base_url;
  int64_t latency_ms = -1;  // sandbox only; -1 = the process default
};

enum class Operation { kAuthorize, kCapture, kVoid, kRefund };
std::string_view ToString(Operation op);

struct OperationRequest {
  std::string payment_id;
  std::string idempotency_key;  // stable per attempt; the PSP deduplicates on it
  std::string payment_method;   // token
  int64_t amount = 0;           // minor units
  std::string currency;         // ISO 4217, upper case
  bool auto_capture = true;
  std::string psp_reference;  // capture/void/refund: the authorization's reference
};

enum class Outcome { kAuthorized, kCaptured, kRequiresAction, kDeclined, kVoided, kRefunded };

struct OperationResult {
  Outcome outcome = Outcome::kDeclined;
  std::string psp_reference;
  std::string decline_code;  // declines only
  std::string message;
  bool soft_decline = false;  // may succeed on another PSP
};

// Error codes a connector returns for unclear outcomes.
inline constexpr std::string_view kPspTimeout = "psp_timeout";
inline constexpr std::string_view kPspError = "psp_error";
inline constexpr std::string_view kPspUnknown = "psp_no_record";  // Sync: the PSP has no record

class Connector {
 public:
  virtual ~Connector() = default;
  virtual std::string_view Name() const = 0;
  // Whether this connector takes this payment method (token format).
  virtual bool Accepts(std::string_view payment_method) const = 0;
  virtual Task<Result<OperationResult>> Execute(const Account& account, Operation op,
                                                const OperationRequest& request) = 0;
  // The outcome of an earlier call, looked up by its idempotency key (recovery of unclear calls).
  virtual Task<Result<OperationResult>> Sync(const Account& account, Operation op,
                                             const OperationRequest& request) = 0;
};

using ConnectorPtr = std::unique_ptr<Connector>;

class ConnectorRegistry {
 public:
  virtual ~ConnectorRegistry() = default;
  void Add(ConnectorPtr c) { connectors_.push_back(std::move(c)); }
  Connector* Find(std::string_view name) const {
    for (const auto& c : connectors_) {
      if (c->Name() == name) return c.get();
    }
    return nullptr;
  }

 private:
  std::vector<ConnectorPtr> connectors_;
};

struct BuiltinOptions {
  std::string sandbox_ledger_path;  // where the sandbox PSP records what it charged
  int64_t sandbox_latency_ms = 0;
  int64_t psp_timeout_ms = 10000;
};

// The one explicit registration list of built-in connectors (connectors/builtin.cpp).
Result<std::unique_ptr<ConnectorRegistry>> MakeBuiltinConnectors(const BuiltinOptions& options);

}  // namespace lp::connectors
