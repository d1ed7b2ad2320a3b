// Domain values of payments: payments, attempts, refunds, their statuses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/money.hpp"
#include "lp/common/principal.hpp"
#include "lp/connectors/connector.hpp"

namespace lp::payments {

enum class PaymentStatus {
  kRequiresPaymentMethod,
  kRequiresConfirmation,
  kRequiresAction,
  kProcessing,
  kRequiresCapture,
  kSucceeded,
  kFailed,
  kCancelled,
};
std::string_view ToString(PaymentStatus s);
std::optional<PaymentStatus> ParsePaymentStatus(std::string_view s);

enum class CaptureMethod { kAutomatic, kManual };
std::string_view ToString(CaptureMethod c);

// What the customer must do next (status `requires_action`): the PSP's action type and, for
// redirects, where to send the customer. Nothing else of the PSP's action is kept (its client
// secrets and SDK data never leave LiasonPay).
struct NextAction {
  std::string type;  // the PSP's word: redirect_to_url, redirect, threeDS2…
  std::optional<std::string> redirect_url;  // https only
};

// Stored as the attempt's `status` column word (pending, processing, succeeded, failed).
enum class AttemptStatus { kPending, kProcessing, kSucceeded, kFailed };
std::string_view ToString(AttemptStatus s);
std::optional<AttemptStatus> ParseAttemptStatus(std::string_view s);

struct Attempt {
  std::string id;
  std::string payment_id;
  int64_t seq = 0;
  connectors::Operation operation = connectors::Operation::kAuthorize;
  std::string connector;
  std::string connector_account_id;
  AttemptStatus status = AttemptStatus::kPending;
  int64_t amount = 0;
  std::optional<std::string> psp_reference, decline_code, error_code, error_message;
  std::optional<int64_t> latency_us;
  std::string routing_reason;
  std::string idempotency_key;  // sent to the PSP
  int64_t created = 0, updated = 0;
  std::optional<NextAction> next_action;  // requires_action
};

struct LastError {
  std::string code;
  std::string decline_code;
  std::string message;
};

// What is stored and shown for an Adyen encrypted-card payment method.
inline constexpr std::string_view kSchemePaymentMethod = R"({"type":"scheme"})";

struct Payment {
  std::string id;
  std::string merchant_id;
  Mode mode = Mode::kTest;
  Money amount;  // what the payment is for; the amounts below are in its currency
  PaymentStatus status = PaymentStatus::kRequiresPaymentMethod;
  CaptureMethod capture_method = CaptureMethod::kAutomatic;
  std::optional<std::string> payment_method, description;
  std::optional<std::string> customer_country;  // ISO 3166-1 alpha-2, upper case (routing)
  std::optional<std::string> return_url;        // after a redirect (Adyen requires one)
  // An Adyen encrypted-card object (canonical JSON): in memory only, for routing and the PSP
  // call of this request; never stored, rendered or logged. `payment_method` then holds
  // kSchemePaymentMethod.
  std::optional<std::string> payment_method_data;
  std::string metadata = "{}";  // JSON object text
  int64_t amount_capturable = 0, amount_received = 0, amount_refunded = 0;
  std::optional<std::string> connector_account_id, connector, psp_reference;
  std::optional<LastError> last_error;
  // While `requires_action`: the latest authorization attempt's next action (not a column).
  std::optional<NextAction> next_action;
  std::optional<std::string> routing;  // JSON text of the routing hint
  int64_t version = 1;
  int64_t created = 0, updated = 0;  // microseconds since the epoch
  std::vector<Attempt> attempts;
};

enum class RefundStatus { kPending, kSucceeded, kFailed };
std::string_view ToString(RefundStatus s);
std::optional<RefundStatus> ParseRefundStatus(std::string_view s);

struct Refund {
  std::string id;
  std::string merchant_id;
  Mode mode = Mode::kTest;
  std::string payment_id;
  Money amount;  // in the payment's currency
  RefundStatus status = RefundStatus::kPending;
  std::optional<std::string> reason, psp_reference, failure_code;
  int64_t created = 0, updated = 0;
};

}  // namespace lp::payments
