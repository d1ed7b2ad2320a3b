#include "lp/payments/model.hpp"

#include <array>
#include <utility>

#include "lp/common/enum_names.hpp"

namespace lp::payments {

namespace {
constexpr std::array<std::pair<PaymentStatus, std::string_view>, 8> kStatusNames = {{
    {PaymentStatus::kRequiresPaymentMethod, "requires_payment_method"},
    {PaymentStatus::kRequiresConfirmation, "requires_confirmation"},
    {PaymentStatus::kRequiresAction, "requires_action"},
    {PaymentStatus::kProcessing, "processing"},
    {PaymentStatus::kRequiresCapture, "requires_capture"},
    {PaymentStatus::kSucceeded, "succeeded"},
    {PaymentStatus::kFailed, "failed"},
    {PaymentStatus::kCancelled, "cancelled"},
}};
constexpr std::array<std::pair<AttemptStatus, std::string_view>, 4> kAttemptStatusNames = {{
    {AttemptStatus::kPending, "pending"},
    {AttemptStatus::kProcessing, "processing"},
    {AttemptStatus::kSucceeded, "succeeded"},
    {AttemptStatus::kFailed, "failed"},
}};
constexpr std::array<std::pair<RefundStatus, std::string_view>, 3> kRefundStatusNames = {{
    {RefundStatus::kPending, "pending"},
    {RefundStatus::kSucceeded, "succeeded"},
    {RefundStatus::kFailed, "failed"},
}};
}  // namespace

std::string_view ToString(PaymentStatus s) {
  return EnumToString<PaymentStatus>(kStatusNames, s, "unknown");
}

std::optional<PaymentStatus> ParsePaymentStatus(std::string_view s) {
  return EnumFromString<PaymentStatus>(kStatusNames, s);
}

std::string_view ToString(CaptureMethod c) {
  return c == CaptureMethod::kManual ? "manual" : "automatic";
}

std::string_view ToString(AttemptStatus s) {
  return EnumToString<AttemptStatus>(kAttemptStatusNames, s, "pending");
}

std::optional<AttemptStatus> ParseAttemptStatus(std::string_view s) {
  return EnumFromString<AttemptStatus>(kAttemptStatusNames, s);
}

std::string_view ToString(RefundStatus s) {
  return EnumToString<RefundStatus>(kRefundStatusNames, s, "pending");
}

std::optional<RefundStatus> ParseRefundStatus(std::string_view s) {
  return EnumFromString<RefundStatus>(kRefundStatusNames, s);
}

}  // namespace lp::payments
