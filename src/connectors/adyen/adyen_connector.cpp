#include "connectors/adyen/adyen_connector.hpp"

#include "connectors/adyen/payment_method.hpp"
#include "connectors/adyen/transformers.hpp"
#include "connectors/psp_http.hpp"
#include "lp/connectors/adyen.hpp"

namespace lp::connectors::adyen {

Result<std::string> BaseUrlFor(Mode mode, const Credentials& credentials) {
  if (mode == Mode::kTest) return std::string(kTestBaseUrl);
  const std::string_view prefix = credentials.Get("live_url_prefix");
  if (prefix.empty()) {
    return Error::Invalid("parameter_missing", "A live Adyen account needs live_url_prefix.",
                          "credentials.live_url_prefix");
  }
  std::string url(kLiveBaseUrlPattern);
  url.replace(url.find("{PREFIX}"), 8, prefix);
  return url;
}

bool AdyenConnector::Accepts(std::string_view pm) const { return Descriptor().accepts(pm); }

Task<Result<OperationResult>> AdyenConnector::Execute(const Account& account, Operation op,
                                                      const OperationRequest& in) {
  const AuthParams auth{account.credentials.Get("api_key"),
                        account.credentials.Get("merchant_account")};
  if (auth.api_key.empty() || auth.merchant_account.empty()) {
    co_return Error{ErrorType::kInvalidRequest, std::string(kConnectorAuthenticationFailed),
                    "The Adyen connector account has no api_key or merchant_account.",
                    "connector_account", "adyen: credentials incomplete"};
  }
  OperationRequest req = in;
  if (req.return_url.empty()) req.return_url = account.return_url;
  std::string base = account.base_url;
  if (base.empty()) {
    auto b = BaseUrlFor(account.mode, account.credentials);
    if (!b) co_return b.error();
    base = std::move(*b);
  }
  auto built = BuildRequest(op, req, auth);
  if (!built) co_return built.error();
  auto reply =
      co_await SendToPsp(client_, std::move(base), std::move(*built), timeout_ms_, kDisplayName);
  if (!reply) co_return reply.error();
  co_return ParseResponse(op, req, *reply);
}

Task<Result<OperationResult>> AdyenConnector::Sync(const Account& account, Operation op,
                                                   const OperationRequest& request) {
  // An authorization is replayed only with its encrypted card, which LiasonPay never stores:
  // without it the replay would be refused (and read as "nothing charged") although the first
  // call may have authorised. It stays unclear; Adyen's AUTHORISATION notification settles it.
  if (op == Operation::kAuthorize && !ParsePaymentMethod(request.payment_method)) {
    co_return Error{ErrorType::kUnavailable,
                    std::string(kPspError),
                    "The outcome is settled by Adyen's notification.",
                    {},
                    "adyen: authorization sync waits for the notification"};
  }
  co_return co_await Execute(account, op, request);  // same Idempotency-Key: the stored answer
}

}  // namespace lp::connectors::adyen
