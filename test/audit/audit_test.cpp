// The hash-chained audit log against a real SQLite store: appends chain and verify; an attacker
// with file access (who drops the append-only triggers) cannot edit, delete or reorder records
// without Verify naming the first bad record; the triggers refuse edits through the normal path.
#include "lp/audit/audit.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lp/crypto/hash.hpp"
#include "support/temp_store.hpp"

namespace lp::audit {
namespace {

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::OpenTempStore(dir_, 2, "audit.db");
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
  }
  void TearDown() override {
    if (store_) store_->Close();
    store_.reset();
  }

  static Record Rec(int i) {
    return Record{"api_key",
                  "key_" + std::to_string(i),
                  i % 2 ? "api_key.create" : "api_key.revoke",
                  "key_target_" + std::to_string(i),
                  "mer_1",
                  "success",
                  "203.0.113." + std::to_string(i),
                  "req_" + std::to_string(i),
                  "{\"n\":" + std::to_string(i) + "}"};
  }

  void AppendN(int n) {
    for (int i = 1; i <= n; ++i) {
      auto r = store_->WriteSync(
          [&](store::Tx& tx) { return Append(tx, Rec(i), 1'700'000'000'000'000 + i); });
      ASSERT_TRUE(r) << r.error().detail;
    }
  }

  VerifyReport Check() {
    VerifyReport rep;
    auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      auto v = Verify(tx);
      if (!v) return v.error();
      rep = *v;
      return {};
    });
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
    return rep;
  }

  // What an attacker with write access to the database file does first.
  Result<void> Tamper(const std::string& sql) {
    return store_->WriteSync([&](store::Tx& tx) -> Result<void> {
      for (const char* drop : {"DROP TRIGGER IF EXISTS audit_log_no_update",
                               "DROP TRIGGER IF EXISTS audit_log_no_delete"}) {
        auto d = tx.Exec(drop);
        if (!d) return d.error();
      }
      auto e = tx.Exec(sql);
      if (!e) return e.error();
      return {};
    });
  }

  std::string Text(const std::string& sql) {
    std::string out;
    auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      return tx.Query(sql, {}, [&](const store::Row& row) {
        out = row.Text(0);
        return false;
      });
    });
    EXPECT_TRUE(r);
    return out;
  }
  int64_t Int(const std::string& sql) {
    int64_t out = -1;
    auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      return tx.Query(sql, {}, [&](const store::Row& row) {
        out = row.Int(0);
        return false;
      });
    });
    EXPECT_TRUE(r);
    return out;
  }

  testing::TempDir dir_{"lp_audit"};
  store::StorePtr store_;
};

TEST_F(AuditTest, EmptyLogVerifies) {
  auto rep = Check();
  EXPECT_TRUE(rep.ok);
  EXPECT_EQ(rep.records, 0);
  EXPECT_EQ(rep.first_bad_seq, 0);
}

TEST_F(AuditTest, AppendsChainAndVerify) {
  AppendN(5);
  auto rep = Check();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.records, 5);
  EXPECT_EQ(rep.first_bad_seq, 0);
  EXPECT_TRUE(rep.problem.empty());

  EXPECT_EQ(Int("SELECT MIN(seq) FROM audit_log"), 1);
  EXPECT_EQ(Int("SELECT MAX(seq) FROM audit_log"), 5);
  EXPECT_EQ(Text("SELECT prev_hash FROM audit_log WHERE seq = 1"), std::string(64, '0'));
  for (int s = 2; s <= 5; ++s) {
    EXPECT_EQ(Text("SELECT prev_hash FROM audit_log WHERE seq = " + std::to_string(s)),
              Text("SELECT hash FROM audit_log WHERE seq = " + std::to_string(s - 1)));
  }
  // Every field of the record is stored as given.
  EXPECT_EQ(Text("SELECT actor_type FROM audit_log WHERE seq = 3"), "api_key");
  EXPECT_EQ(Text("SELECT actor_id FROM audit_log WHERE seq = 3"), "key_3");
  EXPECT_EQ(Text("SELECT action FROM audit_log WHERE seq = 3"), "api_key.create");
  EXPECT_EQ(Text("SELECT target FROM audit_log WHERE seq = 3"), "key_target_3");
  EXPECT_EQ(Text("SELECT merchant_id FROM audit_log WHERE seq = 3"), "mer_1");
  EXPECT_EQ(Text("SELECT outcome FROM audit_log WHERE seq = 3"), "success");
  EXPECT_EQ(Text("SELECT source_ip FROM audit_log WHERE seq = 3"), "203.0.113.3");
  EXPECT_EQ(Text("SELECT request_id FROM audit_log WHERE seq = 3"), "req_3");
  EXPECT_EQ(Text("SELECT details FROM audit_log WHERE seq = 3"), "{\"n\":3}");
  EXPECT_EQ(Int("SELECT time FROM audit_log WHERE seq = 3"), 1'700'000'000'000'003);
  EXPECT_EQ(Text("SELECT substr(id, 1, 4) FROM audit_log WHERE seq = 3"), "aud_");
  // Appending after a verify continues the chain.
  auto r =
      store_->WriteSync([&](store::Tx& tx) { return Append(tx, Rec(6), 1'700'000'000'000'006); });
  ASSERT_TRUE(r);
  rep = Check();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.records, 6);
}

TEST_F(AuditTest, AnAppendRolledBackWithItsTransactionLeavesNoGap) {
  AppendN(2);
  auto r = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto a = Append(tx, Rec(3), 3);
    if (!a) return a;
    return Error::Invalid("boom", "the recorded change failed");
  });
  EXPECT_FALSE(r);
  AppendN(1);
  auto rep = Check();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.records, 3);
}

TEST_F(AuditTest, EditingARowIsReportedAtThatSeq) {
  AppendN(5);
  ASSERT_TRUE(Tamper("UPDATE audit_log SET outcome = 'denied' WHERE seq = 3"));
  auto rep = Check();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad_seq, 3);
  EXPECT_NE(rep.problem.find("edited"), std::string::npos) << rep.problem;
}

TEST_F(AuditTest, EditingAnyFieldIsDetected) {
  AppendN(3);
  for (const char* col : {"actor_type", "actor_id", "action", "target", "merchant_id", "outcome",
                          "source_ip", "request_id", "details", "id"}) {
    SCOPED_TRACE(col);
    const std::string before = Text(std::string("SELECT ") + col + " FROM audit_log WHERE seq = 2");
    ASSERT_TRUE(
        Tamper(std::string("UPDATE audit_log SET ") + col + " = " + col + " || 'x' WHERE seq = 2"));
    auto rep = Check();
    EXPECT_FALSE(rep.ok);
    EXPECT_EQ(rep.first_bad_seq, 2);
    EXPECT_NE(rep.problem.find("edited"), std::string::npos) << rep.problem;
    ASSERT_TRUE(
        Tamper(std::string("UPDATE audit_log SET ") + col + " = '" + before + "' WHERE seq = 2"));
    EXPECT_TRUE(Check().ok);
  }
  ASSERT_TRUE(Tamper("UPDATE audit_log SET time = time + 1 WHERE seq = 2"));
  auto rep = Check();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad_seq, 2);
}

TEST_F(AuditTest, EditingARowAndRecomputingItsHashBreaksTheNextLink) {
  AppendN(4);
  // The attacker edits seq 2 and rewrites its hash to match its new content.
  std::string prev = Text("SELECT prev_hash FROM audit_log WHERE seq = 2");
  std::string id = Text("SELECT id FROM audit_log WHERE seq = 2");
  const int64_t time = Int("SELECT time FROM audit_log WHERE seq = 2");
  Record forged = Rec(2);
  forged.outcome = "failure";
  boost::json::array canon{int64_t{2},
                           id,
                           time,
                           forged.actor_type,
                           forged.actor_id,
                           forged.action,
                           forged.target,
                           forged.merchant_id,
                           forged.outcome,
                           forged.source_ip,
                           forged.request_id,
                           forged.details};
  const std::string hash = crypto::Hex(crypto::Sha256(prev + boost::json::serialize(canon)));
  ASSERT_TRUE(
      Tamper("UPDATE audit_log SET outcome = 'failure', hash = '" + hash + "' WHERE seq = 2"));
  auto rep = Check();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad_seq, 3);
  EXPECT_NE(rep.problem.find("mismatch"), std::string::npos) << rep.problem;
}

TEST_F(AuditTest, DeletingAMiddleRowIsAGap) {
  AppendN(5);
  ASSERT_TRUE(Tamper("DELETE FROM audit_log WHERE seq = 3"));
  auto rep = Check();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad_seq, 4);
  EXPECT_NE(rep.problem.find("gap"), std::string::npos) << rep.problem;
}

TEST_F(AuditTest, DeletingTheFirstRowIsAGap) {
  AppendN(3);
  ASSERT_TRUE(Tamper("DELETE FROM audit_log WHERE seq = 1"));
  auto rep = Check();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad_seq, 2);
  EXPECT_NE(rep.problem.find("gap"), std::string::npos) << rep.problem;
}

TEST_F(AuditTest, DeletingAMiddleRowAndRenumberingIsAMismatch) {
  AppendN(5);
  ASSERT_TRUE(Tamper("DELETE FROM audit_log WHERE seq = 3"));
  ASSERT_TRUE(Tamper("UPDATE audit_log SET seq = seq - 1 WHERE seq > 3"));
  auto rep = Check();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad_seq, 3);
  EXPECT_NE(rep.problem.find("mismatch"), std::string::npos) << rep.problem;
}

TEST_F(AuditTest, SwappingTwoRowsContentsIsAMismatch) {
  AppendN(5);
  const std::string cols =
      "id, time, actor_type, actor_id, action, target, merchant_id, outcome, source_ip, "
      "request_id, details, prev_hash, hash";
  // Swap every column but seq between rows 2 and 4 (via a scratch copy).
  ASSERT_TRUE(Tamper("CREATE TABLE scratch AS SELECT * FROM audit_log WHERE seq IN (2, 4)"));
  ASSERT_TRUE(Tamper("DELETE FROM audit_log WHERE seq IN (2, 4)"));
  ASSERT_TRUE(Tamper("INSERT INTO audit_log (seq, " + cols + ") SELECT 6 - seq, " + cols +
                     " FROM scratch"));
  ASSERT_EQ(Int("SELECT COUNT(*) FROM audit_log"), 5);
  ASSERT_EQ(Text("SELECT actor_id FROM audit_log WHERE seq = 2"), "key_4");
  auto rep = Check();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad_seq, 2);
  EXPECT_NE(rep.problem.find("mismatch"), std::string::npos) << rep.problem;
}

TEST_F(AuditTest, SwappingAdjacentRowsBySeqIsDetected) {
  AppendN(4);
  ASSERT_TRUE(Tamper("UPDATE audit_log SET seq = 100 WHERE seq = 2"));
  ASSERT_TRUE(Tamper("UPDATE audit_log SET seq = 2 WHERE seq = 3"));
  ASSERT_TRUE(Tamper("UPDATE audit_log SET seq = 3 WHERE seq = 100"));
  auto rep = Check();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad_seq, 2);
  EXPECT_NE(rep.problem.find("mismatch"), std::string::npos) << rep.problem;
}

TEST_F(AuditTest, TriggersRefuseUpdateAndDeleteThroughTheNormalPath) {
  AppendN(3);
  auto upd = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto e = tx.Exec("UPDATE audit_log SET outcome = 'denied' WHERE seq = 2");
    if (!e) return e.error();
    return {};
  });
  EXPECT_FALSE(upd) << "UPDATE on audit_log was accepted";
  auto del = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto e = tx.Exec("DELETE FROM audit_log WHERE seq = 2");
    if (!e) return e.error();
    return {};
  });
  EXPECT_FALSE(del) << "DELETE on audit_log was accepted";
  auto all = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto e = tx.Exec("DELETE FROM audit_log");
    if (!e) return e.error();
    return {};
  });
  EXPECT_FALSE(all) << "DELETE of the whole audit_log was accepted";
  EXPECT_EQ(Int("SELECT COUNT(*) FROM audit_log"), 3);
  EXPECT_EQ(Text("SELECT outcome FROM audit_log WHERE seq = 2"), "success");
  auto rep = Check();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.records, 3);
  // The store keeps working after the refused statements.
  AppendN(1);
  EXPECT_TRUE(Check().ok);
}

TEST_F(AuditTest, TriggersSurviveReopen) {
  AppendN(2);
  store_->Close();
  auto s = testing::OpenTempStore(dir_, 2, "audit.db");
  ASSERT_TRUE(s) << s.error().detail;
  store_ = std::move(*s);
  auto upd = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
    auto e = tx.Exec("UPDATE audit_log SET details = '{}' WHERE seq = 1");
    if (!e) return e.error();
    return {};
  });
  EXPECT_FALSE(upd);
  EXPECT_TRUE(Check().ok);
}

// ---- the query of docs/dashboard-api.md §8 (List, ExportNewestFirst) ----

class AuditQueryTest : public AuditTest {
 protected:
  // Appends `r` in merchant `m` at time `t` (µs).
  void Add(Record r, std::string m, int64_t t) {
    r.merchant_id = std::move(m);
    auto w = store_->WriteSync([&](store::Tx& tx) { return Append(tx, r, t); });
    ASSERT_TRUE(w) << w.error().detail;
  }
  std::vector<StoredRecord> Page(const QueryFilter& f, const QueryPage& p, bool* more = nullptr) {
    std::vector<StoredRecord> out;
    auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      auto m = List(tx, f, p, out);
      if (!m) return m.error();
      if (more) *more = *m;
      return {};
    });
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return out;
  }
  static std::vector<int64_t> Seqs(const std::vector<StoredRecord>& v) {
    std::vector<int64_t> out;
    for (const auto& s : v) out.push_back(s.seq);
    return out;
  }
  void Fill() {
    // seq 1..8: mer_a gets 1,2,3,5,6,8; mer_b gets 4,7.
    const char* actions[] = {"api_key.create", "api_key.roll",   "api_keys.x",     "api_key.create",
                             "role.create",    "api_key.revoke", "api_key.create", "api_key_x.y"};
    for (int i = 1; i <= 8; ++i) {
      Record r = Rec(i);
      r.action = actions[i - 1];
      r.actor_id = i % 3 == 0 ? "usr_x" : "key_y";
      r.outcome = i == 6 ? "denied" : "success";
      Add(r, i == 4 || i == 7 ? "mer_b" : "mer_a", 1'700'000'000'000'000 + i * 1'000'000);
    }
  }
};

TEST_F(AuditQueryTest, AMerchantsRecordsNewestFirstWithFilters) {
  Fill();
  QueryFilter a;
  a.merchant_id = "mer_a";
  EXPECT_EQ(Seqs(Page(a, {100})), (std::vector<int64_t>{8, 6, 5, 3, 2, 1}));
  QueryFilter exact = a;
  exact.action = "api_key.create";
  EXPECT_EQ(Seqs(Page(exact, {100})), (std::vector<int64_t>{1}));
  // "api_key.*": neither "api_keys.x" nor "api_key_x.y" (the prefix ends at its '.').
  QueryFilter prefix = a;
  prefix.action_prefix = "api_key.";
  EXPECT_EQ(Seqs(Page(prefix, {100})), (std::vector<int64_t>{6, 2, 1}));
  QueryFilter actor = a;
  actor.actor_id = "usr_x";
  EXPECT_EQ(Seqs(Page(actor, {100})), (std::vector<int64_t>{6, 3}));
  QueryFilter denied = a;
  denied.outcome = "denied";
  EXPECT_EQ(Seqs(Page(denied, {100})), (std::vector<int64_t>{6}));
  QueryFilter window = a;
  window.from_us = 1'700'000'000'000'000 + 2'000'000;
  window.to_us = 1'700'000'000'000'000 + 5'000'000;
  EXPECT_EQ(Seqs(Page(window, {100})), (std::vector<int64_t>{5, 3, 2}));
  QueryFilter all;  // operators: every merchant
  EXPECT_EQ(Page(all, {100}).size(), 8u);
}

TEST_F(AuditQueryTest, CursorPagesBothWaysAndRefuseAnotherMerchantsId) {
  Fill();
  QueryFilter a;
  a.merchant_id = "mer_a";
  bool more = false;
  auto p1 = Page(a, {2}, &more);
  EXPECT_EQ(Seqs(p1), (std::vector<int64_t>{8, 6}));
  EXPECT_TRUE(more);
  auto p2 = Page(a, {2, p1.back().id, std::nullopt}, &more);
  EXPECT_EQ(Seqs(p2), (std::vector<int64_t>{5, 3}));
  EXPECT_TRUE(more);
  auto p3 = Page(a, {2, p2.back().id, std::nullopt}, &more);
  EXPECT_EQ(Seqs(p3), (std::vector<int64_t>{2, 1}));
  EXPECT_FALSE(more);
  auto back = Page(a, {2, std::nullopt, p3.front().id}, &more);
  EXPECT_EQ(Seqs(back), (std::vector<int64_t>{5, 3}));
  EXPECT_TRUE(more);
  // seq 4 is mer_b's: not a cursor for mer_a.
  QueryFilter b;
  b.merchant_id = "mer_b";
  const std::string foreign = Page(b, {1}).front().id;
  std::vector<StoredRecord> out;
  auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
    auto m = List(tx, a, {2, foreign, std::nullopt}, out);
    if (!m) return m.error();
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "resource_missing");
  EXPECT_EQ(r.error().param, "starting_after");
}

TEST_F(AuditQueryTest, ExportIsNewestFirstAndBounded) {
  Fill();
  QueryFilter a;
  a.merchant_id = "mer_a";
  std::vector<int64_t> seqs;
  auto r = store_->ReadSync([&](store::Tx& tx) {
    return ExportNewestFirst(tx, a, 4, [&](const StoredRecord& s) {
      seqs.push_back(s.seq);
      return true;
    });
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(seqs, (std::vector<int64_t>{8, 6, 5, 3}));
}

}  // namespace
}  // namespace lp::audit
