#include "lp/connectors/decline_codes.hpp"

#include <array>

namespace lp::connectors::declines {

namespace {

// clang-format off
constexpr std::array<DeclineInfo, 33> kTable = {{
  // Soft: the issuer or the network may say yes later or through another acquirer.
  {kGeneric,                      true,  "The card was declined."},
  {kInsufficientFunds,            true,  "The card has insufficient funds."},
  {kDoNotHonor,                   true,  "The card was declined."},
  {kTryAgainLater,                true,  "The card was declined; try again later."},
  {kProcessingError,              true,  "An error occurred while processing the card."},
  {kIssuerNotAvailable,           true,  "The card issuer could not be reached."},
  {kAuthenticationRequired,       true,  "The card requires authentication (3-D Secure)."},
  {"approve_with_id",             true,  "The payment could not be authorized."},
  {"reenter_transaction",         true,  "The payment could not be processed; try again."},
  {"card_velocity_exceeded",      true,  "The card's limit was exceeded."},
  {"withdrawal_count_limit_exceeded", true, "The card's limit was exceeded."},
  {"call_issuer",                 true,  "The card was declined; the cardholder should call the issuer."},
  {"card_not_supported",          true,  "The card does not support this kind of purchase."},
  {"currency_not_supported",      true,  "The card does not support this currency."},
  {"offline_pin_required",        true,  "The card requires a PIN."},
  {"online_or_offline_pin_required", true, "The card requires a PIN."},
  // Hard: about the card itself; never retried elsewhere.
  {kStolenCard,                   false, "The card was declined."},
  {kLostCard,                     false, "The card was declined."},
  {kFraudulent,                   false, "The card was declined."},
  {kPickupCard,                   false, "The card was declined."},
  {kIncorrectNumber,              false, "The card number is incorrect."},
  {kExpiredCard,                  false, "The card has expired."},
  {kIncorrectCvc,                 false, "The card's security code is incorrect."},
  {"incorrect_pin",               false, "The PIN is incorrect."},
  {"pin_try_exceeded",            false, "The PIN was entered wrongly too often."},
  {"invalid_account",             false, "The card or account is invalid."},
  {"restricted_card",             false, "The card was declined."},
  {"revocation_of_authorization", false, "The card was declined."},
  {"security_violation",          false, "The card was declined."},
  {"transaction_not_allowed",     false, "The card does not allow this payment."},
  {"invalid_amount",              false, "The amount is invalid for this card."},
  {"do_not_try_again",            false, "The card was declined."},
  {kCancelled,                    false, "The payment was cancelled."},
}};
// clang-format on

}  // namespace

DeclineInfo Describe(std::string_view code) {
  for (const auto& d : kTable) {
    if (d.code == code) return d;
  }
  return {code, false, "The card was declined."};
}

}  // namespace lp::connectors::declines
