// Connector: the interface every PSP integration implements. Connectors are stateless I/O glue:
// they never touch the store. A decline is a successful result carrying a decline; a transport
// error, 5xx or timeout is an Error (the payment stays `processing` until synced).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/common/money.hpp"
#include "lp/common/principal.hpp"
#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"
#include "lp/common/task.hpp"

namespace lp {
class Clock;
}

namespace lp::connectors {

// A connector account's decrypted credentials: field name -> value, each value a Secret (prints
// as ***, wiped when freed). Which fields exist is the connector's descriptor's business
// (descriptor.hpp); values are read only through Get().
class Credentials {
 public:
  void Set(std::string name, std::string value) {
    for (auto& [n, v] : fields_) {
      if (n == name) {
        v = Secret<std::string>(std::move(value));
        return;
      }
    }
    fields_.emplace_back(std::move(name), Secret<std::string>(std::move(value)));
  }
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  // The value, or empty when the field is absent.
  std::string_view Get(std::string_view name) const {
    const auto* v = Find(name);
    return v ? std::string_view(v->Expose()) : std::string_view();
  }
  std::vector<std::string_view> Names() const {
    std::vector<std::string_view> out;
    for (const auto& [n, v] : fields_) out.push_back(n);
    return out;
  }
  bool empty() const { return fields_.empty(); }

 private:
  const Secret<std::string>* Find(std::string_view name) const {
    for (const auto& [n, v] : fields_) {
      if (n == name) return &v;
    }
    return nullptr;
  }
  std::vector<std::pair<std::string, Secret<std::string>>> fields_;
};

struct Account {
  std::string id;
  std::string connector;  // "sandbox" | "stripe" | "adyen"
  std::string label;
  std::string base_url;     // override of the PSP's endpoint (simulators); empty = the default
  int64_t latency_ms = -1;  // sandbox only; -1 = the process default
  Mode mode = Mode::kTest;  // lp::Mode: test accounts reach the PSP's test environment
  Credentials credentials;  // decrypted; never logged, never rendered
  std::string return_url;   // where a shopper comes back after a redirect (3-D Secure); Adyen
                            // requires one on every payment
  // The credentials as stored (sealed with the key ring); the payment service opens them into
  // `credentials` just before a PSP call, outside the store's transaction. Empty: none stored.
  std::string sealed_credentials;
  // Sandbox only (PRODUCT.md §8): "unavailable" | "soft_decline" | "timeout" overrides the
  // token's outcome of every authorization; empty = the token decides.
  std::string simulate;
};

enum class Operation { kAuthorize, kCapture, kVoid, kRefund };
std::string_view ToString(Operation op);
std::optional<Operation> ParseOperation(std::string_view s);

struct OperationRequest {
  std::string payment_id;
  std::string idempotency_key;  // stable per attempt; the PSP deduplicates on it
  std::string payment_method;   // token
  Money amount;                 // authorize: the payment's; capture and refund: this operation's
  bool auto_capture = true;
  std::string psp_reference;  // capture/void/refund: the authorization's reference
  // When the attempt was created (unix seconds; 0 = unknown). Sync uses it to tell whether the
  // PSP still remembers the idempotency key (Stripe keeps keys for 24 hours).
  int64_t attempt_created = 0;
  std::string return_url;     // per payment; overrides Account::return_url
  std::string refund_reason;  // refunds: duplicate | fraudulent | requested_by_customer
};

enum class Outcome { kAuthorized, kCaptured, kRequiresAction, kDeclined, kVoided, kRefunded };

struct OperationResult {
  Outcome outcome = Outcome::kDeclined;
  std::string psp_reference;  // this operation's reference at the PSP (refund id, modification…)
  std::string decline_code;   // declines only (unified codes, see decline_codes.hpp)
  std::string message;
  bool soft_decline = false;  // may succeed on another PSP
  // The PSP accepted the request but states its result later (Adyen captures, cancels and
  // refunds answer "received"; a Stripe PaymentIntent in "processing"; Adyen "Pending"). Then
  // `outcome` is what a confirming webhook will mean, the attempt stays pending and the payment
  // `processing` until a webhook or a sync settles it. Never a decline.
  bool pending = false;
  std::string next_action_json;  // kRequiresAction: the PSP's next action (JSON), for the client
  std::string psp_status;        // the PSP's own status word, for logs ("requires_capture"…)
  int64_t amount = -1;           // the amount the PSP reports for this operation; -1 = unknown
};

// Error codes a connector returns for unclear outcomes (the payment stays `processing`).
inline constexpr std::string_view kPspTimeout = "psp_timeout";
inline constexpr std::string_view kPspError = "psp_error";  // 5xx, 429, malformed answer, …
// Clear failures: nothing was charged, and the request may go to another PSP.
inline constexpr std::string_view kPspUnknown = "psp_no_record";  // Sync: the PSP has no record
inline constexpr std::string_view kPspUnavailable = "psp_unavailable";  // provably never sent
// The PSP refused the request without processing it (a 4xx other than a decline: validation,
// unknown reference, wrong state). Not a decline of the card.
inline constexpr std::string_view kPspRejected = "psp_rejected";
// The PSP refused the account's credentials (401/403): a problem of the connector account, to be
// shown on it, never a payment decline.
inline constexpr std::string_view kConnectorAuthenticationFailed =
    "connector_authentication_failed";

class Connector {
 public:
  virtual ~Connector() = default;
  virtual std::string_view Name() const = 0;
  // Whether this connector takes this payment method (token format).
  virtual bool Accepts(std::string_view payment_method) const = 0;
  // Whether Execute/Sync read Account::credentials (the sandbox does not: nothing is opened).
  virtual bool UsesCredentials() const { return true; }
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
  // The real PSPs (Stripe, Adyen): their shared connection pool runs on `executor` (the
  // server's I/O threads). Without an executor only the sandbox is registered (tools, tests).
  boost::asio::any_io_executor executor;
  const Clock* clock = nullptr;
  std::string psp_ca_pem;       // trusted INSTEAD of the system store: simulators and tests only
  std::string psp_proxy_url;    // forward proxy (CONNECT) for every PSP call; empty = direct
  bool allow_http_psp = false;  // dev mode: plain-HTTP simulators (Prism)
};

// The one explicit registration list of built-in connectors (connectors/builtin.cpp).
Result<std::unique_ptr<ConnectorRegistry>> MakeBuiltinConnectors(const BuiltinOptions& options);

}  // namespace lp::connectors
