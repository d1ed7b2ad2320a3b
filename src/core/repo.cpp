#include "core/repo.hpp"

#include <boost/json.hpp>

#include "lp/common/random.hpp"

namespace lp::core::repo {

namespace json = boost::json;

std::optional<Mode> ParseMode(std::string_view s) {
  if (s == "test") return Mode::kTest;
  if (s == "live") return Mode::kLive;
  return std::nullopt;
}

namespace {

constexpr std::string_view kPaymentCols =
    "id, merchant_id, mode, amount, currency, status, capture_method, payment_method, "
    "description, metadata, amount_capturable, amount_received, amount_refunded, "
    "connector_account_id, connector, psp_reference, last_error, routing, version, created, "
    "updated";

Payment ReadPayment(const store::Row& r) {
  Payment p;
  p.id = r.Text(0);
  p.merchant_id = r.Text(1);
  p.mode = ParseMode(r.Text(2)).value_or(Mode::kTest);
  p.amount = r.Int(3);
  p.currency = r.Text(4);
  p.status = ParsePaymentStatus(r.Text(5)).value_or(PaymentStatus::kProcessing);
  p.capture_method = r.Text(6) == "manual" ? CaptureMethod::kManual : CaptureMethod::kAutomatic;
  p.payment_method = r.OptText(7);
  p.description = r.OptText(8);
  p.metadata = r.IsNull(9) ? "{}" : r.Text(9);
  p.amount_capturable = r.Int(10);
  p.amount_received = r.Int(11);
  p.amount_refunded = r.Int(12);
  p.connector_account_id = r.OptText(13);
  p.connector = r.OptText(14);
  p.psp_reference = r.OptText(15);
  if (!r.IsNull(16)) {
    boost::system::error_code ec;
    auto v = json::parse(r.Text(16), ec);
    if (!ec && v.is_object()) {
      auto s = [&](const char* k) {
        auto* x = v.as_object().if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
      };
      p.last_error = LastError{s("code"), s("decline_code"), s("message")};
    }
  }
  p.routing = r.OptText(17);
  p.version = r.Int(18);
  p.created = r.Int(19);
  p.updated = r.Int(20);
  return p;
}

std::optional<std::string> LastErrorText(const Payment& p) {
  if (!p.last_error) return std::nullopt;
  return json::serialize(json::object{{"code", p.last_error->code},
                                      {"decline_code", p.last_error->decline_code},
                                      {"message", p.last_error->message}});
}

Result<std::optional<Payment>> LoadWhere(Tx& tx, const std::string& sql,
                                         std::vector<store::Value> params) {
  std::optional<Payment> out;
  auto r = tx.QueryV(sql, params, [&](const store::Row& row) {
    out = ReadPayment(row);
    return false;
  });
  if (!r) return r.error();
  if (!out) return out;
  std::vector<Attempt> attempts;
  auto ar = tx.Query(
      "SELECT id, payment_id, seq, operation, connector, connector_account_id, status, amount, "
      "psp_reference, decline_code, error_code, error_message, latency_us, routing_reason, "
      "idempotency_key, created, updated FROM payment_attempts WHERE payment_id = ? ORDER BY seq",
      {out->id}, [&](const store::Row& row) {
        Attempt a;
        a.id = row.Text(0);
        a.payment_id = row.Text(1);
        a.seq = row.Int(2);
        a.operation = row.Text(3);
        a.connector = row.Text(4);
        a.connector_account_id = row.IsNull(5) ? "" : row.Text(5);
        a.status = row.Text(6);
        a.amount = row.Int(7);
        a.psp_reference = row.OptText(8);
        a.decline_code = row.OptText(9);
        a.error_code = row.OptText(10);
        a.error_message = row.OptText(11);
        a.latency_us = row.OptInt(12);
        a.routing_reason = row.IsNull(13) ? "" : row.Text(13);
        a.idempotency_key = row.Text(14);
        a.created = row.Int(15);
        a.updated = row.Int(16);
        attempts.push_back(std::move(a));
        return true;
      });
  if (!ar) return ar.error();
  out->attempts = std::move(attempts);
  return out;
}

}  // namespace

Result<std::optional<Payment>> LoadPayment(Tx& tx, const std::string& merchant_id, Mode mode,
                                           std::string_view id) {
  static const std::string sql = "SELECT " + std::string(kPaymentCols) +
                                 " FROM payments WHERE id = ? AND merchant_id = ? AND mode = ?";
  return LoadWhere(tx, sql, {id, merchant_id, ToString(mode)});
}

Result<std::optional<Payment>> LoadPaymentById(Tx& tx, std::string_view id) {
  static const std::string sql =
      "SELECT " + std::string(kPaymentCols) + " FROM payments WHERE id = ?";
  return LoadWhere(tx, sql, {id});
}

Result<void> InsertPayment(Tx& tx, const Payment& p) {
  auto r = tx.Exec(
      "INSERT INTO payments (id, merchant_id, mode, amount, currency, status, capture_method, "
      "payment_method, description, metadata, amount_capturable, amount_received, "
      "amount_refunded, connector_account_id, connector, psp_reference, last_error, routing, "
      "version, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      {p.id,
       p.merchant_id,
       ToString(p.mode),
       p.amount,
       p.currency,
       ToString(p.status),
       ToString(p.capture_method),
       p.payment_method,
       p.description,
       p.metadata,
       p.amount_capturable,
       p.amount_received,
       p.amount_refunded,
       p.connector_account_id,
       p.connector,
       p.psp_reference,
       LastErrorText(p),
       p.routing,
       p.version,
       p.created,
       p.updated});
  if (!r) return r.error();
  return {};
}

Result<void> UpdatePayment(Tx& tx, Payment& p, int64_t now) {
  auto r = tx.Exec(
      "UPDATE payments SET status = ?, payment_method = ?, amount_capturable = ?, "
      "amount_received = ?, amount_refunded = ?, connector_account_id = ?, connector = ?, "
      "psp_reference = ?, last_error = ?, version = version + 1, updated = ? "
      "WHERE id = ? AND version = ?",
      {ToString(p.status), p.payment_method, p.amount_capturable, p.amount_received,
       p.amount_refunded, p.connector_account_id, p.connector, p.psp_reference, LastErrorText(p),
       now, p.id, p.version});
  if (!r) return r.error();
  if (*r != 1) {
    return Error::Conflict("concurrent_update",
                           "The payment was changed by another request; retry.");
  }
  ++p.version;
  p.updated = now;
  return {};
}

Result<void> InsertAttempt(Tx& tx, const Attempt& a) {
  auto r = tx.Exec(
      "INSERT INTO payment_attempts (id, payment_id, seq, operation, connector, "
      "connector_account_id, status, amount, psp_reference, decline_code, error_code, "
      "error_message, latency_us, routing_reason, idempotency_key, created, updated) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      {a.id, a.payment_id, a.seq, a.operation, a.connector, a.connector_account_id, a.status,
       a.amount, a.psp_reference, a.decline_code, a.error_code, a.error_message, a.latency_us,
       a.routing_reason, a.idempotency_key, a.created, a.updated});
  if (!r) return r.error();
  return {};
}

Result<void> UpdateAttempt(Tx& tx, const Attempt& a) {
  auto r = tx.Exec(
      "UPDATE payment_attempts SET status = ?, psp_reference = ?, decline_code = ?, "
      "error_code = ?, error_message = ?, latency_us = ?, updated = ? WHERE id = ?",
      {a.status, a.psp_reference, a.decline_code, a.error_code, a.error_message, a.latency_us,
       a.updated, a.id});
  if (!r) return r.error();
  return {};
}

namespace {
constexpr std::string_view kRefundCols =
    "id, merchant_id, mode, payment_id, amount, currency, status, reason, psp_reference, "
    "failure_code, created, updated";
Refund ReadRefund(const store::Row& r) {
  Refund f;
  f.id = r.Text(0);
  f.merchant_id = r.Text(1);
  f.mode = ParseMode(r.Text(2)).value_or(Mode::kTest);
  f.payment_id = r.Text(3);
  f.amount = r.Int(4);
  f.currency = r.Text(5);
  auto s = r.Text(6);
  f.status = s == "succeeded" ? RefundStatus::kSucceeded
             : s == "failed"  ? RefundStatus::kFailed
                              : RefundStatus::kPending;
  f.reason = r.OptText(7);
  f.psp_reference = r.OptText(8);
  f.failure_code = r.OptText(9);
  f.created = r.Int(10);
  f.updated = r.Int(11);
  return f;
}
}  // namespace

Result<std::optional<Refund>> LoadRefund(Tx& tx, const std::string& merchant_id, Mode mode,
                                         std::string_view id) {
  static const std::string sql = "SELECT " + std::string(kRefundCols) +
                                 " FROM refunds WHERE id = ? AND merchant_id = ? AND mode = ?";
  std::optional<Refund> out;
  auto r = tx.Query(sql, {id, merchant_id, ToString(mode)}, [&](const store::Row& row) {
    out = ReadRefund(row);
    return false;
  });
  if (!r) return r.error();
  return out;
}

Result<std::optional<Refund>> LoadRefundByAttempt(Tx& tx, const Attempt& a) {
  // A refund attempt's idempotency key is the refund id.
  static const std::string sql =
      "SELECT " + std::string(kRefundCols) + " FROM refunds WHERE id = ? AND payment_id = ?";
  std::optional<Refund> out;
  auto r = tx.Query(sql, {a.idempotency_key, a.payment_id}, [&](const store::Row& row) {
    out = ReadRefund(row);
    return false;
  });
  if (!r) return r.error();
  return out;
}

Result<void> InsertRefund(Tx& tx, const Refund& f) {
  auto r = tx.Exec(
      "INSERT INTO refunds (id, merchant_id, mode, payment_id, amount, currency, status, reason, "
      "psp_reference, failure_code, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
      {f.id, f.merchant_id, ToString(f.mode), f.payment_id, f.amount, f.currency,
       ToString(f.status), f.reason, f.psp_reference, f.failure_code, f.created, f.updated});
  if (!r) return r.error();
  return {};
}

Result<void> UpdateRefund(Tx& tx, const Refund& f) {
  auto r = tx.Exec(
      "UPDATE refunds SET status = ?, psp_reference = ?, failure_code = ?, updated = ? "
      "WHERE id = ?",
      {ToString(f.status), f.psp_reference, f.failure_code, f.updated, f.id});
  if (!r) return r.error();
  return {};
}

Result<void> EmitEvent(Tx& tx, const std::string& merchant_id, Mode mode, std::string_view type,
                       std::string_view object_id, std::string_view object_json, int64_t now) {
  std::string id = NewId("evt");
  // The stored body is exactly what webhooks deliver: {"id","type","created","data":{"object"}}.
  std::string body;
  body.reserve(object_json.size() + 128);
  body += "{\"id\":\"" + id + "\",\"object\":\"event\",\"type\":\"" + std::string(type) +
          "\",\"created\":" + std::to_string(now / 1'000'000) +
          ",\"livemode\":" + (mode == Mode::kLive ? "true" : "false") + ",\"data\":{\"object\":";
  body += object_json;
  body += "}}";
  auto r = tx.Exec(
      "INSERT INTO events (id, merchant_id, mode, type, object_id, data, created) "
      "VALUES (?,?,?,?,?,?,?)",
      {id, merchant_id, ToString(mode), type, object_id, body, now});
  if (!r) return r.error();
  // The outbox row (what the dispatcher fans out to endpoints) only when the merchant has an
  // endpoint in this mode now: an event goes to the endpoints that exist when it happens, and a
  // merchant without webhooks costs the writer no fan-out work.
  bool has_endpoint = false;
  auto e = tx.Query(
      "SELECT 1 FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? AND "
      "status IN ('enabled', 'failing') LIMIT 1",
      {merchant_id, ToString(mode)}, [&](const store::Row&) {
        has_endpoint = true;
        return false;
      });
  if (!e) return e.error();
  if (!has_endpoint) return {};
  r = tx.Exec(
      "INSERT INTO outbox (event_id, merchant_id, state, next_attempt_at, created) "
      "VALUES (?,?,'pending',?,?)",
      {id, merchant_id, now, now});
  if (!r) return r.error();
  return {};
}

Result<void> ClaimIdempotency(Tx& tx, const Principal& p, const Idempotency& idem,
                              std::string_view resource_id, int64_t now,
                              std::optional<ApiResult>& replay) {
  if (idem.key.empty()) return {};
  // Claim first (the common case: a new key), read the existing record only when taken.
  auto ins = tx.Exec(
      "INSERT INTO idempotency_keys (merchant_id, mode, key, request_hash, state, resource_id, "
      "created) VALUES (?,?,?,?,'in_progress',?,?) "
      "ON CONFLICT (merchant_id, mode, key) DO NOTHING",
      {p.merchant_id, ToString(p.mode), idem.key, idem.request_hash, resource_id, now});
  if (!ins) return ins.error();
  if (*ins == 1) return {};
  bool found = false;
  std::string hash, state, body;
  int64_t status = 0;
  auto r = tx.Query(
      "SELECT request_hash, state, response_status, response_body FROM idempotency_keys "
      "WHERE merchant_id = ? AND mode = ? AND key = ?",
      {p.merchant_id, ToString(p.mode), idem.key}, [&](const store::Row& row) {
        found = true;
        hash = row.Text(0);
        state = row.Text(1);
        status = row.IsNull(2) ? 0 : row.Int(2);
        body = row.IsNull(3) ? "" : row.Text(3);
        return false;
      });
  if (!r) return r.error();
  if (!found) return Error::Internal("idempotency key neither inserted nor found");
  if (hash != idem.request_hash) {
    return Error{ErrorType::kIdempotency,
                 "idempotency_error",
                 "Keys for idempotent requests can only be used with the same parameters they "
                 "were first used with.",
                 "Idempotency-Key",
                 {}};
  }
  if (state != "done") {
    return Error::Conflict("idempotency_in_progress",
                           "A request with this Idempotency-Key is still being processed; "
                           "retry later.");
  }
  replay = ApiResult{static_cast<int>(status), std::move(body), true, 0};
  return {};
}

Result<void> FinishIdempotency(Tx& tx, const Principal& p, const Idempotency& idem,
                               std::string_view resource_id, int status, std::string_view body) {
  if (idem.key.empty()) return {};
  auto r = tx.Exec(
      "UPDATE idempotency_keys SET state = 'done', resource_id = ?, response_status = ?, "
      "response_body = ? WHERE merchant_id = ? AND mode = ? AND key = ?",
      {resource_id, status, body, p.merchant_id, ToString(p.mode), idem.key});
  if (!r) return r.error();
  return {};
}

namespace {
connectors::Account ReadAccount(const store::Row& row) {
  connectors::Account a;
  a.id = row.Text(0);
  a.connector = row.Text(1);
  a.label = row.Text(2);
  a.base_url = row.IsNull(3) ? "" : row.Text(3);
  a.latency_ms = row.IsNull(4) ? -1 : row.Int(4);
  return a;
}
}  // namespace

Result<std::vector<connectors::Account>> ActiveAccounts(Tx& tx, const std::string& merchant_id,
                                                        Mode mode) {
  std::vector<connectors::Account> out;
  auto r = tx.Query(
      "SELECT id, connector, label, base_url, latency_ms FROM connector_accounts "
      "WHERE merchant_id = ? AND mode = ? AND status = 'active' ORDER BY created, id",
      {merchant_id, ToString(mode)}, [&](const store::Row& row) {
        out.push_back(ReadAccount(row));
        return true;
      });
  if (!r) return r.error();
  return out;
}

Result<std::optional<connectors::Account>> LoadAccount(Tx& tx, std::string_view id) {
  std::optional<connectors::Account> out;
  auto r = tx.Query(
      "SELECT id, connector, label, base_url, latency_ms FROM connector_accounts WHERE id = ?",
      {id}, [&](const store::Row& row) {
        out = ReadAccount(row);
        return false;
      });
  if (!r) return r.error();
  return out;
}

}  // namespace lp::core::repo
