// Cursor pagination over (created, id) for every merchant-scoped list of the API: one way of
// reading `limit`, `starting_after`, `ending_before` and `created[gte|lte]`.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/common/api_result.hpp"
#include "lp/common/principal.hpp"
#include "lp/store/store.hpp"

namespace lp::store {

struct ListSpec {
  std::string_view table;    // has id, merchant_id, mode, created
  std::string_view columns;  // what each row selects
  // `column = value` filters (e.g. status); column names come from code, never from input.
  std::vector<std::pair<std::string, std::string>> eq;
  std::string_view where;     // a fixed extra condition, e.g. "status != 'deleted'"
  bool oldest_first = false;  // page order; newest first unless a list has a natural order
};

// Appends the `created[gte]` / `created[lte]` bounds (seconds, inclusive) as conditions on a
// `created` column in microseconds.
void AppendCreatedBounds(const ListParams& params, std::string& sql,
                         std::vector<store::Value>& args);

// Calls `row` for the page's rows in page order and returns has_more. `starting_after` gives
// the rows after that id in page order, `ending_before` those before it; an id that is not the
// caller's (in this table and mode) is `400 resource_missing` naming the parameter.
Result<bool> ListPage(store::Tx& tx, const ListSpec& spec, const Principal& principal,
                      const ListParams& params, const std::function<void(const store::Row&)>& row);

}  // namespace lp::store
