// ConnectorDescriptor: everything the rest of LiasonPay needs to know about one connector (a PSP
// integration or the in-process sandbox), in one constant that its folder provides
// (connectors/<psp>/) and builtin.cpp lists with one line. Connector accounts (which connectors
// exist, credential validation, the settings an account takes, what responses show), routing
// (which payment methods it takes), the composition root (the factory) and the inbound webhook
// route (verify, parse, answer) read the descriptors instead of knowing connector names.
//
// Owns: the shape of a PSP integration. Must not touch: the store, HTTP servers. Everything here
// is pure except the factory's product (the Connector, which does I/O through net::PspClient).
// No Beast, SQLite or OpenSSL headers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/connectors/connector.hpp"

namespace lp {
class Clock;
}
namespace lp::net {
class PspClient;
}

namespace lp::connectors {

struct CredentialField {
  std::string_view name;  // the key in `credentials: {…}`
  bool required = true;   // in every mode (see validate_credentials for mode-dependent rules)
  bool secret = true;     // false: configuration that may be shown (merchant_account, prefixes)
  std::string_view description;
};

// An inbound PSP webhook exactly as received: the raw body bytes (never re-serialised) and the
// request headers with lower-case names.
struct WebhookRequest {
  std::string_view body;
  std::span<const std::pair<std::string, std::string>> headers;
  std::string_view Header(std::string_view lower_case_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_case_name) return v;
    }
    return {};
  }
};

enum class PspEventAction {
  kApply,   // `result` is the PSP's statement of the operation's outcome
  kSync,    // something changed for `payment_reference`, but the event does not say what: sync
  kIgnore,  // acknowledged, nothing to do (types LiasonPay does not use)
};

// One event a PSP told us about, in LiasonPay's terms.
struct PspEvent {
  // Deduplication key, unique per connector account: Stripe's event id (evt_…); for Adyen
  // "<eventCode>:<pspReference>:<success>" (Adyen resends an item with the same pspReference and
  // eventCode; a later success=true after success=false is a different statement).
  std::string event_id;
  std::string type;  // the PSP's own type: "payment_intent.succeeded", "CAPTURE", …
  PspEventAction action = PspEventAction::kIgnore;
  Operation operation = Operation::kAuthorize;  // the operation it settles
  // kApply: the outcome. A failed operation is Outcome::kDeclined with decline_code and message
  // (for a capture or refund: the PSP refused it); psp_reference is the operation's reference at
  // the PSP (refund id, Adyen modification pspReference, else the payment's).
  OperationResult result;
  std::string payment_reference;  // the payment at the PSP (PaymentIntent id, Adyen pspReference)
  std::string our_reference;      // what we sent as our reference, if echoed (attempt id)
  int64_t amount = -1;            // minor units; -1 = not stated
  std::string currency;           // ISO 4217 upper case; empty = not stated
  bool livemode = false;          // the PSP's live flag: must match the account's mode
  int64_t created = 0;            // unix seconds; 0 = not stated
};

// What the webhook route answers once a request was verified (and its events handled).
struct WebhookAck {
  int status = 200;
  std::string_view content_type;
  std::string_view body;
};

// What a factory gets from the composition root. Plain values: connectors are stateless.
struct ConnectorContext {
  net::PspClient* psp_client = nullptr;  // the shared PSP connection pool
  const Clock* clock = nullptr;          // wall time (Sync ages, webhook tolerance)
  int64_t timeout_ms = 10000;            // per PSP call (--psp-timeout-ms)
};

// The settings of a connector account besides its credentials and base_url that a connector
// takes. The API refuses the others ("… applies to … accounts only"); responses show these only.
struct AccountSettings {
  bool return_url = true;   // options.return_url: where a redirected customer comes back (PSPs)
  bool simulate = false;    // options.simulate: a forced failure, set at creation (the sandbox)
  bool latency_ms = false;  // latency_ms: the simulated PSP's latency (the sandbox)
};

struct ConnectorDescriptor {
  std::string_view name;          // "stripe": the `connector` value of a connector account
  std::string_view display_name;  // "Stripe": for messages ("Stripe refused the credentials…")
  std::span<const CredentialField> credentials;
  // Field presence, types and formats, plus rules that depend on the mode (a Stripe live key on a
  // test account is refused). Errors are Error::Invalid naming `credentials.<field>`; messages
  // never contain a credential value. nullptr: no rules beyond the list (the sandbox):
  // merchants::ValidateCredentials checks that every field is one of `credentials`, a non-empty
  // string of at most 1000 characters, and that the required ones are present.
  Result<void> (*validate_credentials)(const Credentials& credentials, Mode mode);
  // Whether a payment method (the string form the API stores) is one this PSP takes. Routing
  // without rules keeps the accounts whose connector accepts the payment's method.
  bool (*accepts)(std::string_view payment_method);
  // The PSP's documented endpoint for the mode (Adyen live URLs carry a per-merchant prefix from
  // the credentials); a connector account's base_url overrides it. nullptr: no endpoint (the
  // in-process sandbox).
  Result<std::string> (*default_base_url)(Mode mode, const Credentials& credentials);
  // nullptr: made by MakeBuiltinConnectors itself (the sandbox, over the ledger it owns).
  Result<ConnectorPtr> (*make)(const ConnectorContext& context);
  // Verifies an inbound webhook on its raw bytes with the account's credentials, before anything
  // is parsed for use. `now` is unix seconds (timestamp tolerance). Error codes:
  // webhook_signature_invalid (bad, missing or stale signature), webhook_secret_missing (the
  // account has no secret: fail closed), webhook_malformed. nullptr (and parse_webhook nullptr):
  // the connector sends no webhooks (the sandbox); its accounts have no webhook route (404).
  Result<void> (*verify_webhook)(const Credentials& credentials, const WebhookRequest& request,
                                 int64_t now);
  // Parses a verified webhook body into events (Adyen batches several items in one request).
  Result<std::vector<PspEvent>> (*parse_webhook)(std::string_view body);
  WebhookAck webhook_ack;
  // The credential field whose last 4 characters responses show (`last4`).
  std::string_view shown_credential;
  // Whether a payment needs a return URL (its own or the account's options.return_url) before
  // it is sent: Adyen refuses payments without one.
  bool requires_return_url = false;
  // Whether an account is created with `credentials` (the sandbox's are optional).
  bool credentials_required = true;
  AccountSettings settings;
};

// The descriptors of the built-in connectors (builtin.cpp: the sandbox, then the PSPs), and one
// by its `connector` name (nullptr for unknown names).
std::span<const ConnectorDescriptor* const> BuiltinDescriptors();
const ConnectorDescriptor* FindDescriptor(std::string_view name);

// The in-process sandbox PSP's `connector` name (PRODUCT.md §8): the account every new merchant
// gets. Everything else about it is its descriptor's (connectors/sandbox/descriptor.cpp).
inline constexpr std::string_view kSandbox = "sandbox";
// Whether `name` is a connector an account may be made for: a built-in descriptor's.
bool IsKnownConnector(std::string_view name);
// "sandbox, stripe or adyen": the descriptors' names, for error messages.
const std::string& KnownConnectorsText();

// The payment-method forms (PRODUCT.md §2, §6), shared by the descriptors:
//   tok_…                  sandbox tokens
//   pm_…                   Stripe PaymentMethod ids
//   {"type":"scheme",…}    Adyen encrypted card fields: the `paymentMethod` object that Adyen's
//                          Web Drop-in/Components give the merchant (`state.data.paymentMethod`),
//                          passed through as a JSON object in our `payment_method` parameter and
//                          kept as its canonical JSON text (adyen/payment_method.hpp validates it).

}  // namespace lp::connectors
