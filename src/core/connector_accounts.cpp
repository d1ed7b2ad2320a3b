#include "lp/core/connector_accounts.hpp"

#include <boost/json.hpp>

#include "core/pagination.hpp"
#include "core/render.hpp"
#include "lp/audit/audit.hpp"
#include "lp/common/json_canonical.hpp"
#include "lp/common/random.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::core {

namespace json = boost::json;

const std::vector<SealedColumn>& SealedColumns() {
  static const std::vector<SealedColumn> kColumns = {
      {"connector_accounts", "id", "credentials_sealed"},
      {"webhook_endpoints", "id", "secret_sealed"},
      {"webhook_endpoints", "id", "old_secret_sealed"},
  };
  return kColumns;
}

std::string AssociatedData(const SealedColumn& c, std::string_view row_id) {
  return std::string(c.table) + ":" + std::string(c.column) + ":" + std::string(row_id);
}

namespace {

const SealedColumn& CredentialsColumn() { return SealedColumns()[0]; }

struct Required {
  std::string_view connector;
  std::vector<std::string_view> required, optional;
  std::string_view last4_field;
};
const std::vector<Required>& Specs() {
  static const std::vector<Required> kSpecs = {
      {"sandbox", {}, {"api_key"}, "api_key"},
      {"stripe", {"secret_key", "webhook_secret"}, {}, "secret_key"},
      {"adyen", {"api_key", "merchant_account", "hmac_key"}, {}, "api_key"},
  };
  return kSpecs;
}
const Required* SpecFor(std::string_view connector) {
  for (const auto& s : Specs()) {
    if (s.connector == connector) return &s;
  }
  return nullptr;
}

constexpr std::string_view kCols =
    "id, connector, label, base_url, latency_ms, status, mode, credentials_fingerprint, "
    "credentials_last4, created, updated";

json::object AccountJson(const store::Row& r) {
  json::object o;
  o["id"] = r.Text(0);
  o["object"] = "connector_account";
  o["connector"] = r.Text(1);
  o["label"] = r.Text(2);
  o["base_url"] = r.IsNull(3) ? json::value(nullptr) : json::value(r.Text(3));
  if (r.Text(1) == "sandbox") {
    o["latency_ms"] = r.IsNull(4) ? json::value(nullptr) : json::value(r.Int(4));
  }
  o["status"] = r.Text(5);
  o["livemode"] = r.Text(6) == "live";
  if (r.IsNull(7)) {
    o["credentials"] = nullptr;
  } else {
    o["credentials"] = json::object{{"fingerprint", r.Text(7)}, {"last4", r.Text(8)}};
  }
  o["created"] = r.Int(9) / 1'000'000;
  o["updated"] = r.IsNull(10) ? r.Int(9) / 1'000'000 : r.Int(10) / 1'000'000;
  return o;
}

Result<std::optional<std::string>> LoadJson(store::Tx& tx, const Principal& p, std::string_view id,
                                            std::string* connector = nullptr) {
  std::optional<std::string> out;
  auto r = tx.Query("SELECT " + std::string(kCols) +
                        " FROM connector_accounts WHERE id = ? AND merchant_id = ? AND mode = ? "
                        "AND status != 'deleted'",
                    {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
                      out = json::serialize(AccountJson(row));
                      if (connector) *connector = row.Text(1);
                      return false;
                    });
  if (!r) return r.error();
  return out;
}

Error NoSuchAccount(std::string_view id) {
  return Error::NotFound("No such connector account: '" + std::string(id) + "'", "id");
}

audit::Record AuditOf(const Actor& a, const Principal& p, std::string action, std::string target) {
  return audit::Record{a.type,        a.id,      std::move(action), std::move(target),
                       p.merchant_id, "success", a.source_ip,       a.request_id,
                       "{}"};
}

}  // namespace

Result<void> ValidateCredentials(std::string_view connector, const json::object& creds) {
  const Required* spec = SpecFor(connector);
  if (!spec) {
    return Error::Invalid("parameter_invalid", "connector must be sandbox, stripe or adyen.",
                          "connector");
  }
  for (const auto& kv : creds) {
    bool known = false;
    for (auto f : spec->required) known = known || f == kv.key();
    for (auto f : spec->optional) known = known || f == kv.key();
    const std::string param = "credentials." + std::string(kv.key());
    if (!known) return Error::Invalid("parameter_unknown", "Unknown credential field.", param);
    if (!kv.value().is_string() || kv.value().as_string().empty() ||
        kv.value().as_string().size() > 1000) {
      return Error::Invalid("parameter_invalid",
                            "Credential fields are non-empty strings of at most 1000 characters.",
                            param);
    }
  }
  for (auto f : spec->required) {
    if (!creds.contains(f)) {
      return Error::Invalid("parameter_missing", "Missing credential field.",
                            "credentials." + std::string(f));
    }
  }
  return {};
}

ConnectorAccountService::ConnectorAccountService(store::Store& store,
                                                 const crypto::KeyRing& keyring, const Clock& clock,
                                                 bool dev_mode)
    : store_(store), keyring_(keyring), clock_(clock), dev_mode_(dev_mode) {}

namespace {
// Seals credentials and computes what responses may show of them.
struct SealedCredentials {
  std::string blob, fingerprint, last4;
};
Result<SealedCredentials> SealCredentials(const crypto::KeyRing& keyring,
                                          std::string_view account_id, std::string_view connector,
                                          std::string_view creds_json) {
  SealedCredentials out;
  auto blob = keyring.Seal(creds_json, AssociatedData(CredentialsColumn(), account_id));
  if (!blob) return blob.error();
  out.blob = std::move(*blob);
  boost::system::error_code ec;
  auto v = json::parse(creds_json, ec);
  // Over the canonical form: the same credentials in another key order keep their fingerprint.
  const std::string mac = crypto::HmacSha256(keyring.ApiKeyPepper().view(),
                                             std::string("connector-credentials-fingerprint:") +
                                                 (ec ? std::string(creds_json) : CanonicalJson(v)));
  out.fingerprint = "fp_" + crypto::Hex(mac).substr(0, 16);
  const Required* spec = SpecFor(connector);
  if (!ec && v.is_object() && spec) {
    if (auto* f = v.as_object().if_contains(spec->last4_field); f && f->is_string()) {
      std::string_view s = f->as_string();
      // Short values would be shown whole: only long credentials get their last 4 shown.
      if (s.size() >= 12) out.last4 = std::string(s.substr(s.size() - 4));
    }
  }
  return out;
}
}  // namespace

Task<Result<ApiResult>> ConnectorAccountService::Create(const Principal& p, AccountParams params,
                                                        Actor actor) {
  ApiResult out;
  const std::string id = NewId("ca");
  const int64_t now = clock_.NowMicros();
  std::optional<SealedCredentials> sealed;
  if (params.credentials_json) {
    auto s = SealCredentials(keyring_, id, *params.connector, *params.credentials_json);
    if (!s) co_return s.error();
    sealed = std::move(*s);
  }
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec(
        "INSERT INTO connector_accounts (id, merchant_id, mode, connector, label, "
        "credentials_sealed, credentials_fingerprint, credentials_last4, base_url, latency_ms, "
        "status, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,'active',?,?)",
        {id, p.merchant_id, ToString(p.mode), *params.connector,
         params.label.value_or(std::string(*params.connector)),
         sealed ? store::Value::Blob(sealed->blob) : store::Value(),
         sealed ? store::Value(sealed->fingerprint) : store::Value(),
         sealed ? store::Value(sealed->last4) : store::Value(), params.base_url, params.latency_ms,
         now, now});
    if (!r) return r.error();
    auto j = LoadJson(tx, p, id);
    if (!j) return j.error();
    out.body = **j;
    return audit::Append(tx, AuditOf(actor, p, "connector_account.create", id), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<ApiResult>> ConnectorAccountService::Update(const Principal& p, std::string id,
                                                        AccountParams params, Actor actor) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  std::string connector;
  auto exists = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto j = LoadJson(tx, p, id, &connector);
    if (!j) return j.error();
    if (!*j) return NoSuchAccount(id);
    return {};
  });
  if (!exists) co_return exists.error();
  std::optional<SealedCredentials> sealed;
  if (params.credentials_json) {
    auto v = json::parse(*params.credentials_json);
    if (auto c = ValidateCredentials(connector, v.as_object()); !c) co_return c.error();
    auto s = SealCredentials(keyring_, id, connector, *params.credentials_json);
    if (!s) co_return s.error();
    sealed = std::move(*s);
  }
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto j = LoadJson(tx, p, id);
    if (!j) return j.error();
    if (!*j) return NoSuchAccount(id);
    if (params.label) {
      auto r = tx.Exec("UPDATE connector_accounts SET label = ? WHERE id = ?", {*params.label, id});
      if (!r) return r.error();
    }
    if (params.base_url) {
      auto r = tx.Exec("UPDATE connector_accounts SET base_url = ? WHERE id = ?",
                       {*params.base_url, id});
      if (!r) return r.error();
    }
    if (params.status) {
      auto r =
          tx.Exec("UPDATE connector_accounts SET status = ? WHERE id = ?", {*params.status, id});
      if (!r) return r.error();
    }
    if (params.latency_ms) {
      auto r = tx.Exec("UPDATE connector_accounts SET latency_ms = ? WHERE id = ?",
                       {*params.latency_ms, id});
      if (!r) return r.error();
    }
    if (sealed) {
      auto r = tx.Exec(
          "UPDATE connector_accounts SET credentials_sealed = ?, credentials_fingerprint = ?, "
          "credentials_last4 = ? WHERE id = ?",
          {store::Value::Blob(sealed->blob), sealed->fingerprint, sealed->last4, id});
      if (!r) return r.error();
    }
    auto r = tx.Exec("UPDATE connector_accounts SET updated = ? WHERE id = ?", {now, id});
    if (!r) return r.error();
    j = LoadJson(tx, p, id);
    if (!j) return j.error();
    out.body = **j;
    return audit::Append(
        tx,
        AuditOf(actor, p,
                sealed ? "connector_account.credentials_change" : "connector_account.update", id),
        now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<ApiResult>> ConnectorAccountService::Delete(const Principal& p, std::string id,
                                                        Actor actor) {
  ApiResult out;
  const int64_t now = clock_.NowMicros();
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto j = LoadJson(tx, p, id);
    if (!j) return j.error();
    if (!*j) return NoSuchAccount(id);
    // Payments keep referring to the account, so it is marked deleted and its credentials are
    // destroyed.
    auto r = tx.Exec(
        "UPDATE connector_accounts SET status = 'deleted', credentials_sealed = NULL, "
        "updated = ? WHERE id = ?",
        {now, id});
    if (!r) return r.error();
    out.body = json::serialize(
        json::object{{"id", id}, {"object", "connector_account"}, {"deleted", true}});
    return audit::Append(tx, AuditOf(actor, p, "connector_account.delete", id), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<ApiResult>> ConnectorAccountService::Get(const Principal& p, std::string id) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto j = LoadJson(tx, p, id);
    if (!j) return j.error();
    if (!*j) return NoSuchAccount(id);
    out.body = **j;
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<ApiResult>> ConnectorAccountService::List(const Principal& p, ListParams params) {
  ApiResult out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    json::array items;
    // Oldest first: the order routing tries them.
    auto listed =
        ListPage(tx, {"connector_accounts", kCols, {}, "status != 'deleted'", true}, p, params,
                 [&](const store::Row& row) { items.push_back(AccountJson(row)); });
    if (!listed) return listed.error();
    const bool more = *listed;
    out.body = RenderList(std::move(items), more, "/v1/connector_accounts");
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Result<std::string> ConnectorAccountService::OpenCredentials(std::string_view account_id,
                                                             std::string_view blob) const {
  auto r = keyring_.Open(blob, AssociatedData(CredentialsColumn(), account_id));
  if (!r) return r.error();
  return std::string(r->view());
}

Result<SecretsReport> InspectSecrets(store::Store& store, const crypto::KeyRing& keyring) {
  SecretsReport rep;
  for (const auto& c : SealedColumns()) {
    auto r = store.ReadSync([&](store::Tx& tx) -> Result<void> {
      return tx.Query("SELECT " + std::string(c.id_column) + ", " + std::string(c.column) +
                          " FROM " + std::string(c.table) + " WHERE " + std::string(c.column) +
                          " IS NOT NULL",
                      {}, [&](const store::Row& row) {
                        ++rep.total;
                        const std::string blob = row.Text(1);
                        auto v = crypto::KeyRing::VersionOf(blob);
                        auto opened = keyring.Open(blob, AssociatedData(c, row.Text(0)));
                        if (!v || !opened) {
                          ++rep.unreadable;
                        } else {
                          ++rep.by_version[*v];
                        }
                        return true;
                      });
    });
    if (!r) return r.error();
  }
  return rep;
}

Result<int64_t> RewrapSecrets(store::Store& store, const crypto::KeyRing& keyring) {
  int64_t done = 0;
  const uint32_t active = keyring.ActiveVersion();
  for (const auto& c : SealedColumns()) {
    for (;;) {
      // A batch of rows still under an old version.
      std::vector<std::pair<std::string, std::string>> batch;
      auto r = store.ReadSync([&](store::Tx& tx) -> Result<void> {
        return tx.Query("SELECT " + std::string(c.id_column) + ", " + std::string(c.column) +
                            " FROM " + std::string(c.table) + " WHERE " + std::string(c.column) +
                            " IS NOT NULL",
                        {}, [&](const store::Row& row) {
                          std::string blob = row.Text(1);
                          auto v = crypto::KeyRing::VersionOf(blob);
                          if (v && *v != active) batch.emplace_back(row.Text(0), std::move(blob));
                          return batch.size() < 200;
                        });
      });
      if (!r) return r.error();
      if (batch.empty()) break;
      std::vector<std::tuple<std::string, std::string, std::string>> updates;
      for (auto& [id, blob] : batch) {
        auto nb = keyring.Rewrap(blob, AssociatedData(c, id));
        if (!nb)
          return Error::Internal("cannot re-wrap " + std::string(c.table) + " " + id + ": " +
                                 nb.error().message);
        updates.emplace_back(id, std::move(blob), std::move(*nb));
      }
      int64_t rewrapped = 0;
      auto w = store.WriteSync([&](store::Tx& tx) -> Result<void> {
        rewrapped = 0;
        for (const auto& [id, old_blob, new_blob] : updates) {
          // Only if unchanged since it was read: a concurrent credential change wins.
          auto u = tx.Exec("UPDATE " + std::string(c.table) + " SET " + std::string(c.column) +
                               " = ? WHERE " + std::string(c.id_column) + " = ? AND " +
                               std::string(c.column) + " = ?",
                           {store::Value::Blob(new_blob), id, store::Value::Blob(old_blob)});
          if (!u) return u.error();
          rewrapped += *u;
        }
        return {};
      });
      if (!w) return w.error();
      done += rewrapped;
    }
  }
  return done;
}

}  // namespace lp::core
