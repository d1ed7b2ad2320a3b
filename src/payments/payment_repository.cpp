#include "payments/payment_repository.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "lp/common/random.hpp"
#include "lp/store/pagination.hpp"

namespace lp::payments::repo {

namespace json = boost::json;

namespace {

constexpr std::string_view kPaymentCols =
    "id, merchant_id, mode, amount, currency, status, capture_method, payment_method, "
    "description, metadata, amount_capturable, amount_received, amount_refunded, "
    "connector_account_id, connector, psp_reference, last_error, routing, version, created, "
    "updated, customer_country, return_url";

Payment ReadPayment(const store::Row& r) {
  Payment p;
  p.id = r.Text(0);
  p.merchant_id = r.Text(1);
  p.mode = ParseMode(r.Text(2)).value_or(Mode::kTest);
  p.amount = Money{r.Int(3), StoredCurrency(r.Text(4))};
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
  p.customer_country = r.OptText(21);
  p.return_url = r.OptText(22);
  return p;
}

std::optional<std::string> LastErrorText(const Payment& p) {
  if (!p.last_error) return std::nullopt;
  return json::serialize(json::object{{"code", p.last_error->code},
                                      {"decline_code", p.last_error->decline_code},
                                      {"message", p.last_error->message}});
}

// The stored form of a next action: {"type","redirect_url"?} (written by NextActionText).
std::optional<NextAction> ParseNextAction(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  NextAction n;
  if (auto* t = v.as_object().if_contains("type"); t && t->is_string()) n.type = t->as_string();
  if (auto* u = v.as_object().if_contains("redirect_url"); u && u->is_string()) {
    n.redirect_url = std::string(u->as_string());
  }
  return n;
}

std::optional<std::string> NextActionText(const std::optional<NextAction>& n) {
  if (!n) return std::nullopt;
  json::object o{{"type", n->type}};
  if (n->redirect_url) o["redirect_url"] = *n->redirect_url;
  return json::serialize(o);
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
      "idempotency_key, created, updated, next_action FROM payment_attempts WHERE payment_id = ? "
      "ORDER BY seq",
      {out->id}, [&](const store::Row& row) {
        Attempt a;
        a.id = row.Text(0);
        a.payment_id = row.Text(1);
        a.seq = row.Int(2);
        // Only InsertAttempt/UpdateAttempt write these columns, from the enums: the fallbacks
        // never apply.
        a.operation =
            connectors::ParseOperation(row.Text(3)).value_or(connectors::Operation::kAuthorize);
        a.connector = row.Text(4);
        a.connector_account_id = row.IsNull(5) ? "" : row.Text(5);
        a.status = ParseAttemptStatus(row.Text(6)).value_or(AttemptStatus::kPending);
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
        if (!row.IsNull(17)) a.next_action = ParseNextAction(row.Text(17));
        attempts.push_back(std::move(a));
        return true;
      });
  if (!ar) return ar.error();
  out->attempts = std::move(attempts);
  if (out->status == PaymentStatus::kRequiresAction) {
    for (const auto& a : out->attempts) {
      if (a.operation == connectors::Operation::kAuthorize && a.next_action) {
        out->next_action = a.next_action;
      }
    }
  }
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

namespace {
// The ids of a page (the objects are then loaded with their attempts).
Result<Page<std::string>> ListIds(Tx& tx, std::string_view table, const Principal& principal,
                                  const ListParams& params,
                                  std::vector<std::pair<std::string, std::string>> eq) {
  Page<std::string> page;
  store::ListSpec spec{table, "id", std::move(eq), {}, false};
  auto more = store::ListPage(tx, spec, principal, params,
                              [&](const store::Row& row) { page.items.push_back(row.Text(0)); });
  if (!more) return more.error();
  page.has_more = *more;
  return page;
}
}  // namespace

Result<Page<Payment>> ListPayments(Tx& tx, const Principal& principal, const ListParams& params) {
  std::vector<std::pair<std::string, std::string>> eq;
  if (params.status) eq.emplace_back("status", *params.status);
  auto ids = ListIds(tx, "payments", principal, params, std::move(eq));
  if (!ids) return ids.error();
  Page<Payment> page;
  page.has_more = ids->has_more;
  for (const auto& id : ids->items) {
    auto p = LoadPayment(tx, principal.merchant_id, principal.mode, id);
    if (!p) return p.error();
    if (*p) page.items.push_back(std::move(**p));
  }
  return page;
}

Result<std::vector<UnsettledAttempt>> UnsettledAttempts(Tx& tx, bool include_pending,
                                                        int64_t cutoff_us, int64_t now_us,
                                                        int64_t limit) {
  std::vector<UnsettledAttempt> out;
  auto r = tx.Query(
      include_pending
          ? "SELECT id, payment_id, sync_count FROM payment_attempts WHERE status IN ('pending', "
            "'processing') AND updated <= ? AND (next_sync_at IS NULL OR next_sync_at <= ?) "
            "ORDER BY created LIMIT ?"
          : "SELECT id, payment_id, sync_count FROM payment_attempts WHERE status = 'processing' "
            "AND updated <= ? AND (next_sync_at IS NULL OR next_sync_at <= ?) "
            "ORDER BY created LIMIT ?",
      {cutoff_us, now_us, limit}, [&](const store::Row& row) {
        out.push_back({row.Text(0), row.Text(1), row.Int(2)});
        return true;
      });
  if (!r) return r.error();
  return out;
}

Result<void> ScheduleSync(Tx& tx, std::string_view attempt_id, int64_t sync_count,
                          int64_t next_sync_at_us) {
  auto r = tx.Exec(
      "UPDATE payment_attempts SET sync_count = ?, next_sync_at = ? WHERE id = ? AND status IN "
      "('pending', 'processing')",
      {sync_count, next_sync_at_us, attempt_id});
  if (!r) return r.error();
  return {};
}

Result<void> InsertPayment(Tx& tx, const Payment& p) {
  auto r = tx.Exec(
      "INSERT INTO payments (id, merchant_id, mode, amount, currency, status, capture_method, "
      "payment_method, description, metadata, amount_capturable, amount_received, "
      "amount_refunded, connector_account_id, connector, psp_reference, last_error, routing, "
      "version, created, updated, customer_country, return_url) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      {p.id,
       p.merchant_id,
       ToString(p.mode),
       p.amount.minor_units,
       p.amount.currency.Code(),
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
       p.updated,
       p.customer_country,
       p.return_url});
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
      {a.id, a.payment_id, a.seq, connectors::ToString(a.operation), a.connector,
       a.connector_account_id, ToString(a.status), a.amount, a.psp_reference, a.decline_code,
       a.error_code, a.error_message, a.latency_us, a.routing_reason, a.idempotency_key, a.created,
       a.updated});
  if (!r) return r.error();
  return {};
}

Result<void> UpdateAttempt(Tx& tx, const Attempt& a) {
  auto r = tx.Exec(
      "UPDATE payment_attempts SET status = ?, psp_reference = ?, decline_code = ?, "
      "error_code = ?, error_message = ?, latency_us = ?, updated = ?, next_action = ? "
      "WHERE id = ?",
      {ToString(a.status), a.psp_reference, a.decline_code, a.error_code, a.error_message,
       a.latency_us, a.updated, NextActionText(a.next_action), a.id});
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
  f.amount = Money{r.Int(4), StoredCurrency(r.Text(5))};
  f.status = ParseRefundStatus(r.Text(6)).value_or(RefundStatus::kPending);
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

Result<std::optional<std::pair<std::string, std::string>>> FindPaymentForPspEvent(
    Tx& tx, std::string_view account_id, std::string_view our_reference,
    std::string_view payment_reference) {
  std::optional<std::pair<std::string, std::string>> out;
  if (!our_reference.empty()) {
    auto r = tx.Query(
        "SELECT payment_id, id FROM payment_attempts WHERE idempotency_key = ? AND "
        "connector_account_id = ? ORDER BY seq LIMIT 1",
        {our_reference, account_id}, [&](const store::Row& row) {
          out.emplace(row.Text(0), row.Text(1));
          return false;
        });
    if (!r) return r.error();
    if (out) return out;
  }
  if (!payment_reference.empty()) {
    auto r = tx.Query(
        "SELECT id FROM payments WHERE connector_account_id = ? AND psp_reference = ? LIMIT 1",
        {account_id, payment_reference}, [&](const store::Row& row) {
          out.emplace(row.Text(0), std::string());
          return false;
        });
    if (!r) return r.error();
  }
  return out;
}

Result<UnsettledSummary> SummarizeUnsettled(Tx& tx) {
  UnsettledSummary out;
  auto r = tx.Query(
      "SELECT COUNT(*), MIN(created) FROM payment_attempts WHERE status IN ('pending', "
      "'processing')",
      {}, [&](const store::Row& row) {
        out.count = row.Int(0);
        if (!row.IsNull(1)) out.oldest_created_us = row.Int(1);
        return false;
      });
  if (!r) return r.error();
  return out;
}

Result<bool> PspEventSeen(Tx& tx, std::string_view account_id, std::string_view event_id) {
  bool seen = false;
  auto r =
      tx.Query("SELECT 1 FROM psp_webhook_events WHERE connector_account_id = ? AND event_id = ?",
               {account_id, event_id}, [&](const store::Row&) {
                 seen = true;
                 return false;
               });
  if (!r) return r.error();
  return seen;
}

Result<void> RecordPspEvent(Tx& tx, std::string_view account_id, std::string_view event_id,
                            std::string_view type, std::string_view outcome, int64_t now) {
  auto r = tx.Exec(
      "INSERT INTO psp_webhook_events (connector_account_id, event_id, type, outcome, received) "
      "VALUES (?, ?, ?, ?, ?)",
      {account_id, event_id, type, outcome, now});
  if (!r) return r.error();
  return {};
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

Result<Page<Refund>> ListRefunds(Tx& tx, const Principal& principal, const ListParams& params,
                                 const std::optional<std::string>& payment_id) {
  std::vector<std::pair<std::string, std::string>> eq;
  if (payment_id) eq.emplace_back("payment_id", *payment_id);
  if (params.status) eq.emplace_back("status", *params.status);
  auto ids = ListIds(tx, "refunds", principal, params, std::move(eq));
  if (!ids) return ids.error();
  Page<Refund> page;
  page.has_more = ids->has_more;
  for (const auto& id : ids->items) {
    auto f = LoadRefund(tx, principal.merchant_id, principal.mode, id);
    if (!f) return f.error();
    if (*f) page.items.push_back(std::move(**f));
  }
  return page;
}

Result<void> InsertRefund(Tx& tx, const Refund& f) {
  auto r = tx.Exec(
      "INSERT INTO refunds (id, merchant_id, mode, payment_id, amount, currency, status, reason, "
      "psp_reference, failure_code, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
      {f.id, f.merchant_id, ToString(f.mode), f.payment_id, f.amount.minor_units,
       f.amount.currency.Code(), ToString(f.status), f.reason, f.psp_reference, f.failure_code,
       f.created, f.updated});
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

}  // namespace lp::payments::repo
