// Stripe transformers: pure functions between LiasonPay's operations and Stripe's PaymentIntents
// and Refunds API (form-encoded, API version pinned to 2023-08-16, the version of the spec in
// test/psp/specs/stripe). No I/O; stripe_connector.cpp sends what these build.
//
// Requests carry `Authorization: Bearer <secret key>`, `Stripe-Version`, and on POSTs our attempt
// id as `Idempotency-Key`, so a repeated call never charges twice. PaymentIntents and refunds
// carry metadata[lp_attempt] (the attempt id) and metadata[lp_payment] (the payment id): the
// references webhooks and searches find them by.
#pragma once

#include <string>
#include <string_view>

#include "connectors/psp_http.hpp"
#include "lp/common/result.hpp"
#include "lp/connectors/connector.hpp"

namespace lp::connectors::stripe {

inline constexpr std::string_view kApiVersion = "2023-08-16";
inline constexpr std::string_view kBaseUrl = "https://api.stripe.com";  // test and live
inline constexpr std::string_view kDisplayName = "Stripe";
// Stripe keeps idempotency keys for 24 hours; a sync re-sends the identical request only while
// the key is surely remembered.
inline constexpr int64_t kIdempotencyKeyLifetimeSeconds = 23 * 3600;

// The request for an operation: POST /v1/payment_intents (create + confirm), …/{id}/capture,
// …/{id}/cancel, POST /v1/refunds. Errors: parameter_invalid (e.g. no psp_reference for a
// capture, a non-positive amount).
Result<PspRequest> BuildRequest(Operation op, const OperationRequest& request,
                                std::string_view secret_key);

// GET /v1/payment_intents/{id}.
PspRequest BuildRetrieve(std::string_view payment_intent, std::string_view secret_key);
// GET /v1/payment_intents/search?query=metadata['lp_attempt']:'<attempt>' (sync after the key
// expired). Stripe's search is eventually consistent (about a minute), which is long over then.
PspRequest BuildSearchByAttempt(std::string_view attempt_id, std::string_view secret_key);
// GET /v1/refunds?payment_intent=<id>&limit=100.
PspRequest BuildListRefunds(std::string_view payment_intent, std::string_view secret_key);

// Maps Stripe's answer to an operation (or to a retrieve made for a sync: `sync` = true, where a
// PaymentIntent still waiting for the operation means "no record of it"). Declines are results;
// unclear answers are errors (psp_error); see stripe_connector.cpp for the whole table.
Result<OperationResult> ParseResponse(Operation op, const OperationRequest& request,
                                      const PspReply& reply, bool sync = false);

// A search result or refund list from the sync requests above: the object that carries
// metadata[lp_attempt] == attempt id, mapped like ParseResponse(sync = true); psp_no_record if
// none does.
Result<OperationResult> ParseFound(Operation op, const OperationRequest& request,
                                   const PspReply& reply);

// The unified decline code for Stripe's error `code` and `decline_code`.
std::string UnifiedDeclineCode(std::string_view code, std::string_view decline_code);

}  // namespace lp::connectors::stripe
