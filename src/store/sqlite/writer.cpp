// The writer and the syncer of the SQLite store (see sqlite_store.hpp): the writer thread
// group-commits queued write transactions, the syncer makes each committed batch durable with
// one fdatasync of the WAL before completing it.
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <exception>
#include <mutex>

#include "lp/common/clock.hpp"
#include "lp/common/files.hpp"
#include "lp/common/log.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace lp::store::sqlite {

Result<void> SqliteStore::RunJob(Job& j) {
  try {
    return j.fn(*writer_conn_);
  } catch (const std::exception& e) {
    return Error::Internal(std::string("transaction threw: ") + e.what());
  }
}

void SqliteStore::WriterLoop() {
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

// Takes every batch committed so far, makes the WAL durable with one fdatasync, then reports
// those transactions done. An fsync failure leaves the page cache's state unknowable (the
// kernel may have dropped the dirty pages), so the process stops, as PostgreSQL does: after a
// restart, SQLite recovers from what the WAL really holds and nothing unsynced was reported.
void SqliteStore::SyncLoop() {
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

void SqliteStore::SyncDirectoryOf(const std::string& path) {
  const std::string dir = lp::DirectoryOf(path);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace lp::store::sqlite
