// `liasonpay merchant create` and `liasonpay operator create`.
#include "app/accounts_cli.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <optional>

#include "app/cli_common.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/random.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/people/account_service.hpp"
#include "lp/people/operator_service.hpp"

namespace lp::app {

namespace json = boost::json;

int CreateMerchantCommand(const Config& c, const std::string& name, const std::string& mode,
                          const std::string& owner_email) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto keyring = crypto::KeyRing::Load(c.KeyringFile());
  if (!keyring) return Fail(KeyringError(c, keyring.error()));
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  SystemClock clock;
  merchants::ApiKeyService keys(
      **store, Secret<std::string>(std::string((*keyring)->ApiKeyPepper().view())), clock);
  // The owner's initial password is hashed before the transaction (argon2id is slow).
  std::optional<people::PasswordPolicy> policy;
  std::optional<people::PreparedAccount> owner;
  if (!owner_email.empty()) {
    policy.emplace();
    people::AccountSpec spec;
    spec.kind = people::AccountKind::kUser;
    spec.email = owner_email;
    spec.role = "owner";
    auto prepared = people::PrepareAccount(*policy, SystemRandom(), std::move(spec));
    if (!prepared) {
      (*store)->Close();
      return Fail("--owner-email: " + prepared.error().message);
    }
    owner = std::move(*prepared);
  }
  std::string merchant_id, key;
  std::optional<people::CreatedAccount> created;
  auto w = (*store)->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto m = merchants::CreateMerchant(tx, name, clock);
    if (!m) return m.error();
    merchant_id = *m;
    auto k = keys.Create(tx, merchant_id, mode == "live" ? Mode::kLive : Mode::kTest,
                         merchants::KeyOptions{});
    if (!k) return k.error();
    key = k->secret;
    if (owner) {
      owner->spec.merchant_id = merchant_id;
      auto a = people::InsertAccount(tx, *owner, Actor{"operator", "cli", "local", ""},
                                     clock.NowMicros());
      if (!a) return a.error();
      created = std::move(*a);
    }
    return {};
  });
  (*store)->Close();
  if (!w) return Fail(w.error().detail.empty() ? w.error().message : w.error().detail);
  json::object out{{"merchant_id", merchant_id}, {"api_key", key}};
  if (created) {
    json::object o{{"id", created->user_id}, {"email", created->email}, {"role", "owner"}};
    // An address that already had an account keeps its password (none is printed).
    if (!created->password.Expose().empty()) o["password"] = created->password.Expose();
    out["owner"] = std::move(o);
  }
  fmt::print("{}\n", json::serialize(out));
  log::Flush();
  return 0;
}

int CreateOperatorCommand(const Config& c, const std::string& email, const std::string& role) {
  log::Init(ParseLevel(c.log_level), c.log_file);
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail);
  people::PasswordPolicy policy;
  SystemClock clock;
  people::AccountSpec spec;
  spec.kind = people::AccountKind::kOperator;
  spec.email = email;
  spec.role = role;
  auto a = people::CreateAccountSync(**store, policy, SystemRandom(), clock, std::move(spec),
                                     Actor{"operator", "cli", "local", ""});
  (*store)->Close();
  if (!a) return Fail(a.error().detail.empty() ? a.error().message : a.error().detail);
  // The generated initial password is printed this once (MFA enrolment follows at sign-in).
  fmt::print("{}\n", json::serialize(json::object{{"operator_id", a->user_id},
                                                  {"email", a->email},
                                                  {"role", role},
                                                  {"password", a->password.Expose()}}));
  log::Flush();
  return 0;
}

}  // namespace lp::app
