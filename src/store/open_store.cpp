#include "lp/store/store.hpp"

namespace lp::store {

Result<StorePtr> OpenSqliteStore(const std::string& path, const StoreOptions& options);

Result<StorePtr> OpenStore(const StoreOptions& options) {
  std::string_view url = options.url;
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return Error::Internal("PostgreSQL support is not built yet; use a SQLite path");
  }
  if (url.starts_with("sqlite://")) url.remove_prefix(9);
  if (url.empty()) return Error::Internal("empty database path");
  return OpenSqliteStore(std::string(url), options);
}

}  // namespace lp::store
