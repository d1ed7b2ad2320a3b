// SQLite backend: WAL, foreign keys on, durable commits. One writer thread group-commits queued
// write transactions; a syncer thread makes them durable (fdatasync of the WAL) and only then
// completes them, while the writer already runs the next batch. Reader threads serve read
// transactions on their own connections.
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "lp/common/clock.hpp"
#include "lp/common/log.hpp"
#include "lp/store/store.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/wal_vfs.hpp"

namespace lp::store {
namespace {

class Connection;

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

class Connection final : public Tx {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool readonly) {
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

  ~Connection() override {
    for (auto& [k, st] : cache_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
  }

  Result<void> ExecScript(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      return Error::Internal(std::string("sqlite: ") + msg);
    }
    return {};
  }

  Result<int64_t> Exec(std::string_view sql, std::initializer_list<Value> params) override {
    auto st = Prepare(sql, params.begin(), params.size());
    if (!st) return st.error();
    int rc;
    while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
    }
    sqlite3_reset(*st);
    if (rc != SQLITE_DONE) return StepError(sql, rc);
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  Result<void> Query(std::string_view sql, std::initializer_list<Value> params,
                     const std::function<bool(const Row&)>& row) override {
    return Run(sql, params.begin(), params.size(), row);
  }
  Result<void> QueryV(std::string_view sql, const std::vector<Value>& params,
                      const std::function<bool(const Row&)>& row) override {
    return Run(sql, params.data(), params.size(), row);
  }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  Result<void> Run(std::string_view sql, const Value* params, size_t n,
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

  Error StepError(std::string_view sql, int rc) {
    Error e = Error::Internal("sqlite step: " + std::string(sqlite3_errmsg(db_)) +
                              " in: " + std::string(sql.substr(0, 80)));
    if ((rc & 0xff) == SQLITE_CONSTRAINT) e.code = "constraint";
    return e;
  }

  Result<sqlite3_stmt*> Prepare(std::string_view sql, const Value* params, size_t n) {
    sqlite3_stmt* st = nullptr;
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
      st = it->second;
    } else {
      if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                             SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
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
  void RecordMemory() {
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
  int64_t Memory() const { return memory_.load(std::memory_order_relaxed); }
};

struct Job {
  TxFn fn;
  DoneFn done;
};

class JobQueue {
 public:
  void Push(Job j) {
    {
      std::lock_guard lk(mu_);
      q_.push_back(std::move(j));
    }
    cv_.notify_one();
  }
  // Blocks until jobs are available or the queue is closed; takes up to `max`.
  bool PopBatch(std::vector<Job>& out, size_t max) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    while (!q_.empty() && out.size() < max) {
      out.push_back(std::move(q_.front()));
      q_.pop_front();
    }
    return true;
  }
  void Close() {
    {
      std::lock_guard lk(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> q_;
  bool closed_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)) {}
  ~SqliteStore() override { Close(); }

  Result<void> Open(const StoreOptions& opt) {
    auto w = Connection::Open(path_, false);
    if (!w) return w.error();
    writer_conn_ = std::move(*w);
    if (opt.migrate) {
      if (auto r = Migrate(); !r) return r;
    }
    schema_version_ = ReadSchemaVersion(*writer_conn_);
    for (int i = 0; i < std::max(1, opt.readers); ++i) {
      auto r = Connection::Open(path_, false);
      if (!r) return r.error();
      reader_conns_.push_back(std::move(*r));
    }
    // Checkpoints run on their own connection and thread (PASSIVE: they never block the
    // writer), with synchronous=FULL: the WAL is synced before pages are copied and the database
    // file after.
    (void)writer_conn_->ExecScript("PRAGMA wal_autocheckpoint=0;");
    sqlite3_wal_hook(writer_conn_->handle(), &SqliteStore::OnWalCommit, this);
    // Durability without an fsync inside COMMIT: the writer commits with synchronous=NORMAL
    // (SQLite still syncs the WAL header when the WAL restarts, so the file stays consistent)
    // and the syncer thread fdatasyncs the WAL before any of those transactions is reported
    // done. A caller therefore only ever hears "committed" for a durable transaction, as with
    // synchronous=FULL, but the fsync overlaps the next batch instead of stalling the writer.
    wal_fd_ = ::open((path_ + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd_ >= 0) {
      SyncDirectoryOf(path_);  // the -wal file's directory entry, once
      (void)writer_conn_->ExecScript("PRAGMA synchronous=NORMAL;");
      syncer_ = std::thread([this] { SyncLoop(); });
    } else {
      log::Warn("sqlite_wal_not_found", {{"detail", "commits fsync inline (synchronous=FULL)"}});
    }
    auto cp = Connection::Open(path_, false);
    if (!cp) return cp.error();
    checkpoint_conn_ = std::move(*cp);
    checkpointer_ = std::thread([this] { CheckpointLoop(); });
    writer_ = std::thread([this] { WriterLoop(); });
    for (auto& c : reader_conns_) {
      readers_.emplace_back([this, conn = c.get()] { ReaderLoop(*conn); });
    }
    return {};
  }

  void SubmitWrite(TxFn fn, DoneFn done) override {
    writes_.Push({std::move(fn), std::move(done)});
  }
  void SubmitRead(TxFn fn, DoneFn done) override { reads_.Push({std::move(fn), std::move(done)}); }

  Result<void> WriteSync(TxFn fn) override { return Sync(true, std::move(fn)); }
  Result<void> ReadSync(TxFn fn) override { return Sync(false, std::move(fn)); }

  Result<void> Ready() override {
    return ReadSync([](Tx& tx) -> Result<void> {
      int64_t v = 0;
      auto r = tx.Query("SELECT COALESCE(MAX(version),0) FROM schema_migrations", {},
                        [&](const Row& row) {
                          v = row.Int(0);
                          return false;
                        });
      if (!r) return r;
      if (v < sqlite::Migrations().back().version) {
        return Error::Unavailable("migrations pending");
      }
      return {};
    });
  }
  int SchemaVersion() override { return schema_version_; }
  StoreStats Stats() const override {
    StoreStats st;
    st.commits = commits_.load();
    st.transactions = transactions_.load();
    st.writer_exec_us = exec_us_.load();
    st.writer_commit_us = commit_us_.load();
    st.writer_idle_us = idle_us_.load();
    st.writer_checkpoint_us = wal_checkpoint_us_.load();
    st.syncs = syncs_.load();
    st.sync_us = sync_us_.load();
    int64_t memory = 0;
    for (const Connection* c : {writer_conn_.get(), checkpoint_conn_.get()}) {
      if (c) memory += c->Memory();
    }
    for (const auto& c : reader_conns_) memory += c->Memory();
    st.memory_bytes = static_cast<uint64_t>(memory);
    const auto wal = sqlite::WalVfsCounters();
    st.wal_writes = wal.writes_in;
    st.wal_write_calls = wal.writes_out;
    return st;
  }
  std::string_view Backend() const override { return "sqlite"; }

  void Close() override {
    if (closed_.exchange(true)) return;
    writes_.Close();
    reads_.Close();
    {
      std::lock_guard lk(cp_mu_);
      cp_stop_ = true;
    }
    cp_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard lk(sync_mu_);
      sync_stop_ = true;
    }
    sync_cv_.notify_all();
    if (syncer_.joinable()) syncer_.join();  // after the writer: it drains what was committed
    if (wal_fd_ >= 0) ::close(wal_fd_);
    wal_fd_ = -1;
    for (auto& t : readers_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  Result<void> Sync(bool write, TxFn fn) {
    std::promise<Result<void>> p;
    auto f = p.get_future();
    auto done = [&p](Result<void> r) { p.set_value(std::move(r)); };
    if (write) {
      SubmitWrite(std::move(fn), done);
    } else {
      SubmitRead(std::move(fn), done);
    }
    return f.get();
  }

  static int ReadSchemaVersion(Connection& c) {
    int64_t v = 0;
    (void)c.Query("SELECT COALESCE(MAX(version),0) FROM schema_migrations", {},
                  [&](const Row& row) {
                    v = row.Int(0);
                    return false;
                  });
    return static_cast<int>(v);
  }

  Result<void> Migrate() {
    auto& c = *writer_conn_;
    if (auto r = c.ExecScript(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        !r) {
      return r;
    }
    int current = ReadSchemaVersion(c);
    for (const auto& m : sqlite::Migrations()) {
      if (m.version <= current) continue;
      if (auto r = c.ExecScript("BEGIN IMMEDIATE"); !r) return r;
      auto r = c.ExecScript(std::string(m.sql).c_str());
      if (r) {
        auto ins = c.Exec("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?,?,?)",
                          {m.version, m.name, SystemClock().NowSeconds()});
        if (!ins) r = ins.error();
      }
      if (!r) {
        (void)c.ExecScript("ROLLBACK");
        return Error::Internal("migration " + std::to_string(m.version) +
                               " failed: " + r.error().detail);
      }
      if (auto cr = c.ExecScript("COMMIT"); !cr) return cr;
      log::Info("migration_applied", {{"version", m.version}, {"name", m.name}});
    }
    return {};
  }

  Result<void> RunJob(Job& j) {
    try {
      return j.fn(*writer_conn_);
    } catch (const std::exception& e) {
      return Error::Internal(std::string("transaction threw: ") + e.what());
    }
  }

  void WriterLoop() {
    pthread_setname_np(pthread_self(), "lp-writer");
    auto& c = *writer_conn_;
    std::vector<Job> batch;
    std::vector<Result<void>> results;
    for (;;) {
      batch.clear();
      const int64_t t_idle = MonotonicMicros();
      if (!writes_.PopBatch(batch, 512)) break;
      const int64_t t_exec = MonotonicMicros();
      idle_us_.fetch_add(t_exec - t_idle, std::memory_order_relaxed);
      results.clear();
      auto begin = c.Exec("BEGIN IMMEDIATE", {});
      if (!begin) {
        for (auto& j : batch) j.done(begin.error());
        continue;
      }
      // Fast path: run the batch's jobs back to back. SAVEPOINTs (statement journals) cost about
      // a third of the writer's time, and jobs rarely fail, so a failure instead rolls the
      // whole batch back and re-runs it with a SAVEPOINT per job. Jobs therefore touch only
      // the database and their own captures (they may run twice; only the run that commits is
      // reported).
      bool clean = true;
      for (auto& j : batch) {
        Result<void> r = RunJob(j);
        if (!r) {
          clean = false;
          break;
        }
        results.push_back(std::move(r));
      }
      if (!clean) {
        results.clear();
        (void)c.Exec("ROLLBACK", {});
        if (auto again = c.Exec("BEGIN IMMEDIATE", {}); !again) {
          for (auto& j : batch) j.done(again.error());
          continue;
        }
        for (auto& j : batch) {
          (void)c.Exec("SAVEPOINT job", {});  // prepared once, cached
          Result<void> r = RunJob(j);
          if (!r) (void)c.Exec("ROLLBACK TO job", {});
          (void)c.Exec("RELEASE job", {});
          results.push_back(std::move(r));
        }
      }
      const int64_t t_commit = MonotonicMicros();
      exec_us_.fetch_add(t_commit - t_exec, std::memory_order_relaxed);
      auto commit = c.Exec("COMMIT", {});
      commit_us_.fetch_add(MonotonicMicros() - t_commit, std::memory_order_relaxed);
      if (!commit) {
        (void)c.Exec("ROLLBACK", {});
        log::Error("store_commit_failed", {{"detail", commit.error().detail}});
        for (auto& j : batch) j.done(commit.error());
        continue;
      }
      commits_.fetch_add(1, std::memory_order_relaxed);
      transactions_.fetch_add(batch.size(), std::memory_order_relaxed);
      MaybeRestartWal(c);
      c.RecordMemory();
      if (wal_fd_ < 0) {  // synchronous=FULL: COMMIT has synced
        for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
        continue;
      }
      {
        std::lock_guard lk(sync_mu_);
        to_sync_.push_back({std::move(batch), std::move(results)});
      }
      sync_cv_.notify_one();
      batch = {};
      results = {};
    }
  }

  // Under a steady write load the background checkpointer never catches up with the writer, and
  // SQLite only rewinds the WAL when a write begins with every frame checkpointed, so the WAL
  // would grow without bound (and every fsync would also extend the file). Once it passes
  // kWalRestartFrames, the writer checkpoints between two batches (the background checkpointer
  // has already copied most frames, so this is short); the next batch then writes from the
  // start of the WAL again.
  static constexpr int kWalRestartFrames = 4096;  // 16 MiB of 4 KiB pages
  void MaybeRestartWal(Connection& c) {
    if (wal_frames_ < kWalRestartFrames) return;
    // While the checkpointer's own checkpoint runs, this one could not start (SQLITE_BUSY), and
    // waiting for it would stall every caller for that long (it showed as a 300 ms p99): try
    // again after the next batch instead. The WAL grows meanwhile by what one background
    // checkpoint takes to run.
    std::unique_lock run(cp_run_mu_, std::try_to_lock);
    if (!run.owns_lock()) return;
    const int64_t t0 = MonotonicMicros();
    sqlite3_wal_checkpoint_v2(c.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    wal_checkpoint_us_.fetch_add(MonotonicMicros() - t0, std::memory_order_relaxed);
    wal_frames_ = 0;  // the hook reports the real count after the next commit
  }
  static int OnWalCommit(void* self, sqlite3*, const char*, int frames) {
    static_cast<SqliteStore*>(self)->wal_frames_ = frames;
    return SQLITE_OK;
  }

  // Takes every batch committed so far, makes the WAL durable with one fdatasync, then reports
  // those transactions done. An fsync failure leaves the page cache's state unknowable (the
  // kernel may have dropped the dirty pages), so the process stops, as PostgreSQL does: after a
  // restart, SQLite recovers from what the WAL really holds and nothing unsynced was reported.
  void SyncLoop() {
    pthread_setname_np(pthread_self(), "lp-syncer");
    std::vector<Committed> todo;
    for (;;) {
      {
        std::unique_lock lk(sync_mu_);
        sync_cv_.wait(lk, [&] { return !to_sync_.empty() || sync_stop_; });
        if (to_sync_.empty()) return;  // stopped and drained
        todo.swap(to_sync_);
      }
      const int64_t t0 = MonotonicMicros();
      if (::fdatasync(wal_fd_) != 0) {
        log::Error("sqlite_wal_fsync_failed", {{"errno", static_cast<int64_t>(errno)}});
        std::abort();
      }
      sync_us_.fetch_add(MonotonicMicros() - t0, std::memory_order_relaxed);
      syncs_.fetch_add(1, std::memory_order_relaxed);
      for (auto& c : todo) {
        for (size_t i = 0; i < c.jobs.size(); ++i) c.jobs[i].done(std::move(c.results[i]));
      }
      todo.clear();
    }
  }

  static void SyncDirectoryOf(const std::string& path) {
    auto slash = path.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (dir.empty()) dir = "/";
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      (void)::fsync(fd);
      ::close(fd);
    }
  }

  void CheckpointLoop() {
    pthread_setname_np(pthread_self(), "lp-checkpoint");
    std::unique_lock lk(cp_mu_);
    while (!cp_stop_) {
      cp_cv_.wait_for(lk, std::chrono::milliseconds(200));
      if (cp_stop_) break;
      lk.unlock();
      {
        std::lock_guard run(cp_run_mu_);
        sqlite3_wal_checkpoint_v2(checkpoint_conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                  nullptr, nullptr);
        checkpoint_conn_->RecordMemory();
      }
      lk.lock();
    }
    lk.unlock();
    std::lock_guard run(cp_run_mu_);
    sqlite3_wal_checkpoint_v2(checkpoint_conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                              nullptr, nullptr);
  }

  void ReaderLoop(Connection& c) {
    pthread_setname_np(pthread_self(), "lp-reader");
    std::vector<Job> batch;
    for (;;) {
      batch.clear();
      if (!reads_.PopBatch(batch, 1)) break;
      auto& j = batch.front();
      Result<void> r = Error::Internal("read failed");
      if (auto b = c.Exec("BEGIN", {}); !b) {
        r = b.error();
      } else {
        try {
          r = j.fn(c);
        } catch (const std::exception& e) {
          r = Error::Internal(std::string("read threw: ") + e.what());
        }
        (void)c.Exec("COMMIT", {});
      }
      c.RecordMemory();
      j.done(std::move(r));
    }
  }

  std::string path_;
  std::unique_ptr<Connection> writer_conn_;
  std::unique_ptr<Connection> checkpoint_conn_;
  std::thread checkpointer_;
  std::mutex cp_mu_;
  std::mutex cp_run_mu_;  // held while a checkpoint runs (checkpointer or writer)
  std::condition_variable cp_cv_;
  bool cp_stop_ = false;
  std::vector<std::unique_ptr<Connection>> reader_conns_;
  std::thread writer_;
  std::vector<std::thread> readers_;
  JobQueue writes_, reads_;
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> commits_{0}, transactions_{0};
  std::atomic<uint64_t> exec_us_{0}, commit_us_{0}, idle_us_{0}, sync_us_{0}, syncs_{0};
  // Committed batches waiting for the syncer's fdatasync.
  struct Committed {
    std::vector<Job> jobs;
    std::vector<Result<void>> results;
  };
  int wal_fd_ = -1;
  int wal_frames_ = 0;  // WAL length after the writer's last commit (writer thread only)
  std::atomic<uint64_t> wal_checkpoint_us_{0};
  std::thread syncer_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<Committed> to_sync_;
  bool sync_stop_ = false;
  int schema_version_ = 0;
};

}  // namespace

Result<StorePtr> OpenSqliteStore(const std::string& path, const StoreOptions& options) {
  // No global memory statistics: with them every SQLite malloc and free takes a process-wide
  // mutex (~120 of each per payment on the writer). The memory gauge is read per connection
  // instead (Connection::RecordMemory). Only possible before SQLite initializes; later it is
  // refused, harmlessly.
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  auto s = std::make_unique<SqliteStore>(path);
  if (auto r = s->Open(options); !r) return r.error();
  return StorePtr(std::move(s));
}

}  // namespace lp::store
