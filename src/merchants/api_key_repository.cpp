#include "merchants/api_key_repository.hpp"

#include <boost/json.hpp>

#include "lp/store/pagination.hpp"

namespace lp::merchants::keys_repo {

namespace json = boost::json;

namespace {

std::vector<std::string> StringArray(const std::optional<std::string>& text) {
  std::vector<std::string> out;
  if (!text) return out;
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

std::optional<std::string> ArrayText(const std::vector<std::string>& v) {
  if (v.empty()) return std::nullopt;
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return json::serialize(a);
}

constexpr std::string_view kCols =
    "id, type, prefix, last4, scopes, allowed_cidrs, created, expires_at, revoked_at, "
    "last_used_at, last_used_ip, rolled_to, mode";

ApiKey ReadKey(const store::Row& row) {
  ApiKey k;
  k.id = row.Text(0);
  k.type = row.Text(1);
  k.prefix = row.Text(2);
  k.last4 = row.Text(3);
  k.scopes = StringArray(row.OptText(4));
  k.allowed_cidrs = StringArray(row.OptText(5));
  k.created_us = row.Int(6);
  k.expires_at_us = row.OptInt(7);
  k.revoked_at_us = row.OptInt(8);
  k.last_used_at_us = row.OptInt(9);
  k.last_used_ip = row.OptText(10);
  k.rolled_to = row.OptText(11);
  k.mode = ParseMode(row.Text(12)).value_or(Mode::kTest);
  return k;
}

}  // namespace

Result<void> Insert(store::Tx& tx, const NewRow& k) {
  auto r = tx.Exec(
      "INSERT INTO api_keys (id, merchant_id, mode, type, prefix, last4, hash, scopes, "
      "allowed_cidrs, created, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      {k.id, k.merchant_id, ToString(k.mode), k.type, k.prefix, k.last4, k.hash,
       ArrayText(k.scopes), ArrayText(k.allowed_cidrs), k.created_us, k.expires_at_us});
  if (!r) return r.error();
  return {};
}

Result<std::optional<ApiKey>> Load(store::Tx& tx, const Principal& p, std::string_view id) {
  std::optional<ApiKey> out;
  auto r = tx.Query("SELECT " + std::string(kCols) +
                        " FROM api_keys WHERE id = ? AND merchant_id = ? AND mode = ?",
                    {id, p.merchant_id, ToString(p.mode)}, [&](const store::Row& row) {
                      out = ReadKey(row);
                      return false;
                    });
  if (!r) return r.error();
  return out;
}

Result<int64_t> CountUsable(store::Tx& tx, const Principal& p, int64_t now_us) {
  int64_t n = 0;
  auto r = tx.Query(
      "SELECT COUNT(*) FROM api_keys WHERE merchant_id = ? AND mode = ? AND revoked_at IS NULL "
      "AND (expires_at IS NULL OR expires_at > ?)",
      {p.merchant_id, ToString(p.mode), now_us}, [&](const store::Row& row) {
        n = row.Int(0);
        return false;
      });
  if (!r) return r.error();
  return n;
}

Result<void> MarkRolled(store::Tx& tx, std::string_view id, std::string_view rolled_to,
                        std::optional<int64_t> revoked_at_us, int64_t expires_at_us) {
  auto u = revoked_at_us ? tx.Exec("UPDATE api_keys SET revoked_at = ?, rolled_to = ? WHERE id = ?",
                                   {*revoked_at_us, rolled_to, id})
                         : tx.Exec("UPDATE api_keys SET expires_at = ?, rolled_to = ? WHERE id = ?",
                                   {expires_at_us, rolled_to, id});
  if (!u) return u.error();
  return {};
}

Result<void> Revoke(store::Tx& tx, std::string_view id, int64_t now_us) {
  auto u = tx.Exec("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                   {now_us, id});
  if (!u) return u.error();
  return {};
}

Result<void> SetAllowedCidrs(store::Tx& tx, std::string_view id,
                             const std::vector<std::string>& cidrs) {
  auto u = tx.Exec("UPDATE api_keys SET allowed_cidrs = ? WHERE id = ?", {ArrayText(cidrs), id});
  if (!u) return u.error();
  return {};
}

Result<void> Touch(store::Tx& tx, std::string_view id, int64_t now_us, std::string_view ip) {
  auto r = tx.Exec("UPDATE api_keys SET last_used_at = ?, last_used_ip = ? WHERE id = ?",
                   {now_us, ip, id});
  if (!r) return r.error();
  return {};
}

Result<Page<ApiKey>> List(store::Tx& tx, const Principal& p, const ListParams& params) {
  Page<ApiKey> page;
  auto more = store::ListPage(tx, {"api_keys", kCols, {}, {}, false}, p, params,
                              [&](const store::Row& row) { page.items.push_back(ReadKey(row)); });
  if (!more) return more.error();
  page.has_more = *more;
  return page;
}

Result<std::optional<AuthRow>> FindUnrevokedByHash(store::Tx& tx, std::string_view hash) {
  std::optional<AuthRow> out;
  auto r = tx.Query(
      "SELECT k.id, k.merchant_id, k.mode, k.type, k.scopes, k.allowed_cidrs, k.expires_at, "
      "m.rate_limit_per_key, m.frozen FROM api_keys k JOIN merchants m ON m.id = k.merchant_id "
      "WHERE k.hash = ? AND k.revoked_at IS NULL",
      {hash}, [&](const store::Row& row) {
        AuthRow a;
        a.principal = Principal{row.Text(1),
                                ParseMode(row.Text(2)).value_or(Mode::kTest),
                                row.Text(0),
                                row.Text(3),
                                StringArray(row.OptText(4)),
                                StringArray(row.OptText(5)),
                                std::nullopt};
        if (!row.IsNull(7)) {
          double rate = 0;
          try {
            rate = std::stod(row.Text(7));
          } catch (...) {
          }
          a.principal.rate_limit = rate;
        }
        a.expires_at_us = row.OptInt(6);
        a.merchant_frozen = row.Int(8) != 0;
        out = std::move(a);
        return false;
      });
  if (!r) return r.error();
  return out;
}

Result<std::optional<StaleRow>> FindByHash(store::Tx& tx, std::string_view hash) {
  std::optional<StaleRow> out;
  auto r = tx.Query(
      "SELECT id, merchant_id, mode, revoked_at, expires_at FROM api_keys WHERE hash = ?", {hash},
      [&](const store::Row& row) {
        out = StaleRow{row.Text(0), row.Text(1), ParseMode(row.Text(2)).value_or(Mode::kTest),
                       row.OptInt(3), row.OptInt(4)};
        return false;
      });
  if (!r) return r.error();
  return out;
}

Result<bool> ExistsForMerchant(store::Tx& tx, std::string_view hash, std::string_view merchant_id) {
  bool found = false;
  auto r = tx.Query("SELECT 1 FROM api_keys WHERE hash = ? AND merchant_id = ?",
                    {hash, merchant_id}, [&](const store::Row&) {
                      found = true;
                      return false;
                    });
  if (!r) return r.error();
  return found;
}

}  // namespace lp::merchants::keys_repo
