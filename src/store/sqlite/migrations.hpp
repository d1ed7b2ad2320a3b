// Numbered migrations: src/store/migrations/NNNN_name.sql, embedded at build time. Append only:
// never edit a migration that has shipped; portable SQL (SQLite >= 3.40 and PostgreSQL 15).
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
