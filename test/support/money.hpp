// Money values for tests: MoneyOf(1099, "EUR").
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "lp/common/money.hpp"

namespace lp::testing {

inline Money MoneyOf(int64_t minor_units, std::string_view currency) {
  auto c = LookupCurrency(currency);
  if (!c) throw std::invalid_argument("not an ISO 4217 currency");
  return Money{minor_units, *c};
}

}  // namespace lp::testing
