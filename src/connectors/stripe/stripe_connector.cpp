#include "connectors/stripe/stripe_connector.hpp"

#include "connectors/psp_http.hpp"
#include "connectors/stripe/transformers.hpp"
#include "connectors/stripe/webhooks.hpp"
#include "lp/connectors/stripe.hpp"

namespace lp::connectors::stripe {

namespace {

std::string BaseUrl(const Account& account) {
  return account.base_url.empty() ? std::string(kBaseUrl) : account.base_url;
}

Error NoSecretKey() {
  return Error{ErrorType::kInvalidRequest, std::string(kConnectorAuthenticationFailed),
               "The Stripe connector account has no secret_key.", "connector_account",
               "stripe: no secret_key"};
}

OperationRequest WithReturnUrl(const Account& account, OperationRequest req) {
  if (req.return_url.empty()) req.return_url = account.return_url;
  return req;
}

}  // namespace

bool StripeConnector::Accepts(std::string_view pm) const { return Descriptor().accepts(pm); }

Task<Result<OperationResult>> StripeConnector::Execute(const Account& account, Operation op,
                                                       const OperationRequest& in) {
  const std::string_view key = account.credentials.Get("secret_key");
  if (key.empty()) co_return NoSecretKey();
  const OperationRequest req = WithReturnUrl(account, in);
  auto built = BuildRequest(op, req, key);
  if (!built) co_return built.error();
  auto reply =
      co_await SendToPsp(client_, BaseUrl(account), std::move(*built), timeout_ms_, kDisplayName);
  if (!reply) co_return reply.error();
  co_return ParseResponse(op, req, *reply);
}

Task<Result<OperationResult>> StripeConnector::Sync(const Account& account, Operation op,
                                                    const OperationRequest& in) {
  const std::string_view key = account.credentials.Get("secret_key");
  if (key.empty()) co_return NoSecretKey();
  const OperationRequest req = WithReturnUrl(account, in);
  const std::string base = BaseUrl(account);
  if (op == Operation::kAuthorize && !req.psp_reference.empty()) {
    auto reply = co_await SendToPsp(client_, base, BuildRetrieve(req.psp_reference, key),
                                    timeout_ms_, kDisplayName);
    if (!reply) co_return reply.error();
    co_return ParseResponse(op, req, *reply, /*sync=*/true);
  }
  const int64_t age = clock_.NowSeconds() - req.attempt_created;
  if (req.attempt_created > 0 && age < kIdempotencyKeyLifetimeSeconds) {
    co_return co_await Execute(account, op, req);  // same key: replayed or run once
  }
  PspRequest lookup;
  bool found_in_list = false;
  switch (op) {
    case Operation::kAuthorize:
      lookup = BuildSearchByAttempt(req.idempotency_key, key);
      found_in_list = true;
      break;
    case Operation::kRefund:
      if (req.psp_reference.empty()) co_return BuildRequest(op, req, key).error();
      lookup = BuildListRefunds(req.psp_reference, key);
      found_in_list = true;
      break;
    case Operation::kCapture:
    case Operation::kVoid:
      if (req.psp_reference.empty()) co_return BuildRequest(op, req, key).error();
      lookup = BuildRetrieve(req.psp_reference, key);
      break;
  }
  auto reply = co_await SendToPsp(client_, base, std::move(lookup), timeout_ms_, kDisplayName);
  if (!reply) co_return reply.error();
  if (found_in_list) co_return ParseFound(op, req, *reply);
  co_return ParseResponse(op, req, *reply, /*sync=*/true);
}

}  // namespace lp::connectors::stripe
