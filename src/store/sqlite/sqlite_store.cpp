// SQLite backend: WAL, foreign keys on, durable commits. One writer thread group-commits queued
// write transactions; a syncer thread makes them durable (fdatasync of the WAL) and only then
// completes them, while the writer already runs the next batch. Reader threads serve read
// transactions on their own connections. This file opens and closes the store and runs the
// migrations and the readers; the writer and syncer are in writer.cpp, the checkpoints in
// checkpointer.cpp, the connection wrapper in connection.cpp.
#include "store/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <future>
#include <mutex>
#include <set>

#include "lp/common/clock.hpp"
#include "lp/common/log.hpp"
#include "lp/store/store.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/wal_vfs.hpp"

namespace lp::store {
namespace sqlite {

Result<void> SqliteStore::Open(const StoreOptions& opt) {
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

Result<void> SqliteStore::Ready() {
  return ReadSync([](Tx& tx) -> Result<void> {
    int64_t applied = 0;
    auto r = tx.Query("SELECT COUNT(*) FROM schema_migrations", {}, [&](const Row& row) {
      applied = row.Int(0);
      return false;
    });
    if (!r) return r;
    if (applied < static_cast<int64_t>(sqlite::Migrations().size())) {
      return Error::Unavailable("migrations pending");
    }
    return {};
  });
}

StoreStats SqliteStore::Stats() const {
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

void SqliteStore::Close() {
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

Result<void> SqliteStore::Sync(bool write, TxFn fn) {
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

int SqliteStore::ReadSchemaVersion(Connection& c) {
  int64_t v = 0;
  (void)c.Query("SELECT COALESCE(MAX(version),0) FROM schema_migrations", {}, [&](const Row& row) {
    v = row.Int(0);
    return false;
  });
  return static_cast<int>(v);
}

Result<void> SqliteStore::Migrate() {
  auto& c = *writer_conn_;
  if (auto r =
          c.ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                       "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      !r) {
    return r;
  }
  // Every migration not recorded as applied runs, in order: not only those above the highest
  // applied version, so a row removed from schema_migrations (by an operator re-running a data
  // migration) runs that migration again at the next start.
  std::set<int64_t> applied;
  if (auto r = c.Query("SELECT version FROM schema_migrations", {},
                       [&](const Row& row) {
                         applied.insert(row.Int(0));
                         return true;
                       });
      !r) {
    return r;
  }
  for (const auto& m : sqlite::Migrations()) {
    if (applied.contains(m.version)) continue;
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

void SqliteStore::ReaderLoop(Connection& c) {
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

}  // namespace sqlite

Result<StorePtr> OpenSqliteStore(const std::string& path, const StoreOptions& options) {
  // No global memory statistics: with them every SQLite malloc and free takes a process-wide
  // mutex (~120 of each per payment on the writer). The memory gauge is read per connection
  // instead (Connection::RecordMemory). Only possible before SQLite initializes; later it is
  // refused, harmlessly.
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  // A new database file is created owner-only (0600) before SQLite opens it: SQLite gives its
  // -wal and -shm files the database file's permissions, and would create it 0644 (umask).
  if (!path.empty() && path != ":memory:" && !path.starts_with("file:")) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Error::Internal("cannot create database " + path + ": " + std::strerror(errno));
    }
    ::close(fd);
  }
  auto s = std::make_unique<sqlite::SqliteStore>(path);
  if (auto r = s->Open(options); !r) return r.error();
  return StorePtr(std::move(s));
}

}  // namespace lp::store
