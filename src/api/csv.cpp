#include "api/csv.hpp"

namespace lp::api {

std::string CsvCell(std::string_view value) {
  std::string cell;
  cell.reserve(value.size() + 3);
  if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                         value[0] == '\t' || value[0] == '\r')) {
    cell += '\'';
  }
  cell += value;
  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    return cell;
  }
  std::string quoted;
  quoted.reserve(cell.size() + 2);
  quoted += '"';
  for (char c : cell) {
    if (c == '"') {
      quoted += '"';
    }
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

}  // namespace lp::api
