// SQL of the merchants table.
#pragma once

#include <string_view>

#include "lp/common/result.hpp"
#include "lp/store/store.hpp"

namespace lp::merchants::merchants_repo {

Result<void> Insert(store::Tx& tx, std::string_view id, std::string_view name, int64_t now_us);

}  // namespace lp::merchants::merchants_repo
