#include "merchants/connector_account_repository.hpp"

#include "lp/store/pagination.hpp"

namespace lp::merchants {

namespace {
connectors::Account ReadAccount(const store::Row& row) {
  connectors::Account a;
  a.id = row.Text(0);
  a.connector = row.Text(1);
  a.label = row.Text(2);
  a.base_url = row.IsNull(3) ? "" : row.Text(3);
  a.latency_ms = row.IsNull(4) ? -1 : row.Int(4);
  a.mode = ParseMode(row.Text(5)).value_or(Mode::kTest);
  if (!row.IsNull(6)) a.sealed_credentials = row.Text(6);
  if (!row.IsNull(7)) a.simulate = row.Text(7);
  if (!row.IsNull(8)) a.return_url = row.Text(8);
  return a;
}
}  // namespace

Result<std::vector<connectors::Account>> ActiveAccounts(store::Tx& tx,
                                                        const std::string& merchant_id, Mode mode) {
  std::vector<connectors::Account> out;
  auto r = tx.Query(
      "SELECT id, connector, label, base_url, latency_ms, mode, credentials_sealed, simulate, "
      "return_url FROM connector_accounts "
      "WHERE merchant_id = ? AND mode = ? AND status = 'active' ORDER BY created, id",
      {merchant_id, ToString(mode)}, [&](const store::Row& row) {
        out.push_back(ReadAccount(row));
        return true;
      });
  if (!r) return r.error();
  return out;
}

Result<std::optional<connectors::Account>> LoadAccount(store::Tx& tx, std::string_view id) {
  std::optional<connectors::Account> out;
  auto r = tx.Query(
      "SELECT id, connector, label, base_url, latency_ms, mode, credentials_sealed, simulate, "
      "return_url FROM connector_accounts WHERE id = ?",
      {id}, [&](const store::Row& row) {
        out = ReadAccount(row);
        return false;
      });
  if (!r) return r.error();
  return out;
}

Result<std::optional<OwnedAccount>> LoadOwnedAccount(store::Tx& tx, std::string_view id) {
  std::optional<OwnedAccount> out;
  auto r = tx.Query(
      "SELECT id, connector, label, base_url, latency_ms, mode, credentials_sealed, simulate, "
      "return_url, merchant_id, status FROM connector_accounts WHERE id = ?",
      {id}, [&](const store::Row& row) {
        out = OwnedAccount{ReadAccount(row), row.Text(9), row.Text(10)};
        return false;
      });
  if (!r) return r.error();
  return out;
}

Result<bool> MarkCredentialsRefused(store::Tx& tx, std::string_view id, int64_t now_us) {
  auto r = tx.Exec(
      "UPDATE connector_accounts SET last_error_code = 'connector_authentication_failed', "
      "last_error_at = ? WHERE id = ? AND last_error_code IS NULL",
      {now_us, id});
  if (!r) return r.error();
  return *r > 0;
}

namespace accounts_repo {

namespace {
constexpr std::string_view kCols =
    "id, connector, label, base_url, latency_ms, status, mode, credentials_fingerprint, "
    "credentials_last4, created, updated, simulate, return_url, last_error_code, last_error_at";

ConnectorAccount Read(const store::Row& r) {
  ConnectorAccount a;
  a.id = r.Text(0);
  a.connector = r.Text(1);
  a.label = r.Text(2);
  a.base_url = r.OptText(3);
  a.latency_ms = r.OptInt(4);
  a.status = r.Text(5);
  a.mode = ParseMode(r.Text(6)).value_or(Mode::kTest);
  a.credentials_fingerprint = r.OptText(7);
  a.credentials_last4 = r.OptText(8);
  a.created_us = r.Int(9);
  a.updated_us = r.OptInt(10);
  a.simulate = r.OptText(11);
  a.return_url = r.OptText(12);
  a.last_error_code = r.OptText(13);
  a.last_error_us = r.OptInt(14);
  return a;
}
}  // namespace

Result<void> Insert(store::Tx& tx, const NewRow& n) {
  auto r = tx.Exec(
      "INSERT INTO connector_accounts (id, merchant_id, mode, connector, label, "
      "credentials_sealed, credentials_fingerprint, credentials_last4, base_url, latency_ms, "
      "simulate, return_url, status, created, updated) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'active',?,?)",
      {n.id, n.merchant_id, ToString(n.mode), n.connector, n.label,
       n.credentials_blob ? store::Value::Blob(*n.credentials_blob) : store::Value(), n.fingerprint,
       n.last4, n.base_url, n.latency_ms, n.simulate, n.return_url, n.now_us, n.now_us});
  if (!r) return r.error();
  return {};
}

Result<std::optional<ConnectorAccount>> Load(store::Tx& tx, const Principal& p,
                                             std::string_view id) {
  std::optional<ConnectorAccount> out;
  auto r = tx.Query("SELECT " + std::string(kCols) +
                        " FROM connector_accounts WHERE id = ? AND merchant_id = ? AND mode = ? "
                        "AND status != 'deleted'",
                    {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
                      out = Read(row);
                      return false;
                    });
  if (!r) return r.error();
  return out;
}

Result<void> Update(store::Tx& tx, std::string_view id, const Changes& c, int64_t now_us) {
  // COALESCE keeps a column that is not being changed.
  auto r = tx.Exec(
      "UPDATE connector_accounts SET label = COALESCE(?, label), "
      "base_url = COALESCE(?, base_url), status = COALESCE(?, status), "
      "latency_ms = COALESCE(?, latency_ms), "
      "credentials_sealed = COALESCE(?, credentials_sealed), "
      "credentials_fingerprint = COALESCE(?, credentials_fingerprint), "
      "credentials_last4 = COALESCE(?, credentials_last4), "
      "return_url = COALESCE(?, return_url), updated = ? WHERE id = ?",
      {c.label, c.base_url, c.status, c.latency_ms,
       c.credentials_blob ? store::Value::Blob(*c.credentials_blob) : store::Value(), c.fingerprint,
       c.last4, c.return_url, now_us, id});
  if (!r) return r.error();
  if (c.credentials_blob) {
    // New credentials: the PSP's refusal of the old ones no longer says anything.
    auto cleared = tx.Exec(
        "UPDATE connector_accounts SET last_error_code = NULL, last_error_at = NULL WHERE id = ?",
        {id});
    if (!cleared) return cleared.error();
  }
  return {};
}

Result<void> MarkDeleted(store::Tx& tx, std::string_view id, int64_t now_us) {
  auto r = tx.Exec(
      "UPDATE connector_accounts SET status = 'deleted', credentials_sealed = NULL, "
      "updated = ? WHERE id = ?",
      {now_us, id});
  if (!r) return r.error();
  return {};
}

Result<Page<ConnectorAccount>> List(store::Tx& tx, const Principal& p, const ListParams& params) {
  Page<ConnectorAccount> page;
  auto more =
      store::ListPage(tx, {"connector_accounts", kCols, {}, "status != 'deleted'", true}, p, params,
                      [&](const store::Row& row) { page.items.push_back(Read(row)); });
  if (!more) return more.error();
  page.has_more = *more;
  return page;
}

}  // namespace accounts_repo
}  // namespace lp::merchants
