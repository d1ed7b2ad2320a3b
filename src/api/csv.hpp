// CSV cells for downloads (RFC 4180) with the spreadsheet formula-injection guard: a cell that a
// spreadsheet would evaluate (starting with =, +, -, @, or a tab or carriage return that some
// treat the same way) gets a leading '. Linear in the cell's size.
#pragma once

#include <string>
#include <string_view>

namespace lp::api {

// One cell: guarded, then quoted when it holds a comma, a quote or a line break.
std::string CsvCell(std::string_view value);

}  // namespace lp::api
