// Private to the SQLite backend: the store itself. WAL, foreign keys on, durable commits. One
// writer thread group-commits queued write transactions; a syncer thread makes them durable
// (fdatasync of the WAL) and only then completes them, while the writer already runs the next
// batch. Reader threads serve read transactions on their own connections.
//
// One class, its parts in three files: sqlite_store.cpp (opening, migrations, readers, stats,
// shutdown), writer.cpp (group commit and the syncer), checkpointer.cpp (background checkpoints
// and the writer's WAL rewind). The connection wrapper is connection.hpp.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lp/store/store.hpp"
#include "store/sqlite/connection.hpp"

namespace lp::store::sqlite {

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

  Result<void> Open(const StoreOptions& opt);

  void SubmitWrite(TxFn fn, DoneFn done) override {
    writes_.Push({std::move(fn), std::move(done)});
  }
  void SubmitRead(TxFn fn, DoneFn done) override { reads_.Push({std::move(fn), std::move(done)}); }

  Result<void> WriteSync(TxFn fn) override { return Sync(true, std::move(fn)); }
  Result<void> ReadSync(TxFn fn) override { return Sync(false, std::move(fn)); }

  Result<void> Ready() override;
  int SchemaVersion() override { return schema_version_; }
  StoreStats Stats() const override;
  std::string_view Backend() const override { return "sqlite"; }

  void Close() override;

 private:
  // sqlite_store.cpp
  Result<void> Sync(bool write, TxFn fn);
  static int ReadSchemaVersion(Connection& c);
  Result<void> Migrate();
  void ReaderLoop(Connection& c);

  // writer.cpp: group commit and the syncer
  Result<void> RunJob(Job& j);
  void WriterLoop();
  void SyncLoop();
  static void SyncDirectoryOf(const std::string& path);

  // checkpointer.cpp: background checkpoints and the writer's WAL rewind
  void MaybeRestartWal(Connection& c);
  static int OnWalCommit(void* self, sqlite3*, const char*, int frames);
  void CheckpointLoop();

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

}  // namespace lp::store::sqlite
