// Adyen transformers: pure functions between LiasonPay's operations and Adyen's Checkout API v71
// (JSON, `X-API-Key`, `Idempotency-Key` = our attempt id, `merchantAccount` from the
// credentials, `reference` = our attempt id, metadata.lp_payment = our payment id).
//
//   authorize  POST /payments  {amount, reference, merchantAccount, paymentMethod (encrypted card
//              fields), returnUrl, shopperInteraction: Ecommerce, channel: Web, metadata;
//              automatic capture: captureDelayHours 0; manual: additionalData.manualCapture "true"}
//   capture    POST /payments/{pspReference}/captures {merchantAccount, amount, reference}
//   cancel     POST /payments/{pspReference}/cancels  {merchantAccount, reference}
//   refund     POST /payments/{pspReference}/refunds  {merchantAccount, amount, reference,
//              merchantRefundReason}
// Captures, cancels and refunds are asynchronous at Adyen: the answer is `status: received` and
// the outcome arrives in a notification (CAPTURE, CANCELLATION, REFUND, …): a pending result.
#pragma once

#include <string>
#include <string_view>

#include "connectors/psp_http.hpp"
#include "lp/common/result.hpp"
#include "lp/connectors/connector.hpp"

namespace lp::connectors::adyen {

inline constexpr std::string_view kDisplayName = "Adyen";
inline constexpr std::string_view kTestBaseUrl = "https://checkout-test.adyen.com/v71";
// Live endpoints carry the merchant's prefix (Customer Area > Developers > API URLs).
inline constexpr std::string_view kLiveBaseUrlPattern =
    "https://{PREFIX}-checkout-live.adyenpayments.com/checkout/v71";

struct AuthParams {
  std::string_view api_key;
  std::string_view merchant_account;
};

// Errors: parameter_invalid / parameter_missing (no psp_reference for a modification, a
// non-positive amount, an invalid payment method, no return URL for a payment).
Result<PspRequest> BuildRequest(Operation op, const OperationRequest& request,
                                const AuthParams& auth);

// Maps Adyen's answer (any status) to a result or a connector error.
Result<OperationResult> ParseResponse(Operation op, const OperationRequest& request,
                                      const PspReply& reply);

// A refusal (refusalReasonCode, or the refusal reason text of a notification when there is no
// code) as a unified decline code.
std::string DeclineCodeForRefusal(std::string_view refusal_reason_code,
                                  std::string_view refusal_reason);

}  // namespace lp::connectors::adyen
