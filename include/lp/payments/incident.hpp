// The payments an incident export lists (`liasonpay incident export`, PRODUCT.md §1): those
// created or changed in a time window, for one merchant or all. A digest, never card data.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "lp/common/result.hpp"
#include "lp/store/store.hpp"

namespace lp::payments {

struct PaymentDigest {
  std::string id, merchant_id, mode, status, currency;
  int64_t amount = 0;
  int64_t created_us = 0, updated_us = 0;
};

// Payments with `updated` in [from_us, to_us), oldest change first; `row` returns false to stop.
Result<void> ScanChangedPayments(store::Tx& tx, int64_t from_us, int64_t to_us,
                                 const std::optional<std::string>& merchant_id,
                                 const std::function<bool(const PaymentDigest&)>& row);

}  // namespace lp::payments
