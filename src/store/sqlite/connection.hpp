// Private to the SQLite backend: one sqlite3 connection as a Tx, with its prepared-statement
// cache and the pragmas every connection runs with. A connection belongs to one thread at a time
// (opened SQLITE_OPEN_NOMUTEX); only Memory() may be read from any thread.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lp/store/store.hpp"

namespace lp::store::sqlite {

class Connection final : public Tx {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool readonly);

  ~Connection() override;

  Result<void> ExecScript(const char* sql);

  Result<int64_t> Exec(std::string_view sql, std::initializer_list<Value> params) override;

  Result<void> Query(std::string_view sql, std::initializer_list<Value> params,
                     const std::function<bool(const Row&)>& row) override;
  Result<void> QueryV(std::string_view sql, const std::vector<Value>& params,
                      const std::function<bool(const Row&)>& row) override;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  Result<void> Run(std::string_view sql, const Value* params, size_t n,
                   const std::function<bool(const Row&)>& row);

  Error StepError(std::string_view sql, int rc);

  Result<sqlite3_stmt*> Prepare(std::string_view sql, const Value* params, size_t n);

  sqlite3* db_;
  std::atomic<int64_t> memory_{0};
  int64_t memory_recorded_us_ = 0;  // owning thread only
  // Prepared statements by SQL text, looked up without building a string.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;

 public:
  std::string path_;
  sqlite3* handle() { return db_; }

  // The heap this connection holds (page cache, schema, prepared statements), recorded by the
  // thread that uses the connection so that Stats() can read it from any thread. At most once a
  // second: SQLite measures the schema and statements by walking them with a counting free
  // (~45k instructions, which per commit was 15 % of a payment's CPU at one connection).
  void RecordMemory();
  int64_t Memory() const { return memory_.load(std::memory_order_relaxed); }
};

}  // namespace lp::store::sqlite
