#include <algorithm>
#include <array>

#include "connectors/credential_checks.hpp"
#include "connectors/stripe/stripe_connector.hpp"
#include "connectors/stripe/transformers.hpp"
#include "connectors/stripe/webhooks.hpp"
#include "lp/connectors/stripe.hpp"

namespace lp::connectors::stripe {

namespace {

constexpr std::array<CredentialField, 2> kCredentials = {{
    {"secret_key", true, true,
     "Secret (sk_…) or restricted (rk_…) API key; sk_test_/rk_test_ on test accounts, "
     "sk_live_/rk_live_ on live ones."},
    {"webhook_secret", true, true, "The signing secret (whsec_…) of the webhook endpoint."},
}};

bool IdChars(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Result<void> Validate(const Credentials& c, Mode mode) {
  if (auto ok = CheckFields(kCredentials, c); !ok) return ok;
  const std::string_view key = c.Get("secret_key");
  const bool live = mode == Mode::kLive;
  const bool right_mode = live ? (key.starts_with("sk_live_") || key.starts_with("rk_live_"))
                               : (key.starts_with("sk_test_") || key.starts_with("rk_test_"));
  if (!right_mode || key.size() < 16 || !IdChars(key)) {
    return CredentialInvalid("secret_key",
                             live ? "A live account takes a sk_live_ or rk_live_ key."
                                  : "A test account takes a sk_test_ or rk_test_ key.");
  }
  const std::string_view whsec = c.Get("webhook_secret");
  if (!whsec.starts_with("whsec_") || whsec.size() < 16) {
    return CredentialInvalid("webhook_secret", "The webhook secret starts with whsec_.");
  }
  return {};
}

bool Accepts(std::string_view pm) {
  return pm.starts_with("pm_") && pm.size() > 3 && pm.size() <= 255 && IdChars(pm);
}

Result<std::string> DefaultBaseUrl(Mode, const Credentials&) {
  return std::string(kBaseUrl);  // one host; the key decides test or live
}

Result<ConnectorPtr> Make(const ConnectorContext& ctx) {
  if (!ctx.psp_client || !ctx.clock) return Error::Internal("stripe: no PSP client or clock");
  return ConnectorPtr(
      std::make_unique<StripeConnector>(*ctx.psp_client, *ctx.clock, ctx.timeout_ms));
}

Result<std::vector<PspEvent>> Parse(std::string_view body) { return ParseEvent(body); }

constexpr ConnectorDescriptor kDescriptor{
    .name = "stripe",
    .display_name = kDisplayName,
    .credentials = kCredentials,
    .validate_credentials = &Validate,
    .accepts = &Accepts,
    .default_base_url = &DefaultBaseUrl,
    .make = &Make,
    .verify_webhook = &VerifyWebhook,
    .parse_webhook = &Parse,
    .webhook_ack = {200, "application/json", R"({"received":true})"},
    .shown_credential = "secret_key",
};

}  // namespace

const ConnectorDescriptor& Descriptor() { return kDescriptor; }

}  // namespace lp::connectors::stripe
