// Connector accounts: a merchant's PSP accounts. Credentials are write-only: sealed with the
// key ring (envelope encryption, associated data "connector_accounts:credentials:<id>") and
// shown only as a fingerprint and their last 4 characters.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>

#include "lp/common/clock.hpp"
#include "lp/common/result.hpp"
#include "lp/common/task.hpp"
#include "lp/core/model.hpp"
#include "lp/core/payments.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/store/store.hpp"

namespace lp::core {

struct AccountParams {
  std::optional<std::string> connector;  // create only: sandbox | stripe | adyen
  std::optional<std::string> label;
  std::optional<std::string> credentials_json;  // a validated JSON object of strings
  std::optional<std::string> base_url;
  std::optional<std::string> status;  // update only: active | disabled
  std::optional<int64_t> latency_ms;  // sandbox only
};

// Checks the credential fields a connector needs (PRODUCT.md §2); errors name the parameter.
Result<void> ValidateCredentials(std::string_view connector, const boost::json::object& creds);

class ConnectorAccountService {
 public:
  // `dev_mode` accepts any base_url (http and loopback included) for simulators.
  ConnectorAccountService(store::Store& store, const crypto::KeyRing& keyring, const Clock& clock,
                          bool dev_mode);

  Task<Result<ApiResult>> Create(const Principal& p, AccountParams params, Actor actor);
  Task<Result<ApiResult>> Update(const Principal& p, std::string id, AccountParams params,
                                 Actor actor);
  Task<Result<ApiResult>> Delete(const Principal& p, std::string id, Actor actor);
  Task<Result<ApiResult>> Get(const Principal& p, std::string id);
  Task<Result<ApiResult>> List(const Principal& p, ListParams params);

  // The decrypted credentials of an account (for connectors that call a PSP).
  Result<std::string> OpenCredentials(std::string_view account_id, std::string_view blob) const;

 private:
  store::Store& store_;
  const crypto::KeyRing& keyring_;
  const Clock& clock_;
  bool dev_mode_;
};

// Every column that holds a sealed secret: rotation re-wraps them, status counts them.
struct SealedColumn {
  std::string_view table;
  std::string_view id_column;
  std::string_view column;
};
const std::vector<SealedColumn>& SealedColumns();
std::string AssociatedData(const SealedColumn& c, std::string_view row_id);

struct SecretsReport {
  std::map<uint32_t, int64_t> by_version;  // how many secrets each key version protects
  int64_t unreadable = 0;                  // secrets that failed to open (should be 0)
  int64_t total = 0;
};
// Opens every sealed secret (to prove it still opens) and counts them per key version.
Result<SecretsReport> InspectSecrets(store::Store& store, const crypto::KeyRing& keyring);
// Re-wraps every secret not under the active version (data keys only; plaintexts never leave
// the key ring). Each row is updated only if it still holds the blob that was re-wrapped, so it
// is safe while servers run, and safe to interrupt and re-run. Returns rows re-wrapped.
Result<int64_t> RewrapSecrets(store::Store& store, const crypto::KeyRing& keyring);

}  // namespace lp::core
