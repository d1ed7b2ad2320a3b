// Unified decline codes: every connector maps its PSP's refusal vocabulary (Stripe decline_code
// and error code, Adyen refusalReasonCode) to these, so merchants and routing see one language.
// The words are Stripe's (the reference for developer experience) where Stripe has one.
//
// Soft declines may succeed on another PSP or later (issuer unreachable, insufficient funds, a
// generic "do not honor"); routing may cascade them. Hard declines say something about the card
// itself (stolen, lost, expired, wrong number, fraud) and must not be retried anywhere: retrying
// them is what card testers do. A code not in the table is hard.
#pragma once

#include <string_view>

namespace lp::connectors::declines {

inline constexpr std::string_view kGeneric = "generic_decline";
inline constexpr std::string_view kInsufficientFunds = "insufficient_funds";
inline constexpr std::string_view kDoNotHonor = "do_not_honor";
inline constexpr std::string_view kTryAgainLater = "try_again_later";
inline constexpr std::string_view kProcessingError = "processing_error";
inline constexpr std::string_view kIssuerNotAvailable = "issuer_not_available";
inline constexpr std::string_view kAuthenticationRequired = "authentication_required";
inline constexpr std::string_view kStolenCard = "stolen_card";
inline constexpr std::string_view kLostCard = "lost_card";
inline constexpr std::string_view kFraudulent = "fraudulent";
inline constexpr std::string_view kPickupCard = "pickup_card";
inline constexpr std::string_view kIncorrectNumber = "incorrect_number";
inline constexpr std::string_view kExpiredCard = "expired_card";
inline constexpr std::string_view kIncorrectCvc = "incorrect_cvc";
inline constexpr std::string_view kCancelled = "payment_cancelled";

struct DeclineInfo {
  std::string_view code;
  bool soft;
  std::string_view message;  // safe to show to a merchant (and a shopper)
};

// The table entry for a unified code; unknown codes give {code, false, generic message}.
DeclineInfo Describe(std::string_view code);
inline bool IsSoft(std::string_view code) { return Describe(code).soft; }

}  // namespace lp::connectors::declines
