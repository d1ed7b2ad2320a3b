#include "lp/payments/model.hpp"

#include <array>
#include <utility>

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
}  // namespace

std::string_view ToString(PaymentStatus s) {
  for (const auto& [k, v] : kStatusNames) {
    if (k == s) return v;
  }
  return "unknown";
}

std::optional<PaymentStatus> ParsePaymentStatus(std::string_view s) {
  for (const auto& [k, v] : kStatusNames) {
    if (v == s) return k;
  }
  return std::nullopt;
}

std::string_view ToString(CaptureMethod c) {
  return c == CaptureMethod::kManual ? "manual" : "automatic";
}

std::string_view ToString(RefundStatus s) {
  switch (s) {
    case RefundStatus::kPending:
      return "pending";
    case RefundStatus::kSucceeded:
      return "succeeded";
    case RefundStatus::kFailed:
      return "failed";
  }
  return "pending";
}

}  // namespace lp::payments
