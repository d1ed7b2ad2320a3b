// Checkpoints of the SQLite store (see sqlite_store.hpp): a background thread copies WAL frames
// into the database file every 200 ms on its own connection, and the writer rewinds the WAL
// between two batches once it grows past kWalRestartFrames.
#include <pthread.h>
#include <sqlite3.h>

#include <chrono>
#include <mutex>

#include "lp/common/clock.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace lp::store::sqlite {

namespace {

// Under a steady write load the background checkpointer never catches up with the writer, and
// SQLite only rewinds the WAL when a write begins with every frame checkpointed, so the WAL
// would grow without bound (and every fsync would also extend the file). Once it passes
// kWalRestartFrames, the writer checkpoints between two batches (the background checkpointer
// has already copied most frames, so this is short); the next batch then writes from the
// start of the WAL again.
constexpr int kWalRestartFrames = 4096;  // 16 MiB of 4 KiB pages

}  // namespace

void SqliteStore::MaybeRestartWal(Connection& c) {
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

int SqliteStore::OnWalCommit(void* self, sqlite3*, const char*, int frames) {
  static_cast<SqliteStore*>(self)->wal_frames_ = frames;
  return SQLITE_OK;
}

void SqliteStore::CheckpointLoop() {
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
  sqlite3_wal_checkpoint_v2(checkpoint_conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                            nullptr);
}

}  // namespace lp::store::sqlite
