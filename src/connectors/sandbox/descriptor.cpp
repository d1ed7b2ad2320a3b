#include <array>

#include "lp/connectors/sandbox.hpp"

namespace lp::connectors::sandbox {

namespace {

// Never sent anywhere: a merchant may keep a key on a sandbox account to try the last4 display.
constexpr std::array<CredentialField, 1> kCredentials = {{
    {"api_key", false, true, "Optional; the sandbox checks no credentials."},
}};

constexpr ConnectorDescriptor kDescriptor{
    .name = kSandbox,
    .display_name = "Sandbox",
    .credentials = kCredentials,
    .validate_credentials = nullptr,  // any of kCredentials, non-empty strings
    .accepts = &TakesPaymentMethod,
    .default_base_url = nullptr,  // in-process
    .make = nullptr,              // MakeBuiltinConnectors makes it over its ledger
    .verify_webhook = nullptr,    // it sends no webhooks
    .parse_webhook = nullptr,
    .webhook_ack = {},
    .shown_credential = "api_key",
    .requires_return_url = false,
    .credentials_required = false,
    .settings = {.return_url = false, .simulate = true, .latency_ms = true},
};

}  // namespace

const ConnectorDescriptor& Descriptor() { return kDescriptor; }

}  // namespace lp::connectors::sandbox
