// --dev: data dir, self-signed certificate, key ring, demo credentials and the banner.
#include "app/dev_mode.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "app/cli_common.hpp"
#include "app/files.hpp"
#include "lp/common/log.hpp"
#include "lp/common/random.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/http/server.hpp"
#include "lp/people/account_service.hpp"
#include "lp/people/operator_service.hpp"

namespace lp::app {

namespace fs = std::filesystem;
namespace json = boost::json;

Result<void> EnsureDevDataDir(const Config& c) {
  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec) return Error::Internal("cannot create data dir " + c.data_dir + ": " + ec.message());
  ::chmod(c.data_dir.c_str(), 0700);
  if (!fs::exists(c.CertFile()) || !fs::exists(c.KeyFile())) {
    fs::create_directories(fs::path(c.CertFile()).parent_path(), ec);
    fs::create_directories(fs::path(c.KeyFile()).parent_path(), ec);
    if (auto r = http::WriteSelfSignedCert(c.CertFile(), c.KeyFile()); !r) return r;
    log::Info("dev_certificate_created", {{"cert", c.CertFile()}});
  }
  auto k = crypto::FileKeyRing::CreateIfMissing(c.KeyringFile());
  if (!k) return k.error();
  return {};
}

namespace {

// Whether `creds[field]` is {"email","password"} naming an account of `kind` that still signs in
// with that password (blocking: one argon2id verification; start-up only).
bool DevAccountValid(store::Store& store, const json::object& creds, std::string_view field,
                     people::AccountKind kind) {
  const auto* v = creds.if_contains(field);
  if (!v || !v->is_object()) return false;
  const auto* email = v->as_object().if_contains("email");
  const auto* password = v->as_object().if_contains("password");
  if (!email || !email->is_string() || !password || !password->is_string()) return false;
  bool valid = false;
  (void)store.ReadSync([&](store::Tx& tx) -> Result<void> {
    auto ok = people::CheckAccountPasswordSync(tx, kind, std::string(email->as_string()),
                                               std::string_view(password->as_string()));
    if (!ok) return ok.error();
    valid = *ok;
    return {};
  });
  return valid;
}

}  // namespace

// --dev: a demo merchant with a sandbox account and a test key, its owner (a dashboard user) and
// a first operator, written to dev-credentials.json (0600). Only what is missing is created.
Result<json::object> EnsureDevCredentials(const Config& c, store::Store& store,
                                          merchants::ApiKeyService& keys,
                                          const people::PasswordPolicy& policy,
                                          const Clock& clock) {
  const std::string path = c.data_dir + "/dev-credentials.json";
  json::object creds;
  if (fs::exists(path)) {
    boost::system::error_code ec;
    auto v = json::parse(ReadFile(path), ec);
    if (!ec && v.is_object()) creds = v.as_object();
  }
  bool valid = false;
  if (auto* m = creds.if_contains("merchant_id"); m && m->is_string()) {
    if (auto* k = creds.if_contains("api_key"); k && k->is_string()) {
      (void)store.ReadSync([&](store::Tx& tx) -> Result<void> {
        auto is =
            keys.IsKeyOf(tx, std::string_view(k->as_string()), std::string_view(m->as_string()));
        if (!is) return is.error();
        valid = *is;
        return {};
      });
    }
  }
  bool changed = false;
  if (!valid) {
    std::string merchant_id, api_key;
    auto w = store.WriteSync([&](store::Tx& tx) -> Result<void> {
      auto m = merchants::CreateMerchant(tx, "Demo merchant", clock);
      if (!m) return m.error();
      merchant_id = *m;
      auto k = keys.Create(tx, merchant_id, Mode::kTest, merchants::KeyOptions{});
      if (!k) return k.error();
      api_key = k->secret;
      return {};
    });
    if (!w) return w.error();
    creds["merchant_id"] = merchant_id;
    creds["api_key"] = api_key;
    creds.erase("dashboard_user");  // the owner of the merchant that was replaced
    changed = true;
  }
  const Actor actor{"system", "dev", "local", ""};
  const struct {
    std::string_view field;
    people::AccountKind kind;
    std::string email;
    std::string role;
  } accounts[] = {
      {"dashboard_user", people::AccountKind::kUser, "owner@demo.example", "owner"},
      {"operator", people::AccountKind::kOperator, "operator@demo.example", "platform_admin"},
  };
  for (const auto& a : accounts) {
    if (DevAccountValid(store, creds, a.field, a.kind)) continue;
    people::AccountSpec spec;
    spec.kind = a.kind;
    spec.email = a.email;
    spec.role = a.role;
    if (a.kind == people::AccountKind::kUser)
      spec.merchant_id = std::string(creds["merchant_id"].as_string());
    auto prepared = people::PrepareAccount(policy, SystemRandom(), std::move(spec));
    if (!prepared) return prepared.error();
    // An account of that address from an earlier run whose password was lost: a new password.
    auto w = store.WriteSync([&](store::Tx& tx) -> Result<void> {
      auto r = people::UpsertDevAccount(tx, *prepared, actor, clock.NowMicros());
      if (!r) return r.error();
      return {};
    });
    if (!w) return w.error();
    creds[a.field] = json::object{{"email", a.email}, {"password", prepared->password.Expose()}};
    changed = true;
  }
  if (changed) {
    if (auto r = WriteFileAtomic(path, json::serialize(creds) + "\n", 0600); !r) return r.error();
  }
  return creds;
}

void PrintDevBanner(const Config& c, std::map<std::string, uint16_t> ports) {
  const auto host = [](const std::string& addr) {
    auto h = addr.substr(0, addr.rfind(':'));
    return (h == "0.0.0.0" || h.empty()) ? std::string("127.0.0.1") : h;
  };
  // The banner goes to stdout: stderr carries JSON log lines only.
  fmt::print(stdout,
             "\n  LiasonPay DEV MODE (self-signed certificate, sandbox PSP; not for real "
             "payments)\n"
             "  API:       https://{}:{}/v1/\n  Dashboard: https://{}:{}/\n"
             "  Ops:       https://{}:{}/healthz\n"
             "  Credentials (merchant id, test API key, dashboard owner, operator): "
             "{}/dev-credentials.json\n\n"
             "  Try:\n  curl --cacert {} https://localhost:{}/v1/payments \\\n"
             "    -H \"Authorization: Bearer $(python3 -c 'import "
             "json;print(json.load(open(\"{}/dev-credentials.json\"))[\"api_key\"])')\" \\\n"
             "    -H 'Content-Type: application/json' \\\n"
             "    -d '{{\"amount\":1000,\"currency\":\"usd\",\"payment_method\":\"tok_visa\","
             "\"confirm\":true}}'\n\n",
             host(c.api_addr), ports["api"], host(c.dashboard_addr), ports["dashboard"],
             host(c.ops_addr), ports["ops"], c.data_dir, c.CertFile(), ports["api"], c.data_dir);
  std::fflush(stdout);
}

}  // namespace lp::app
