#include "lp/payments/incident.hpp"

namespace lp::payments {

Result<void> ScanChangedPayments(store::Tx& tx, int64_t from_us, int64_t to_us,
                                 const std::optional<std::string>& merchant_id,
                                 const std::function<bool(const PaymentDigest&)>& row) {
  return tx.Query(
      "SELECT id, merchant_id, mode, status, currency, amount, created, updated FROM payments "
      "WHERE updated >= ? AND updated < ? AND (? IS NULL OR merchant_id = ?) ORDER BY updated, id",
      {from_us, to_us, merchant_id, merchant_id}, [&](const store::Row& r) {
        PaymentDigest d{r.Text(0), r.Text(1), r.Text(2), r.Text(3),
                        r.Text(4), r.Int(5),  r.Int(6),  r.Int(7)};
        return row(d);
      });
}

}  // namespace lp::payments
