// The write-coalescing WAL VFS: a commit reaches the file as one write, other connections see it
// as soon as the commit returns, and a failed write fails the commit.
#include "store/sqlite/wal_vfs.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "support/temp_dir.hpp"

namespace lp::store::sqlite {
namespace {

class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writer_ = Open(WalVfsName());
    Exec(writer_, "PRAGMA synchronous=NORMAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);");
  }
  void TearDown() override { sqlite3_close(writer_); }
  sqlite3* Open(const char* vfs) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
              SQLITE_OK);
    Exec(db, "PRAGMA journal_mode=WAL;");
    return db;
  }
  static int Exec(sqlite3* db, const std::string& sql) {
    return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  }
  static int64_t Count(sqlite3* db, const char* sql = "SELECT COUNT(*) FROM t") {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    int64_t n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  }
  // `rows` rows of 1,000 bytes in one transaction.
  int Insert(int rows) {
    if (int rc = Exec(writer_, "BEGIN"); rc != SQLITE_OK) return rc;
    for (int i = 0; i < rows; ++i) {
      if (int rc = Exec(writer_, "INSERT INTO t (v) VALUES (randomblob(1000))"); rc != SQLITE_OK) {
        Exec(writer_, "ROLLBACK");
        return rc;
      }
    }
    int rc = Exec(writer_, "COMMIT");
    if (rc != SQLITE_OK) Exec(writer_, "ROLLBACK");
    return rc;
  }
  testing::TempDir dir_{"lp_walvfs"};
  std::string path_ = dir_.File("t.db");
  sqlite3* writer_ = nullptr;
};

TEST_F(WalVfsTest, ACommitReachesTheFileAsOneWriteAndIsVisibleAtOnce) {
  ASSERT_NE(WalVfsName(), nullptr);
  sqlite3* reader = Open(nullptr);  // the default VFS: reads the file, not the shim's buffer
  ASSERT_EQ(Count(reader), 0);
  for (int round = 1; round <= 5; ++round) {
    const auto before = WalVfsCounters();
    ASSERT_EQ(Insert(40), SQLITE_OK);  // ~10 pages of rows plus interior pages: 20+ writes
    const auto after = WalVfsCounters();
    const auto in = after.writes_in - before.writes_in;
    const auto out = after.writes_out - before.writes_out;
    EXPECT_GE(in, 20U) << "round " << round;
    EXPECT_LE(out, 2U) << "round " << round << ": " << in << " writes became " << out;
    EXPECT_EQ(Count(reader), 40 * round) << "the commit is in the file when COMMIT returns";
  }
  EXPECT_EQ(Exec(reader, "PRAGMA integrity_check"), SQLITE_OK);
  sqlite3_close(reader);
}

TEST_F(WalVfsTest, CheckpointsAndWalRestartsKeepEveryCommit) {
  sqlite3* other = Open(nullptr);
  int64_t total = 0;
  for (int round = 0; round < 30; ++round) {
    ASSERT_EQ(Insert(20), SQLITE_OK);
    total += 20;
    if (round % 7 == 6) {  // copy into the database file and rewind the WAL from another handle
      ASSERT_EQ(Exec(other, "PRAGMA wal_checkpoint(RESTART)"), SQLITE_OK);
    }
    ASSERT_EQ(Count(other), total);
  }
  sqlite3_close(writer_);
  writer_ = nullptr;
  ASSERT_EQ(Exec(other, "PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
  sqlite3_close(other);
  sqlite3* fresh = Open(nullptr);
  EXPECT_EQ(Count(fresh), total);
  EXPECT_EQ(Count(fresh, "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check='ok'"),
            1);
  sqlite3_close(fresh);
}

TEST_F(WalVfsTest, AFailedWalWriteFailsTheCommitAndLosesNothingCommitted) {
  ASSERT_EQ(Insert(10), SQLITE_OK);
  // Files may not grow past 64 KiB beyond the WAL's current end: the next large commit's write
  // fails with EFBIG (SIGXFSZ ignored), inside the commit.
  const auto wal_size = std::filesystem::file_size(path_ + "-wal");
  const auto db_size = std::filesystem::file_size(path_);
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit low = old;
  low.rlim_cur = std::max(wal_size, db_size) + 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &low), 0);
  const int rc = Insert(400);  // ~400 KB
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(rc, SQLITE_OK) << "a commit whose frames could not be written must fail";
  EXPECT_EQ(Count(writer_), 10);
  sqlite3* fresh = Open(nullptr);
  EXPECT_EQ(Count(fresh), 10);
  sqlite3_close(fresh);
  // The writer goes on once the file can grow again.
  ASSERT_EQ(Insert(50), SQLITE_OK);
  sqlite3* after = Open(nullptr);
  EXPECT_EQ(Count(after), 60);
  EXPECT_EQ(Count(after, "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check='ok'"),
            1);
  sqlite3_close(after);
}

}  // namespace
}  // namespace lp::store::sqlite
