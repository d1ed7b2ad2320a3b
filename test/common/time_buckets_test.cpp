#include "lp/common/time_buckets.hpp"

#include <gtest/gtest.h>

namespace lp {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kHour = 3600;
// 2026-01-01T00:00:00Z, a multiple of a day.
constexpr int64_t kMidnight = 1767225600;

TEST(TimeBuckets, DefaultsToTheLastSevenDaysByDay) {
  const int64_t now = kMidnight + 5 * kHour + 17;
  auto b = MakeTimeBuckets({}, {}, {}, now);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->to, now + 1);  // the current second included
  EXPECT_EQ(b->from, now + 1 - 7 * kDay);
  EXPECT_EQ(b->interval, "day");
  EXPECT_EQ(b->first_start % kDay, 0);
  EXPECT_EQ(b->first_start, kMidnight - 7 * kDay);
  EXPECT_EQ(b->count, 8);  // the partial first and last days included
}

TEST(TimeBuckets, DefaultIntervalIsHourUpToFortyEightHours) {
  auto b = MakeTimeBuckets(kMidnight, kMidnight + 48 * kHour, {}, kMidnight);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->interval, "hour");
  EXPECT_EQ(b->count, 48);
  auto c = MakeTimeBuckets(kMidnight, kMidnight + 48 * kHour + 1, {}, kMidnight);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->interval, "day");
  EXPECT_EQ(c->count, 3);
}

TEST(TimeBuckets, BucketsAreAlignedToUtcMultiplesOfTheInterval) {
  auto b = MakeTimeBuckets(kMidnight + 90 * 60, kMidnight + 4 * kHour, "hour", 0);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->first_start, kMidnight + kHour);
  EXPECT_EQ(b->count, 3);
  EXPECT_EQ(b->Start(2), kMidnight + 3 * kHour);
  EXPECT_EQ(b->IndexOf(kMidnight + 90 * 60), 0);
  EXPECT_EQ(b->IndexOf(kMidnight + 3 * kHour + 59), 2);
}

TEST(TimeBuckets, AtMostFiveHundredBucketsElseIntervalIsInvalid) {
  auto ok = MakeTimeBuckets(kMidnight, kMidnight + 500 * kHour, "hour", 0);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->count, 500);
  auto over = MakeTimeBuckets(kMidnight, kMidnight + 500 * kHour + 1, "hour", 0);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "parameter_invalid");
  EXPECT_EQ(over.error().param, "interval");
  EXPECT_TRUE(MakeTimeBuckets(kMidnight, kMidnight + 500 * kHour + 1, "day", 0));
}

TEST(TimeBuckets, RefusesAnUnknownIntervalAndAnEmptyRange) {
  auto bad = MakeTimeBuckets(kMidnight, kMidnight + kDay, "week", 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().param, "interval");
  auto empty = MakeTimeBuckets(kMidnight, kMidnight, {}, 0);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().param, "to");
  auto negative = MakeTimeBuckets(-5, kMidnight, {}, 0);
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().param, "from");
}

}  // namespace
}  // namespace lp
