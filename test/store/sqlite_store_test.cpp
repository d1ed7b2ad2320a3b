// SQLite-specific behaviour of the store: durability before completion and a bounded WAL.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>

#include "lp/store/store.hpp"
#include "support/temp_store.hpp"

namespace lp::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::OpenTempStore(dir_);
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
  }
  void TearDown() override {
    if (store_) store_->Close();
  }
  testing::TempDir dir_{"lp_sqlite"};
  std::string path_ = dir_.File("test.db");
  StorePtr store_;
};

// A write is reported done only after an fsync that started after its commit: the syncs
// counter seen in `done` is past the one seen when the transaction ran.
TEST_F(SqliteStoreTest, AWriteIsCompletedOnlyAfterAnFsyncCoversIt) {
  constexpr int kWrites = 300;
  std::vector<std::future<bool>> covered;
  for (int i = 0; i < kWrites; ++i) {
    auto p = std::make_shared<std::promise<bool>>();
    covered.push_back(p->get_future());
    auto syncs_in_tx = std::make_shared<std::atomic<uint64_t>>(0);
    store_->SubmitWrite(
        [this, i, syncs_in_tx](Tx& tx) -> Result<void> {
          syncs_in_tx->store(store_->Stats().syncs);
          auto r = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?, 'm', 1)",
                           {"mer_" + std::to_string(i)});
          if (!r) return r.error();
          return {};
        },
        [this, p, syncs_in_tx](Result<void> r) {
          p->set_value(r && store_->Stats().syncs > syncs_in_tx->load());
        });
  }
  int ok = 0;
  for (auto& f : covered) ok += f.get() ? 1 : 0;
  EXPECT_EQ(ok, kWrites);
  auto stats = store_->Stats();
  EXPECT_GE(stats.syncs, 1u);
  EXPECT_LE(stats.syncs, stats.commits);  // one fsync may cover several commits, never fewer
}

// Under a steady stream of writes the WAL rewinds instead of growing with everything written.
TEST_F(SqliteStoreTest, TheWalStaysBoundedUnderSteadyWrites) {
  constexpr int kWrites = 6000;
  const std::string blob(16 * 1024, 'x');  // ~5 WAL frames each: ~100 MiB in all
  std::vector<std::future<Result<void>>> results;
  for (int i = 0; i < kWrites; ++i) {
    auto p = std::make_shared<std::promise<Result<void>>>();
    results.push_back(p->get_future());
    store_->SubmitWrite(
        [&blob, i](Tx& tx) -> Result<void> {
          auto r = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?, ?, 1)",
                           {"mer_" + std::to_string(i), blob});
          if (!r) return r.error();
          return {};
        },
        [p](Result<void> r) { p->set_value(std::move(r)); });
  }
  for (auto& f : results) ASSERT_TRUE(f.get());
  const auto wal = std::filesystem::file_size(path_ + "-wal");
  // The rewind threshold (4,096 frames, ~16 MiB), plus one batch (<= 512 jobs of ~5 frames,
  // ~11 MiB), plus what is written while one background checkpoint runs; without the rewind it
  // ends at ~100 MiB.
  EXPECT_LT(wal, 64u * 1024 * 1024) << "WAL grew to " << wal << " bytes";
}

// A migration whose schema_migrations row was removed runs again at the next start, even when
// later migrations are applied; until it has, the store is not ready.
TEST_F(SqliteStoreTest, AMigrationWhoseRowWasRemovedRunsAgainAtTheNextStart) {
  const int64_t kVersion = 15;  // routing scopes: a data migration that is safe to re-run
  ASSERT_TRUE(store_->WriteSync([&](Tx& tx) -> Result<void> {
    auto r = tx.Exec("DELETE FROM schema_migrations WHERE version = ?", {kVersion});
    if (!r) return r.error();
    return {};
  }));
  EXPECT_FALSE(store_->Ready());
  store_->Close();
  auto s = testing::OpenTempStore(dir_);
  ASSERT_TRUE(s) << s.error().detail;
  store_ = std::move(*s);
  EXPECT_TRUE(store_->Ready());
  int64_t rows = 0;
  ASSERT_TRUE(store_->ReadSync([&](Tx& tx) -> Result<void> {
    return tx.Query("SELECT COUNT(*) FROM schema_migrations WHERE version = ?", {kVersion},
                    [&](const Row& row) {
                      rows = row.Int(0);
                      return false;
                    });
  }));
  EXPECT_EQ(rows, 1);
}

}  // namespace
}  // namespace lp::store
