#include "lp/merchants/connector_accounts.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "lp/audit/audit.hpp"
#include "lp/common/json_canonical.hpp"
#include "lp/common/random.hpp"
#include "lp/connectors/descriptor.hpp"
#include "lp/crypto/hash.hpp"
#include "merchants/audit_record.hpp"
#include "merchants/connector_account_repository.hpp"

namespace lp::merchants {

namespace json = boost::json;

namespace {

Error UnknownConnector() {
  return Error::Invalid("parameter_invalid",
                        "connector must be " + connectors::KnownConnectorsText() + ".",
                        "connector");
}

Error NoSuchAccount(std::string_view id) {
  return Error::NotFound("No such connector account: '" + std::string(id) + "'", "id");
}

using internal::AuditOf;

// A connector without credential rules of its own (the sandbox): every field one of its list, a
// non-empty string of at most 1000 characters; the required ones present.
Result<void> CheckListedFields(std::span<const connectors::CredentialField> spec,
                               const json::object& creds) {
  for (const auto& kv : creds) {
    const bool known =
        std::any_of(spec.begin(), spec.end(), [&](const auto& f) { return f.name == kv.key(); });
    const std::string param = "credentials." + std::string(kv.key());
    if (!known) return Error::Invalid("parameter_unknown", "Unknown credential field.", param);
    if (!kv.value().is_string() || kv.value().as_string().empty() ||
        kv.value().as_string().size() > 1000) {
      return Error::Invalid("parameter_invalid",
                            "Credential fields are non-empty strings of at most 1000 characters.",
                            param);
    }
  }
  for (const auto& f : spec) {
    if (f.required && !creds.contains(f.name)) {
      return Error::Invalid("parameter_missing", "Missing credential field.",
                            "credentials." + std::string(f.name));
    }
  }
  return {};
}

}  // namespace

Result<void> ValidateCredentials(std::string_view connector, const json::object& creds, Mode mode) {
  const auto* d = connectors::FindDescriptor(connector);
  if (!d) return UnknownConnector();
  if (!d->validate_credentials) return CheckListedFields(d->credentials, creds);
  // A PSP's own rules (fields, formats, the key's mode) live in its descriptor.
  connectors::Credentials c;
  for (const auto& kv : creds) {
    if (!kv.value().is_string()) {
      return Error::Invalid("parameter_invalid", "Credential fields are strings.",
                            "credentials." + std::string(kv.key()));
    }
    c.Set(std::string(kv.key()), std::string(kv.value().as_string()));
  }
  return d->validate_credentials(c, mode);
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
  auto blob = keyring.Seal(creds_json, store::AssociatedData(kCredentialsColumn, account_id));
  if (!blob) return blob.error();
  out.blob = std::move(*blob);
  boost::system::error_code ec;
  auto v = json::parse(creds_json, ec);
  // Over the canonical form: the same credentials in another key order keep their fingerprint.
  const std::string mac = crypto::HmacSha256(keyring.ApiKeyPepper().view(),
                                             std::string("connector-credentials-fingerprint:") +
                                                 (ec ? std::string(creds_json) : CanonicalJson(v)));
  out.fingerprint = "fp_" + crypto::Hex(mac).substr(0, 16);
  const auto* d = connectors::FindDescriptor(connector);
  const std::string_view shown = d ? d->shown_credential : std::string_view();
  if (!ec && v.is_object() && !shown.empty()) {
    if (auto* f = v.as_object().if_contains(shown); f && f->is_string()) {
      std::string_view s = f->as_string();
      // Short values would be shown whole: only long credentials get their last 4 shown.
      if (s.size() >= 12) out.last4 = std::string(s.substr(s.size() - 4));
    }
  }
  return out;
}
}  // namespace

Task<Result<ConnectorAccount>> ConnectorAccountService::Create(const Principal& p,
                                                               AccountParams params, Actor actor) {
  ConnectorAccount out;
  const std::string id = NewId("ca");
  const int64_t now = clock_.NowMicros();
  accounts_repo::NewRow row;
  row.id = id;
  row.merchant_id = p.merchant_id;
  row.mode = p.mode;
  row.connector = *params.connector;
  row.label = params.label.value_or(std::string(*params.connector));
  row.base_url = params.base_url;
  row.latency_ms = params.latency_ms;
  row.simulate = params.simulate;
  row.return_url = params.return_url;
  row.now_us = now;
  if (params.credentials_json) {
    auto s = SealCredentials(keyring_, id, *params.connector, *params.credentials_json);
    if (!s) co_return s.error();
    row.credentials_blob = std::move(s->blob);
    row.fingerprint = std::move(s->fingerprint);
    row.last4 = std::move(s->last4);
  }
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    if (auto r = accounts_repo::Insert(tx, row); !r) return r;
    auto a = accounts_repo::Load(tx, p, id);
    if (!a) return a.error();
    out = std::move(**a);
    return audit::Append(tx, AuditOf(actor, p, "connector_account.create", id), now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<ConnectorAccount>> ConnectorAccountService::Update(const Principal& p, std::string id,
                                                               AccountParams params, Actor actor) {
  ConnectorAccount out;
  const int64_t now = clock_.NowMicros();
  std::string connector;
  auto exists = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto a = accounts_repo::Load(tx, p, id);
    if (!a) return a.error();
    if (!*a) return NoSuchAccount(id);
    connector = (*a)->connector;
    return {};
  });
  if (!exists) co_return exists.error();
  const auto* d = connectors::FindDescriptor(connector);
  if (params.return_url && d && !d->settings.return_url) {
    co_return Error::Invalid("parameter_invalid",
                             "options.return_url applies to PSP accounts only.",
                             "options.return_url");
  }
  accounts_repo::Changes changes;
  changes.label = params.label;
  changes.base_url = params.base_url;
  changes.status = params.status;
  changes.return_url = params.return_url;
  changes.latency_ms = params.latency_ms;
  if (params.credentials_json) {
    auto v = json::parse(*params.credentials_json);
    if (auto c = ValidateCredentials(connector, v.as_object(), p.mode); !c) co_return c.error();
    auto s = SealCredentials(keyring_, id, connector, *params.credentials_json);
    if (!s) co_return s.error();
    changes.credentials_blob = std::move(s->blob);
    changes.fingerprint = std::move(s->fingerprint);
    changes.last4 = std::move(s->last4);
  }
  auto w = co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto a = accounts_repo::Load(tx, p, id);
    if (!a) return a.error();
    if (!*a) return NoSuchAccount(id);
    // An operator suspended it (incident containment): only an operator re-enables it.
    if ((*a)->status == "suspended" && changes.status) {
      return Error::Conflict("account_suspended",
                             "This connector account was suspended by LiasonPay; contact support "
                             "to re-enable it.");
    }
    if (auto r = accounts_repo::Update(tx, id, changes, now); !r) return r;
    a = accounts_repo::Load(tx, p, id);
    if (!a) return a.error();
    out = std::move(**a);
    return audit::Append(tx,
                         AuditOf(actor, p,
                                 changes.credentials_blob ? "connector_account.credentials_change"
                                                          : "connector_account.update",
                                 id),
                         now);
  });
  if (!w) co_return w.error();
  co_return out;
}

Task<Result<void>> ConnectorAccountService::Delete(const Principal& p, std::string id,
                                                   Actor actor) {
  const int64_t now = clock_.NowMicros();
  co_return co_await store::Write(store_, [&](store::Tx& tx) -> Result<void> {
    auto a = accounts_repo::Load(tx, p, id);
    if (!a) return a.error();
    if (!*a) return NoSuchAccount(id);
    // Payments keep referring to the account, so it is marked deleted and its credentials are
    // destroyed.
    if (auto r = accounts_repo::MarkDeleted(tx, id, now); !r) return r;
    return audit::Append(tx, AuditOf(actor, p, "connector_account.delete", id), now);
  });
}

Task<Result<ConnectorAccount>> ConnectorAccountService::Get(const Principal& p, std::string id) {
  ConnectorAccount out;
  auto r = co_await store::Read(store_, [&](store::Tx& tx) -> Result<void> {
    auto a = accounts_repo::Load(tx, p, id);
    if (!a) return a.error();
    if (!*a) return NoSuchAccount(id);
    out = std::move(**a);
    return {};
  });
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<Page<ConnectorAccount>>> ConnectorAccountService::List(const Principal& p,
                                                                   ListParams params) {
  Page<ConnectorAccount> out;
  auto r = co_await store::ReadInto(
      store_, out, [&](store::Tx& tx) { return accounts_repo::List(tx, p, params); });
  if (!r) co_return r.error();
  co_return out;
}

Result<void> OpenAccountCredentials(const crypto::KeyRing& keyring, connectors::Account& account) {
  if (account.sealed_credentials.empty()) return {};
  auto plain = keyring.Open(account.sealed_credentials,
                            store::AssociatedData(kCredentialsColumn, account.id));
  if (!plain) return plain.error();
  boost::system::error_code ec;
  auto v = json::parse(plain->view(), ec);
  if (ec || !v.is_object()) {
    return Error::Internal("connector account " + account.id + ": credentials are not an object");
  }
  connectors::Credentials creds;
  for (const auto& kv : v.as_object()) {
    if (kv.value().is_string())
      creds.Set(std::string(kv.key()), std::string(kv.value().as_string()));
  }
  // The parsed tree held copies of the values: wipe them before it is freed.
  for (auto& kv : v.as_object()) {
    if (kv.value().is_string()) {
      auto& s = kv.value().as_string();
      std::fill(s.begin(), s.end(), '\0');
    }
  }
  account.credentials = std::move(creds);
  return {};
}

}  // namespace lp::merchants
