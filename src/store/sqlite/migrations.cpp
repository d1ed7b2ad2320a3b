#include "store/sqlite/migrations.hpp"

namespace lp::store::sqlite {

const std::vector<Migration>& Migrations() {
  // src/store/migrations/NNNN_name.sql, embedded at build time (cmake/embed_migrations.cmake).
  static const std::vector<Migration> kMigrations = {
#include "migrations.inc"
  };
  return kMigrations;
}

}  // namespace lp::store::sqlite
