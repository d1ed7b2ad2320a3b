// Connector accounts: a merchant's PSP accounts. Credentials are write-only: sealed with the
// key ring (envelope encryption, associated data "connector_accounts:credentials:<id>") and
// shown only as a fingerprint and their last 4 characters.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "lp/common/api_result.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/principal.hpp"
#include "lp/common/result.hpp"
#include "lp/common/task.hpp"
#include "lp/connectors/connector.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/store/sealed_columns.hpp"
#include "lp/store/store.hpp"

namespace lp::merchants {

struct AccountParams {
  std::optional<std::string> connector;  // create only: sandbox | stripe | adyen
  std::optional<std::string> label;
  std::optional<std::string> credentials_json;  // a validated JSON object of strings
  std::optional<std::string> base_url;
  std::optional<std::string> status;      // update only: active | disabled
  std::optional<int64_t> latency_ms;      // sandbox only
  std::optional<std::string> simulate;    // sandbox only, create only: options.simulate
  std::optional<std::string> return_url;  // options.return_url (Adyen, Stripe redirects)
};

// The merchant's active accounts in creation order (routing), and one account by id.
Result<std::vector<connectors::Account>> ActiveAccounts(store::Tx& tx,
                                                        const std::string& merchant_id, Mode mode);
Result<std::optional<connectors::Account>> LoadAccount(store::Tx& tx, std::string_view id);

// An account by id whatever its merchant, with its owner and status: for the inbound PSP
// webhook route, where the URL names the account and the signature (its credentials) proves the
// caller. nullopt when no such account exists.
struct OwnedAccount {
  connectors::Account account;
  std::string merchant_id;
  std::string status;  // active | disabled | suspended (by an operator) | deleted
};
Result<std::optional<OwnedAccount>> LoadOwnedAccount(store::Tx& tx, std::string_view id);

// The PSP refused the account's credentials (401/403): marks the account (`last_error`, shown
// by GET /v1/connector_accounts/{id} until its credentials are replaced). Returns whether it was
// not marked before (the caller audits that transition once).
Result<bool> MarkCredentialsRefused(store::Tx& tx, std::string_view id, int64_t now_us);

// Opens `account.sealed_credentials` (as loaded above) into `account.credentials`, for a PSP
// call. An account without stored credentials keeps none. Errors never contain a value.
Result<void> OpenAccountCredentials(const crypto::KeyRing& keyring, connectors::Account& account);

// Checks the credential fields a connector needs for an account in `mode` (PRODUCT.md §2): the
// connectors' descriptors decide (formats, a live key refused on a test account; the sandbox's:
// its field list only); errors name the parameter and never contain a value.
Result<void> ValidateCredentials(std::string_view connector, const boost::json::object& creds,
                                 Mode mode);

// A connector account as the merchant sees it: credentials only as fingerprint and last 4.
struct ConnectorAccount {
  std::string id;
  std::string connector;
  std::string label;
  std::optional<std::string> base_url;
  std::optional<int64_t> latency_ms;
  std::optional<std::string> simulate;  // sandbox: unavailable | soft_decline | timeout
  std::string status;                   // active | disabled | suspended (by an operator) | deleted
  Mode mode = Mode::kTest;
  std::optional<std::string> credentials_fingerprint, credentials_last4;
  std::optional<std::string> return_url;  // options.return_url
  // Set when the PSP refused the credentials (connector_authentication_failed); cleared when
  // they are replaced.
  std::optional<std::string> last_error_code;
  std::optional<int64_t> last_error_us;
  int64_t created_us = 0;
  std::optional<int64_t> updated_us;
};

// The sealed column of the credentials (associated data
// "connector_accounts:credentials_sealed:<id>").
inline constexpr store::SealedColumn kCredentialsColumn{"connector_accounts", "id",
                                                        "credentials_sealed"};

class ConnectorAccountService {
 public:
  // `dev_mode` accepts any base_url (http and loopback included) for simulators.
  ConnectorAccountService(store::Store& store, const crypto::KeyRing& keyring, const Clock& clock,
                          bool dev_mode);

  Task<Result<ConnectorAccount>> Create(const Principal& p, AccountParams params, Actor actor);
  Task<Result<ConnectorAccount>> Update(const Principal& p, std::string id, AccountParams params,
                                        Actor actor);
  // The account is kept (payments refer to it) as `deleted`; its credentials are destroyed.
  Task<Result<void>> Delete(const Principal& p, std::string id, Actor actor);
  Task<Result<ConnectorAccount>> Get(const Principal& p, std::string id);
  Task<Result<Page<ConnectorAccount>>> List(const Principal& p, ListParams params);

 private:
  store::Store& store_;
  const crypto::KeyRing& keyring_;
  const Clock& clock_;
  bool dev_mode_;
};

}  // namespace lp::merchants
