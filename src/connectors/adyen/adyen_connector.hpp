// Adyen connector: I/O glue around the pure transformers (transformers.hpp). Stateless.
//
// Outcome table (transformers.cpp): resultCode Authorised -> authorized (manual capture) or
// captured (automatic: captureDelayHours 0); Refused -> declined (refusalReasonCode unified,
// soft/hard); Cancelled -> declined payment_cancelled; Error -> declined processing_error (soft);
// Pending/Received -> pending; RedirectShopper/IdentifyShopper/ChallengeShopper/PresentToShopper
// -> requires action (the `action` object kept); anything else -> psp_error (unclear).
// Modifications (capture, cancel, refund) answer `received` -> pending until the notification.
// 401/403 -> connector_authentication_failed; 400/404/422 -> psp_rejected; 5xx/429 -> psp_error.
//
// Sync: Checkout has no endpoint to read a payment. Adyen keeps idempotency keys for at least
// 7 days and answers a repeated request with the stored response, so Sync re-sends the IDENTICAL
// request with the same Idempotency-Key (a call that never arrived runs now, once). Whatever
// stays unclear is settled by the notification (AUTHORISATION, CAPTURE, …).
#pragma once

#include "lp/connectors/connector.hpp"
#include "lp/net/psp_client.hpp"

namespace lp::connectors::adyen {

class AdyenConnector final : public Connector {
 public:
  AdyenConnector(net::PspClient& client, int64_t timeout_ms)
      : client_(client), timeout_ms_(timeout_ms) {}
  std::string_view Name() const override { return "adyen"; }
  bool Accepts(std::string_view payment_method) const override;
  Task<Result<OperationResult>> Execute(const Account& account, Operation op,
                                        const OperationRequest& request) override;
  Task<Result<OperationResult>> Sync(const Account& account, Operation op,
                                     const OperationRequest& request) override;

 private:
  net::PspClient& client_;
  int64_t timeout_ms_;
};

// The account's base URL: its override, else the documented one for its mode (live needs
// credentials.live_url_prefix).
Result<std::string> BaseUrlFor(Mode mode, const Credentials& credentials);

}  // namespace lp::connectors::adyen
