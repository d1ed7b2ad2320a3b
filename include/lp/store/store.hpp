// Store: transactions over the database. Every state change, its outbox row and its audit record
// commit in one transaction. Writes from concurrent requests are group-committed: one writer
// collects the transactions that are ready, commits them with one fsync, then completes each.
// This header owns the interface only: no SQLite, no libpq.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/common/task.hpp"

namespace lp::store {

// A bound SQL parameter. SQL uses `?` placeholders (translated per backend).
struct Value {
  enum class Kind { kNull, kInt, kText, kReal, kBlob };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  double d = 0;
  std::string_view s;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(int64_t v) : kind(Kind::kInt), i(v) {}
  Value(int v) : kind(Kind::kInt), i(v) {}
  Value(bool v) : kind(Kind::kInt), i(v ? 1 : 0) {}
  Value(double v) : kind(Kind::kReal), d(v) {}
  Value(std::string_view v) : kind(Kind::kText), s(v) {}
  Value(const std::string& v) : kind(Kind::kText), s(v) {}
  Value(const char* v) : kind(Kind::kText), s(v) {}
  template <class T>
  Value(const std::optional<T>& v) : Value() {
    if (v) *this = Value(*v);
  }
  // Binary data (ciphertexts): stored as a BLOB, read back with Row::Text.
  static Value Blob(std::string_view bytes) {
    Value v(bytes);
    v.kind = Kind::kBlob;
    return v;
  }
};

class Row {
 public:
  virtual ~Row() = default;
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual std::string Text(int col) const = 0;
  std::optional<std::string> OptText(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<std::string>(Text(col));
  }
  std::optional<int64_t> OptInt(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<int64_t>(Int(col));
  }
};

class Tx {
 public:
  virtual ~Tx() = default;
  // Runs a statement; returns the number of rows changed.
  virtual Result<int64_t> Exec(std::string_view sql, std::initializer_list<Value> params = {}) = 0;
  // Runs a query; `row` is called for each result row (return false to stop early).
  virtual Result<void> Query(std::string_view sql, std::initializer_list<Value> params,
                             const std::function<bool(const Row&)>& row) = 0;
  // Same with a dynamic parameter list (for queries with optional filters).
  virtual Result<void> QueryV(std::string_view sql, const std::vector<Value>& params,
                              const std::function<bool(const Row&)>& row) = 0;
};

using TxFn = std::function<Result<void>(Tx&)>;
using DoneFn = std::function<void(Result<void>)>;

struct StoreStats {
  uint64_t commits = 0;       // physical commits (each holds a batch of transactions)
  uint64_t transactions = 0;  // logical write transactions
  // Where the writer's time went (microseconds): running transactions, committing them
  // (including the fsync), waiting for work. Tells a writer-bound load from an idle one.
  uint64_t writer_exec_us = 0;
  uint64_t writer_commit_us = 0;
  uint64_t writer_idle_us = 0;
  uint64_t writer_checkpoint_us = 0;  // rewinding the WAL (see the SQLite backend)
  uint64_t syncs = 0;         // fsyncs that made commits durable (one may cover several commits)
  uint64_t sync_us = 0;       // time spent in them
  uint64_t memory_bytes = 0;  // the backend's own heap (SQLite: page caches, statements)
  // SQLite: writes the engine made to its WAL, and the system calls they became after the
  // write-coalescing VFS joined each commit's frames (see the SQLite backend).
  uint64_t wal_writes = 0;
  uint64_t wal_write_calls = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Queues a write transaction. `done` runs on a store thread after the commit is durable, or
  // with the error (fn's own error rolls back only fn's work). `fn` may run more than once
  // (group commit retries a batch in which one job failed): it must touch only the database and
  // state it resets itself, and only the run that commits is reported.
  virtual void SubmitWrite(TxFn fn, DoneFn done) = 0;
  // Queues a read-only transaction on a reader thread.
  virtual void SubmitRead(TxFn fn, DoneFn done) = 0;
  // Blocking variants for start-up, CLI commands and tests (never on I/O threads).
  virtual Result<void> WriteSync(TxFn fn) = 0;
  virtual Result<void> ReadSync(TxFn fn) = 0;
  // Database reachable and migrations applied.
  virtual Result<void> Ready() = 0;
  virtual int SchemaVersion() = 0;
  virtual StoreStats Stats() const = 0;
  // Stops the writer and reader threads after draining queued work.
  virtual void Close() = 0;
  virtual std::string_view Backend() const = 0;
};

using StorePtr = std::unique_ptr<Store>;

struct StoreOptions {
  std::string url;  // "sqlite:///path/to.db", a plain path, or "postgresql://…"
  int readers = 2;  // reader threads
  bool migrate = true;
};

// Opens the store named by options.url and applies pending migrations when options.migrate.
Result<StorePtr> OpenStore(const StoreOptions& options);

namespace detail {
template <class Submit>
Task<Result<void>> Await(Submit submit) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(Result<void>)>(
      [submit = std::move(submit)](auto handler) mutable {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        submit([h](Result<void> r) {
          auto ex = boost::asio::get_associated_executor(*h);
          boost::asio::post(ex, [h, r = std::move(r)]() mutable { std::move (*h)(std::move(r)); });
        });
      },
      boost::asio::use_awaitable);
}
}  // namespace detail

// co_await Write(store, fn): resumes on the caller's executor after the durable commit.
inline Task<Result<void>> Write(Store& s, TxFn fn) {
  return detail::Await([&s, fn = std::move(fn)](DoneFn done) mutable {
    s.SubmitWrite(std::move(fn), std::move(done));
  });
}
inline Task<Result<void>> Read(Store& s, TxFn fn) {
  return detail::Await([&s, fn = std::move(fn)](DoneFn done) mutable {
    s.SubmitRead(std::move(fn), std::move(done));
  });
}

// co_await ReadInto(store, out, fn): runs `fn(tx)`, which returns a Result, in a read transaction
// and moves its value into `out` (left as it was on an error). `out` must outlive the call.
template <class Out, class Fn>
Task<Result<void>> ReadInto(Store& s, Out& out, Fn fn) {
  return Read(s, [&out, fn = std::move(fn)](Tx& tx) -> Result<void> {
    auto v = fn(tx);
    if (!v) return v.error();
    out = std::move(*v);
    return {};
  });
}

}  // namespace lp::store
