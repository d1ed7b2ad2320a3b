// The store contract: written once, run against every backend (SQLite now; PostgreSQL joins
// when its backend lands, through the same parameterized suite).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include "lp/store/store.hpp"
#include "support/temp_dir.hpp"

namespace lp::store {
namespace {

struct Backend {
  std::string name;
  // A fresh, empty database; `scratch` is the test's own temp directory (removed after it).
  std::function<std::string(const testing::TempDir& scratch)> make_url;
};

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    url_ = GetParam().make_url(scratch_);
    auto s = OpenStore({url_, 2, true});
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
  }
  void TearDown() override {
    if (store_) store_->Close();
    store_.reset();
  }
  void Reopen() {
    store_->Close();
    store_.reset();
    auto s = OpenStore({url_, 2, true});
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
  }
  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    auto r = store_->ReadSync([&](Tx& tx) -> Result<void> {
      return tx.Query(sql, {}, [&](const Row& row) {
        n = row.Int(0);
        return false;
      });
    });
    EXPECT_TRUE(r);
    return n;
  }
  Result<void> InsertMerchant(const std::string& id) {
    return store_->WriteSync([&](Tx& tx) -> Result<void> {
      auto r = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?, 'm', 1)", {id});
      if (!r) return r.error();
      return {};
    });
  }
  testing::TempDir scratch_{"lp_store"};
  std::string url_;
  StorePtr store_;
};

TEST_P(StoreContract, MigrationsAreAppliedAndReady) {
  EXPECT_GE(store_->SchemaVersion(), 1);
  EXPECT_TRUE(store_->Ready());
}

TEST_P(StoreContract, CommittedWritesSurviveReopen) {
  ASSERT_TRUE(InsertMerchant("mer_1"));
  Reopen();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM merchants WHERE id = 'mer_1'"), 1);
  EXPECT_GE(store_->SchemaVersion(), 1);  // migrations are not re-applied
}

TEST_P(StoreContract, AFailingTransactionRollsBackOnlyItselfInABatch) {
  std::vector<std::future<Result<void>>> results;
  for (int i = 0; i < 100; ++i) {
    auto p = std::make_shared<std::promise<Result<void>>>();
    results.push_back(p->get_future());
    store_->SubmitWrite(
        [i](Tx& tx) -> Result<void> {
          auto r = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?, 'm', 1)",
                           {"mer_" + std::to_string(i)});
          if (!r) return r.error();
          if (i % 10 == 0) return Error::Invalid("nope", "fails on purpose");
          return {};
        },
        [p](Result<void> r) { p->set_value(std::move(r)); });
  }
  int failed = 0;
  for (auto& f : results) failed += f.get() ? 0 : 1;
  EXPECT_EQ(failed, 10);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM merchants"), 90);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM merchants WHERE id = 'mer_10'"), 0);
}

TEST_P(StoreContract, ConcurrentWritesAreGroupCommitted) {
  constexpr int kWrites = 2000;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites / 8; ++i) {
        auto r = store_->WriteSync([&](Tx& tx) -> Result<void> {
          auto x = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?, 'm', 1)",
                           {"mer_" + std::to_string(t) + "_" + std::to_string(i)});
          if (!x) return x.error();
          return {};
        });
        if (r) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kWrites);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM merchants"), kWrites);
  auto stats = store_->Stats();
  EXPECT_GE(stats.transactions, static_cast<uint64_t>(kWrites));
  EXPECT_LT(stats.commits, stats.transactions);  // several transactions shared one commit
}

TEST_P(StoreContract, ConstraintViolationsAreReportedAsErrors) {
  ASSERT_TRUE(InsertMerchant("mer_dup"));
  auto r = InsertMerchant("mer_dup");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "constraint");
  // Foreign keys are enforced.
  auto fk = store_->WriteSync([](Tx& tx) -> Result<void> {
    auto x = tx.Exec(
        "INSERT INTO api_keys (id, merchant_id, mode, type, prefix, last4, hash, created) "
        "VALUES ('k', 'mer_missing', 'test', 'secret', 'sk_test_', 'abcd', 'h', 1)");
    if (!x) return x.error();
    return {};
  });
  EXPECT_FALSE(fk);
}

TEST_P(StoreContract, QueriesBindParametersOfEveryKind) {
  auto r = store_->WriteSync([](Tx& tx) -> Result<void> {
    auto x = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?, ?, ?)",
                     {std::string("mer_b"), "O'Brien; DROP TABLE merchants;--", int64_t{1} << 53});
    if (!x) return x.error();
    return {};
  });
  ASSERT_TRUE(r);
  std::string name;
  int64_t created = 0;
  ASSERT_TRUE(store_->ReadSync([&](Tx& tx) -> Result<void> {
    return tx.Query("SELECT name, created FROM merchants WHERE id = ?", {"mer_b"},
                    [&](const Row& row) {
                      name = row.Text(0);
                      created = row.Int(1);
                      return false;
                    });
  }));
  EXPECT_EQ(name, "O'Brien; DROP TABLE merchants;--");
  EXPECT_EQ(created, int64_t{1} << 53);
}

std::string TempSqlite(const testing::TempDir& scratch) { return scratch.File("test.db"); }

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values(Backend{"sqlite", TempSqlite}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lp::store
