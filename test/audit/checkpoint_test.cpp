// Signed checkpoints: written when due (records or time), verified against the chain; a
// checkpoint beyond the chain's end (truncation), over a different hash (rewrite) or with a bad
// signature (forgery) is named; without the key only the chain is checked.
#include <gtest/gtest.h>

#include "lp/audit/audit.hpp"
#include "support/temp_dir.hpp"
#include "support/temp_store.hpp"

namespace lp::audit {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;
constexpr int64_t kHour = 3'600'000'000;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::OpenTempStore(dir_, 2, "audit.db");
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
  }
  void TearDown() override { store_->Close(); }

  void Append(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(store_->WriteSync([&](store::Tx& tx) {
        return audit::Append(
            tx, Record{"system", "t", "test.action", "x", "mer_1", "success", "", "", "{}"},
            kT0 + i);
      }));
    }
  }
  std::optional<Checkpoint> Due(int64_t now, int64_t every_records, int64_t every_us) {
    std::optional<Checkpoint> made;
    auto r = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
      auto c = WriteCheckpointIfDue(tx, key_, now, every_records, every_us);
      if (!c) return c.error();
      made = *c;
      return {};
    });
    EXPECT_TRUE(r);
    return made;
  }
  VerifyReport Check(VerifyOptions opt) {
    VerifyReport rep;
    EXPECT_TRUE(store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      auto v = Verify(tx, opt);
      if (!v) return v.error();
      rep = *v;
      return {};
    }));
    return rep;
  }

  testing::TempDir dir_;
  store::StorePtr store_;
  const std::string key_ = CheckpointKey("a 32-byte pepper for this test..");
};

TEST_F(CheckpointTest, WrittenWhenEnoughRecordsOrTimeHavePassed) {
  Append(5);
  auto first = Due(kT0, 1000, kHour);  // no checkpoint yet: the time since "never" has passed
  ASSERT_TRUE(first);
  EXPECT_EQ(first->seq, 5);
  EXPECT_TRUE(CheckpointValid(key_, *first));
  Append(3);
  EXPECT_FALSE(Due(kT0 + kHour / 2, 1000, kHour));  // 3 records, half an hour: not due
  auto by_records = Due(kT0 + kHour / 2, 3, kHour);
  ASSERT_TRUE(by_records);
  EXPECT_EQ(by_records->seq, 8);
  EXPECT_FALSE(Due(kT0 + 5 * kHour, 1, 0));  // nothing new since: not signed again
  Append(1);
  auto by_time = Due(kT0 + kHour + kHour / 2 + 1, 1000, kHour);
  ASSERT_TRUE(by_time);
  EXPECT_EQ(by_time->seq, 9);
  auto rep = Check({key_, std::nullopt});
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.checkpoints, 3);
  ASSERT_TRUE(rep.last_checkpoint);
  EXPECT_EQ(rep.last_checkpoint->seq, 9);
}

TEST_F(CheckpointTest, AnAnchorBeyondTheChainIsTruncation) {
  Append(4);
  auto c = Due(kT0, 1, 0);
  ASSERT_TRUE(c);
  Checkpoint beyond{10, c->hash, c->time_us, SignCheckpoint(key_, 10, c->hash, c->time_us)};
  auto rep = Check({key_, beyond});
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad_seq, 10);
  EXPECT_NE(rep.problem.find("truncated"), std::string::npos) << rep.problem;
}

TEST_F(CheckpointTest, ADifferentHashIsARewriteAndABadMacAForgery) {
  Append(4);
  auto c = Due(kT0, 1, 0);
  ASSERT_TRUE(c);
  const std::string other(64, 'a');
  Checkpoint rewritten{4, other, c->time_us, SignCheckpoint(key_, 4, other, c->time_us)};
  auto rep = Check({key_, rewritten});
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("rewritten"), std::string::npos) << rep.problem;
  Checkpoint forged = *c;
  forged.mac =
      SignCheckpoint(CheckpointKey("another pepper, another key ring"), 4, c->hash, c->time_us);
  rep = Check({key_, forged});
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("signature invalid"), std::string::npos) << rep.problem;
}

TEST_F(CheckpointTest, WithoutTheKeyOnlyTheChainIsChecked) {
  Append(3);
  ASSERT_TRUE(Due(kT0, 1, 0));
  auto rep = Check({});
  EXPECT_TRUE(rep.ok);
  EXPECT_EQ(rep.records, 3);
  EXPECT_EQ(rep.checkpoints, 0);
}

TEST_F(CheckpointTest, TheAnchorFileRoundTrips) {
  Checkpoint c{7, std::string(64, 'b'), kT0, SignCheckpoint(key_, 7, std::string(64, 'b'), kT0)};
  const std::string path = dir_.File("anchor.json");
  auto none = ReadAnchor(path);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(WriteAnchor(path, c));
  auto back = ReadAnchor(path);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->seq, 7);
  EXPECT_TRUE(CheckpointValid(key_, **back));
}

}  // namespace
}  // namespace lp::audit
