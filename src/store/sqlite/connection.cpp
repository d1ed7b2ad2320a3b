// One sqlite3 connection as a Tx: pragmas, the prepared-statement cache, parameter binding.
#include "store/sqlite/connection.hpp"

#include "lp/common/clock.hpp"
#include "store/sqlite/wal_vfs.hpp"

namespace lp::store::sqlite {
namespace {

class SqliteRow final : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* st) : st_(st) {}
  bool IsNull(int col) const override { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  int64_t Int(int col) const override { return sqlite3_column_int64(st_, col); }
  std::string Text(int col) const override {
    const auto* p = sqlite3_column_blob(st_, col);
    int n = sqlite3_column_bytes(st_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
  }

 private:
  sqlite3_stmt* st_;
};

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool readonly) {
  sqlite3* db = nullptr;
  int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, sqlite::WalVfsName());
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Error::Internal("cannot open database " + path + ": " + msg);
  }
  auto c = std::unique_ptr<Connection>(new Connection(db));
  sqlite3_busy_timeout(db, 10000);
  // 8 MiB of page cache per connection: the hot set is the right edge of each B-tree and the
  // interior pages; the OS page cache holds the rest. (32 MiB per connection measured worse:
  // RSS kept climbing to 230 MB in a 60 s `make bench`, for no throughput.)
  const char* pragmas =
      "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;"
      "PRAGMA cache_size=-8000;";
  if (auto r = c->ExecScript(pragmas); !r) return r.error();
  if (!readonly) {
    if (auto r = c->ExecScript("PRAGMA journal_mode=WAL;"); !r) return r.error();
  }
  c->path_ = path;
  return c;
}

Connection::~Connection() {
  for (auto& [k, st] : cache_) sqlite3_finalize(st);
  sqlite3_close_v2(db_);
}

Result<void> Connection::ExecScript(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return Error::Internal(std::string("sqlite: ") + msg);
  }
  return {};
}

Result<int64_t> Connection::Exec(std::string_view sql, std::initializer_list<Value> params) {
  auto st = Prepare(sql, params.begin(), params.size());
  if (!st) return st.error();
  int rc;
  while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
  }
  sqlite3_reset(*st);
  if (rc != SQLITE_DONE) return StepError(sql, rc);
  return static_cast<int64_t>(sqlite3_changes(db_));
}

Result<void> Connection::Query(std::string_view sql, std::initializer_list<Value> params,
                               const std::function<bool(const Row&)>& row) {
  return Run(sql, params.begin(), params.size(), row);
}

Result<void> Connection::QueryV(std::string_view sql, const std::vector<Value>& params,
                                const std::function<bool(const Row&)>& row) {
  return Run(sql, params.data(), params.size(), row);
}

Result<void> Connection::Run(std::string_view sql, const Value* params, size_t n,
                             const std::function<bool(const Row&)>& row) {
  auto st = Prepare(sql, params, n);
  if (!st) return st.error();
  SqliteRow r(*st);
  int rc;
  while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
    if (!row(r)) {
      rc = SQLITE_DONE;
      break;
    }
  }
  sqlite3_reset(*st);
  if (rc != SQLITE_DONE) return StepError(sql, rc);
  return {};
}

Error Connection::StepError(std::string_view sql, int rc) {
  Error e = Error::Internal("sqlite step: " + std::string(sqlite3_errmsg(db_)) +
                            " in: " + std::string(sql.substr(0, 80)));
  if ((rc & 0xff) == SQLITE_CONSTRAINT) e.code = "constraint";
  return e;
}

Result<sqlite3_stmt*> Connection::Prepare(std::string_view sql, const Value* params, size_t n) {
  sqlite3_stmt* st = nullptr;
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    st = it->second;
  } else {
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &st, nullptr) != SQLITE_OK) {
      return Error::Internal("sqlite prepare: " + std::string(sqlite3_errmsg(db_)) +
                             " in: " + std::string(sql));
    }
    cache_.emplace(std::string(sql), st);
  }
  sqlite3_clear_bindings(st);
  for (size_t i = 0; i < n; ++i) {
    const Value& v = params[i];
    int idx = static_cast<int>(i + 1);
    switch (v.kind) {
      case Value::Kind::kNull:
        sqlite3_bind_null(st, idx);
        break;
      case Value::Kind::kInt:
        sqlite3_bind_int64(st, idx, v.i);
        break;
      case Value::Kind::kReal:
        sqlite3_bind_double(st, idx, v.d);
        break;
      case Value::Kind::kText:
        sqlite3_bind_text(st, idx, v.s.data(), static_cast<int>(v.s.size()), SQLITE_STATIC);
        break;
      case Value::Kind::kBlob:
        sqlite3_bind_blob(st, idx, v.s.data(), static_cast<int>(v.s.size()), SQLITE_STATIC);
        break;
    }
  }
  return st;
}

void Connection::RecordMemory() {
  const int64_t now = MonotonicMicros();
  if (memory_recorded_us_ != 0 && now - memory_recorded_us_ < 1'000'000) return;
  memory_recorded_us_ = now;
  int total = 0;
  for (int op :
       {SQLITE_DBSTATUS_CACHE_USED, SQLITE_DBSTATUS_SCHEMA_USED, SQLITE_DBSTATUS_STMT_USED}) {
    int cur = 0, high = 0;
    if (sqlite3_db_status(db_, op, &cur, &high, 0) == SQLITE_OK) total += cur;
  }
  memory_.store(total, std::memory_order_relaxed);
}

}  // namespace lp::store::sqlite
