// ListPage (every merchant-scoped list's cursor pagination) against a real SQLite store: page
// order both ways, starting_after / ending_before, has_more, filters, an unknown or foreign
// cursor, and rows of another merchant or mode never showing.
#include "lp/store/pagination.hpp"

#include <gtest/gtest.h>

#include <tuple>

#include "support/temp_store.hpp"

namespace lp::store {
namespace {

class ListPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::OpenTempStore(dir_, 1, "t.db");
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->WriteSync([](store::Tx& tx) -> Result<void> {
      for (const char* m : {"mer_a", "mer_b"}) {
        auto r = tx.Exec("INSERT INTO merchants (id, name, created) VALUES (?, 'm', 1)", {m});
        if (!r) return r.error();
      }
      // mer_a/test: e1..e6 created 1..6 s (e4 deleted); e7 is live mode; e8 is mer_b's.
      struct E {
        const char* id;
        const char* merchant;
        const char* mode;
        int64_t created_s;
        const char* status;
      };
      for (const E& e :
           {E{"e1", "mer_a", "test", 1, "enabled"}, E{"e2", "mer_a", "test", 2, "enabled"},
            E{"e3", "mer_a", "test", 3, "disabled"}, E{"e4", "mer_a", "test", 4, "deleted"},
            E{"e5", "mer_a", "test", 5, "enabled"}, E{"e6", "mer_a", "test", 6, "enabled"},
            E{"e7", "mer_a", "live", 7, "enabled"}, E{"e8", "mer_b", "test", 8, "enabled"}}) {
        auto r = tx.Exec(
            "INSERT INTO webhook_endpoints (id, merchant_id, mode, url, enabled_events, status, "
            "created, updated) VALUES (?, ?, ?, 'https://x.test/', '[\"*\"]', ?, ?, ?)",
            {e.id, e.merchant, e.mode, e.status, e.created_s * 1'000'000, e.created_s * 1'000'000});
        if (!r) return r.error();
      }
      return {};
    }));
  }
  void TearDown() override { store_->Close(); }

  struct Got {
    std::vector<std::string> ids;
    bool has_more = false;
    std::optional<Error> error;
  };
  Got List(ListParams params, bool oldest_first = false,
           std::vector<std::pair<std::string, std::string>> eq = {}) {
    Got got;
    Principal p{"mer_a", Mode::kTest, "key", "secret", {}, {}, {}};
    auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      ListSpec spec{"webhook_endpoints", "id", eq, "status != 'deleted'", oldest_first};
      auto more = ListPage(tx, spec, p, params,
                           [&](const store::Row& row) { got.ids.push_back(row.Text(0)); });
      if (!more) return more.error();
      got.has_more = *more;
      return {};
    });
    if (!r) got.error = r.error();
    return got;
  }
  using V = std::vector<std::string>;

  testing::TempDir dir_{"lp_page"};
  store::StorePtr store_;
};

TEST_F(ListPageTest, NewestFirstPagesForwardAndBack) {
  auto first = List({.limit = 2});
  EXPECT_EQ(first.ids, (V{"e6", "e5"}));  // e4 is deleted; e7 live, e8 another merchant's
  EXPECT_TRUE(first.has_more);
  auto second = List({.limit = 2, .starting_after = "e5"});
  EXPECT_EQ(second.ids, (V{"e3", "e2"}));
  EXPECT_TRUE(second.has_more);
  auto last = List({.limit = 2, .starting_after = "e2"});
  EXPECT_EQ(last.ids, (V{"e1"}));
  EXPECT_FALSE(last.has_more);
  // Back from the last page: the page before e1, still in page (newest-first) order.
  auto back = List({.limit = 2, .ending_before = "e1"});
  EXPECT_EQ(back.ids, (V{"e3", "e2"}));
  EXPECT_TRUE(back.has_more);
  auto top = List({.limit = 2, .ending_before = "e3"});
  EXPECT_EQ(top.ids, (V{"e6", "e5"}));
  EXPECT_FALSE(top.has_more);
}

// Rows read backwards come from an outer query that leads with a count; the callback must still
// see exactly the spec's columns, in order, whichever way the page is read.
TEST_F(ListPageTest, RowsCarryTheSpecColumnsBothWays) {
  Principal p{"mer_a", Mode::kTest, "key", "secret", {}, {}, {}};
  for (const char* dir : {"forward", "backward"}) {
    std::vector<std::tuple<std::string, int64_t, std::string>> rows;
    ListParams params{.limit = 3};
    if (std::string_view(dir) == "backward") params.ending_before = "e1";
    auto r = store_->ReadSync([&](store::Tx& tx) -> Result<void> {
      ListSpec spec{"webhook_endpoints", "id, created, status", {}, "status != 'deleted'", false};
      auto more = ListPage(tx, spec, p, params, [&](const store::Row& row) {
        rows.emplace_back(row.Text(0), row.Int(1), row.Text(2));
      });
      if (!more) return more.error();
      return {};
    });
    ASSERT_TRUE(r) << dir;
    using T = std::tuple<std::string, int64_t, std::string>;
    const std::vector<T> want = {T{"e6", 6'000'000, "enabled"}, T{"e5", 5'000'000, "enabled"},
                                 T{"e3", 3'000'000, "disabled"}};
    if (std::string_view(dir) == "forward") {
      EXPECT_EQ(rows, want);
    } else {  // the 3 before e1: e2, e3, e5 in newest-first order
      EXPECT_EQ(rows, (std::vector<T>{T{"e5", 5'000'000, "enabled"}, T{"e3", 3'000'000, "disabled"},
                                      T{"e2", 2'000'000, "enabled"}}));
    }
  }
}

TEST_F(ListPageTest, OldestFirstListsPageTheOtherWay) {
  auto first = List({.limit = 2}, true);
  EXPECT_EQ(first.ids, (V{"e1", "e2"}));
  EXPECT_TRUE(first.has_more);
  auto next = List({.limit = 2, .starting_after = "e2"}, true);
  EXPECT_EQ(next.ids, (V{"e3", "e5"}));
  EXPECT_TRUE(next.has_more);
  auto back = List({.limit = 2, .ending_before = "e5"}, true);
  EXPECT_EQ(back.ids, (V{"e2", "e3"}));
  EXPECT_TRUE(back.has_more);
}

TEST_F(ListPageTest, FiltersAndCreatedBoundsApply) {
  EXPECT_EQ(List({.limit = 10}, false, {{"status", "enabled"}}).ids, (V{"e6", "e5", "e2", "e1"}));
  EXPECT_EQ(List({.limit = 10, .created_gte = 2, .created_lte = 5}).ids, (V{"e5", "e3", "e2"}));
}

TEST_F(ListPageTest, ACursorThatIsNotTheCallersIsA400NamingTheParameter) {
  for (const char* cursor : {"nope", "e7", "e8"}) {  // unknown, other mode, other merchant
    auto a = List({.limit = 2, .starting_after = cursor});
    ASSERT_TRUE(a.error) << cursor;
    EXPECT_EQ(a.error->code, "resource_missing");
    EXPECT_EQ(a.error->param, "starting_after");
    auto b = List({.limit = 2, .ending_before = cursor});
    ASSERT_TRUE(b.error) << cursor;
    EXPECT_EQ(b.error->param, "ending_before");
  }
  // A deleted object still works as a cursor (a client may hold its id from an earlier page).
  EXPECT_EQ(List({.limit = 1, .starting_after = "e4"}).ids, (V{"e3"}));
}

}  // namespace
}  // namespace lp::store
