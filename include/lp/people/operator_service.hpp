// Operators (platform staff, ops listener): their merchant list and the freeze of a merchant
// (docs/dashboard-api.md §9), and account provisioning for the CLI and `serve --dev`: an
// operator with a generated initial password, a merchant's owner.
#pragma once

#include <optional>
#include <string>

#include "lp/common/api_result.hpp"
#include "lp/common/principal.hpp"
#include "lp/people/account_service.hpp"

namespace lp::people {

// `liasonpay merchant freeze|unfreeze` (PRODUCT.md §1): the same change and audit record as
// the ops API's freeze, by someone with access to the host (actor `operator`/`cli:<user>`);
// blocking, for the command line. 404 for an unknown merchant; `reason` 1–500 characters.
Result<MerchantSummary> SetMerchantFrozenSync(store::Store& store, const Clock& clock,
                                              const std::string& merchant_id,
                                              const std::string& reason, bool frozen,
                                              const std::string& actor_id);

class OperatorService {
 public:
  explicit OperatorService(Deps deps);

  // merchants:read. Newest first, cursor by merchant id; with member counts.
  Task<Result<Page<MerchantSummary>>> ListMerchants(const Caller& caller, ListParams params);
  Task<Result<MerchantSummary>> GetMerchant(const Caller& caller, std::string merchant_id);
  // merchants:write, step-up; `reason` 1–500 characters. Every key and session of the merchant
  // is then refused with 403 merchant_frozen (the pipeline reads merchants.frozen).
  Task<Result<MerchantSummary>> Freeze(const Caller& caller, std::string merchant_id,
                                       std::string reason, RequestContext context);
  Task<Result<MerchantSummary>> Unfreeze(const Caller& caller, std::string merchant_id,
                                         std::string reason, RequestContext context);

 private:
  Task<Result<MerchantSummary>> SetFrozen(const Caller& caller, std::string merchant_id,
                                          std::string reason, bool frozen, RequestContext context);
  Deps deps_;
};

// ---- provisioning (blocking: CLI commands and start-up, never an I/O thread) ----

// A password that meets every rule for both kinds: 24 characters of base62 from the CSPRNG
// (~143 bits) with at least one letter and one digit.
std::string GeneratePassword(Random& random);

struct AccountSpec {
  AccountKind kind = AccountKind::kUser;
  std::string email;
  // Users: the merchant and the role in it ("owner" for `merchant create` and `--dev`).
  std::string merchant_id;
  std::string role = "owner";           // operators: platform_admin | support | security_auditor
  std::optional<std::string> password;  // none: GeneratePassword
};

// A password checked against the rules (or generated) and hashed, ready for InsertAccount.
struct PreparedAccount {
  AccountSpec spec;
  Secret<std::string> password;  // the plaintext, to print once
  std::string password_hash;
};
// Checks the e-mail address, the role and the password rules (400 errors naming `email`,
// `role`, `password`), then hashes (argon2id, blocking).
Result<PreparedAccount> PrepareAccount(const PasswordPolicy& policy, Random& random,
                                       AccountSpec spec,
                                       const crypto::PasswordHashParams& params = {});
// Creates the account inside the caller's transaction (e.g. with the merchant it owns) and
// audits it with `actor` (the CLI: {"system", "cli", …}). A user whose address already has an
// account gets the membership only (`password` comes back empty: the existing one stays);
// an operator address already in use is 409 already_exists.
Result<CreatedAccount> InsertAccount(store::Tx& tx, const PreparedAccount& account,
                                     const Actor& actor, int64_t now_us);
// PrepareAccount + InsertAccount in one write transaction (`liasonpay operator create`).
Result<CreatedAccount> CreateAccountSync(store::Store& store, const PasswordPolicy& policy,
                                         Random& random, const Clock& clock, AccountSpec spec,
                                         const Actor& actor,
                                         const crypto::PasswordHashParams& params = {});

// `serve --dev`: whether `email` names an account of `kind` whose password is `password`
// (blocking argon2id verification).
Result<bool> CheckAccountPasswordSync(store::Tx& tx, AccountKind kind, const std::string& email,
                                      std::string_view password);
// `serve --dev`: InsertAccount, except that an existing account of that address takes the
// prepared password (the credentials file was lost) and a user gets the membership if missing.
Result<void> UpsertDevAccount(store::Tx& tx, const PreparedAccount& account, const Actor& actor,
                              int64_t now_us);

}  // namespace lp::people
