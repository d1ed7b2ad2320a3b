// Stripe connector: I/O glue around the pure transformers (transformers.hpp). Stateless.
//
// Outcome table (transformers.cpp):
//   PaymentIntent succeeded -> captured; requires_capture -> authorized; requires_action ->
//   requires action (next_action kept); processing -> pending; requires_payment_method ->
//   declined (last_payment_error); 402 card_error -> declined (decline_code unified, soft/hard);
//   401/403 -> connector_authentication_failed; 400/404 invalid_request_error -> psp_rejected;
//   409, 429, 5xx, idempotency_error, malformed bodies -> psp_error (unclear); transport: see
//   psp_http.hpp.
//
// Sync (an earlier call whose outcome is unknown):
//   - authorize with a known PaymentIntent id: GET /v1/payment_intents/{id};
//   - otherwise, while Stripe still remembers the idempotency key (attempt younger than 23 h):
//     the IDENTICAL request is sent again with the same Idempotency-Key. Stripe answers with the
//     stored result of the first call if it ran (nothing is charged twice), or runs it now if it
//     never arrived (which is what the attempt was for). A stored 5xx is replayed as such and
//     stays unclear: the next sync after the key expired decides;
//   - after that: authorize searches PaymentIntents by metadata['lp_attempt'] (none: no record);
//     capture/cancel read the PaymentIntent (still requires_capture: no record); a refund is
//     looked up in the PaymentIntent's refunds by metadata lp_attempt.
#pragma once

#include "lp/common/clock.hpp"
#include "lp/connectors/connector.hpp"
#include "lp/net/psp_client.hpp"

namespace lp::connectors::stripe {

class StripeConnector final : public Connector {
 public:
  StripeConnector(net::PspClient& client, const Clock& clock, int64_t timeout_ms)
      : client_(client), clock_(clock), timeout_ms_(timeout_ms) {}
  std::string_view Name() const override { return "stripe"; }
  bool Accepts(std::string_view payment_method) const override;
  Task<Result<OperationResult>> Execute(const Account& account, Operation op,
                                        const OperationRequest& request) override;
  Task<Result<OperationResult>> Sync(const Account& account, Operation op,
                                     const OperationRequest& request) override;

 private:
  net::PspClient& client_;
  const Clock& clock_;
  int64_t timeout_ms_;
};

}  // namespace lp::connectors::stripe
