// Numbered SQLite migrations. Append only: never edit a migration that has shipped.
#pragma once

#include <string_view>
#include <vector>

namespace lp::store::sqlite {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

const std::vector<Migration>& Migrations();

}  // namespace lp::store::sqlite
