#include <algorithm>
#include <array>

#include "connectors/adyen/adyen_connector.hpp"
#include "connectors/adyen/payment_method.hpp"
#include "connectors/adyen/transformers.hpp"
#include "connectors/adyen/webhooks.hpp"
#include "connectors/credential_checks.hpp"
#include "lp/connectors/adyen.hpp"

namespace lp::connectors::adyen {

namespace {

constexpr std::array<CredentialField, 4> kCredentials = {{
    {"api_key", true, true, "API key of the web service user (X-API-Key)."},
    {"merchant_account", true, false, "The merchant account the payments are made on."},
    {"hmac_key", true, true, "HMAC key of the Standard webhook (64 hexadecimal characters)."},
    {"live_url_prefix", false, false,
     "Live only: the prefix of the live endpoint (Customer Area > Developers > API URLs)."},
}};

bool AllOf(std::string_view s, bool (*ok)(char)) { return std::all_of(s.begin(), s.end(), ok); }

Result<void> Validate(const Credentials& c, Mode mode) {
  if (auto ok = CheckFields(kCredentials, c); !ok) return ok;
  const std::string_view account = c.Get("merchant_account");
  if (account.size() > 80 || !AllOf(account, [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
      })) {
    return CredentialInvalid("merchant_account",
                             "A merchant account name has letters, digits, '_', '-' and '.'.");
  }
  const std::string_view hmac = c.Get("hmac_key");
  if (hmac.size() != 64 ||
      !AllOf(hmac, [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; })) {
    return CredentialInvalid("hmac_key", "The HMAC key is 64 hexadecimal characters.");
  }
  const std::string_view prefix = c.Get("live_url_prefix");
  if (!prefix.empty() && (prefix.size() > 100 || !AllOf(prefix, [](char ch) {
                            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-';
                          }))) {
    return CredentialInvalid("live_url_prefix",
                             "The live URL prefix has letters, digits and '-' only.");
  }
  if (mode == Mode::kLive && prefix.empty()) {
    return Error::Invalid("parameter_missing", "A live Adyen account needs live_url_prefix.",
                          "credentials.live_url_prefix");
  }
  return {};
}

bool Accepts(std::string_view pm) {
  return pm.starts_with("{") && ParsePaymentMethod(pm).has_value();
}

Result<ConnectorPtr> Make(const ConnectorContext& ctx) {
  if (!ctx.psp_client) return Error::Internal("adyen: no PSP client");
  return ConnectorPtr(std::make_unique<AdyenConnector>(*ctx.psp_client, ctx.timeout_ms));
}

constexpr ConnectorDescriptor kDescriptor{
    .name = "adyen",
    .display_name = kDisplayName,
    .credentials = kCredentials,
    .validate_credentials = &Validate,
    .accepts = &Accepts,
    .default_base_url = &BaseUrlFor,
    .make = &Make,
    .verify_webhook = &VerifyWebhook,
    .parse_webhook = &ParseNotification,
    .webhook_ack = {200, "text/plain", "[accepted]"},
    .shown_credential = "api_key",
    .requires_return_url = true,
};

}  // namespace

const ConnectorDescriptor& Descriptor() { return kDescriptor; }

}  // namespace lp::connectors::adyen
