#include "core/leap/leap_control.h"

#include <gtest/gtest.h>

#include "core/leap/sha1.h"

namespace meridian::leap {
namespace {

constexpr int64_t k2017 = 3692217600;  // 2017-01-01T00:00:00Z, the end of the 2016-12-31 leap day
constexpr int64_t kDay = 86400;

LeapTable table_with(LeapKind kind_at_2017, int64_t expires = k2017 + 100 * kDay) {
  LeapTable t;
  t.entries.push_back({3644697600, 36});
  if (kind_at_2017 != LeapKind::kNone)
    t.entries.push_back({k2017, kind_at_2017 == LeapKind::kInsert ? 37 : 35});
  t.updated_ntp_s = 3644697600;
  t.expires_ntp_s = expires;
  return t;
}

UpstreamVote vote(size_t survivors, size_t insert, size_t remove = 0) {
  return UpstreamVote{survivors, insert, remove};
}

TEST(LeapControl, EndOfMonth) {
  EXPECT_EQ(end_of_month(k2017 - 1), k2017);
  EXPECT_EQ(end_of_month(k2017 - 31 * kDay), k2017);  // 2016-12-01
  EXPECT_EQ(end_of_month(k2017 - 31 * kDay - 1), k2017 - 31 * kDay);
  EXPECT_EQ(end_of_month(k2017), k2017 + 31 * kDay);
  EXPECT_EQ(end_of_month(3644697600 - 1), 3644697600);  // 2015-06-30 → 2015-07-01
}

TEST(LeapControl, MajorityIsStrict) {
  EXPECT_EQ(vote(3, 2).majority(), LeapKind::kInsert);
  EXPECT_EQ(vote(3, 1).majority(), LeapKind::kNone);
  EXPECT_EQ(vote(4, 2).majority(), LeapKind::kNone);
  EXPECT_EQ(vote(1, 1).majority(), LeapKind::kInsert);
  EXPECT_EQ(vote(3, 0, 2).majority(), LeapKind::kDelete);
  EXPECT_EQ(vote(0, 0).majority(), LeapKind::kNone);
}

TEST(LeapControl, FileInsertArmsOnlyInTheLastDayAndServesLi) {
  LeapControl c(true);
  c.set_table(table_with(LeapKind::kInsert));
  // Two days before: pending, not announced, not armed.
  auto u = c.on_clock(k2017 - 2 * kDay);
  EXPECT_FALSE(u.arm);
  auto s = c.status(k2017 - 2 * kDay);
  EXPECT_EQ(s.pending, LeapKind::kInsert);
  EXPECT_EQ(s.source, LeapSource::kFile);
  EXPECT_EQ(s.indicator, wire::LeapIndicator::kNoWarning);
  // 24 h before: LI 1 and armed.
  u = c.on_clock(k2017 - kDay);
  ASSERT_TRUE(u.arm);
  EXPECT_EQ(*u.arm, LeapKind::kInsert);
  EXPECT_EQ(c.indicator(k2017 - kDay), wire::LeapIndicator::kInsertSecond);
  EXPECT_FALSE(c.on_clock(k2017 - 10).arm);  // no repeated arming
  // The kernel inserted 23:59:60 (the clock repeats 23:59:59, then reaches M).
  u = c.on_clock(k2017);
  ASSERT_TRUE(u.arm);
  EXPECT_EQ(*u.arm, LeapKind::kNone);
  EXPECT_EQ(u.step_s, 0);
  EXPECT_EQ(c.status(k2017).last_leap_ntp_s, k2017);
  EXPECT_EQ(c.indicator(k2017 + 1), wire::LeapIndicator::kNoWarning);
}

TEST(LeapControl, RepeatedSecondDoesNotRearm) {
  LeapControl c(true);
  c.set_table(table_with(LeapKind::kInsert));
  (void)c.on_clock(k2017 - 100);
  (void)c.on_clock(k2017);         // done
  auto u = c.on_clock(k2017 - 1);  // a reading in the repeated second (step mode) or late tick
  EXPECT_FALSE(u.arm);
  EXPECT_EQ(c.indicator(k2017 - 1), wire::LeapIndicator::kNoWarning);
}

TEST(LeapControl, EngineStepsWhenTheClockCannot) {
  LeapControl c(false);
  c.set_table(table_with(LeapKind::kInsert));
  auto u = c.on_clock(k2017 - 100);
  EXPECT_FALSE(u.arm);  // nothing to arm
  EXPECT_EQ(c.indicator(k2017 - 100), wire::LeapIndicator::kInsertSecond);
  u = c.on_clock(k2017 - 1);
  EXPECT_EQ(u.step_s, 0);
  u = c.on_clock(k2017);
  EXPECT_EQ(u.step_s, -1.0);
  // The clock now reads 23:59:59 again: no second step.
  u = c.on_clock(k2017 - 1);
  EXPECT_EQ(u.step_s, 0);
  u = c.on_clock(k2017);
  EXPECT_EQ(u.step_s, 0);
}

TEST(LeapControl, EngineDeletesAtTheStartOfTheLastSecond) {
  LeapControl c(false);
  c.set_table(table_with(LeapKind::kDelete));
  (void)c.on_clock(k2017 - 100);
  EXPECT_EQ(c.indicator(k2017 - 100), wire::LeapIndicator::kDeleteSecond);
  EXPECT_EQ(c.on_clock(k2017 - 2).step_s, 0);
  EXPECT_EQ(c.on_clock(k2017 - 1).step_s, 1.0);
  EXPECT_EQ(c.on_clock(k2017).step_s, 0);
}

TEST(LeapControl, ValidFileOverridesServers) {
  LeapControl c(true);
  c.set_table(table_with(LeapKind::kNone));
  c.set_vote(vote(3, 3));  // every server announces an insertion
  auto u = c.on_clock(k2017 - 100);
  EXPECT_FALSE(u.arm);
  EXPECT_EQ(c.indicator(k2017 - 100), wire::LeapIndicator::kNoWarning);
  ASSERT_EQ(u.log.size(), 1u);
  EXPECT_NE(u.log[0].find("does not list; ignored"), std::string::npos);
  EXPECT_TRUE(c.on_clock(k2017 - 99).log.empty());  // logged once
}

TEST(LeapControl, ExpiredFileFallsBackToServers) {
  LeapControl c(true);
  c.set_table(table_with(LeapKind::kNone, k2017 - 10 * kDay));
  c.set_vote(vote(3, 2));
  auto u = c.on_clock(k2017 - 100);
  ASSERT_TRUE(u.arm);
  EXPECT_EQ(*u.arm, LeapKind::kInsert);
  EXPECT_EQ(c.status(k2017 - 100).source, LeapSource::kServers);
}

TEST(LeapControl, LoneServerIgnoredMajorityFollowed) {
  LeapControl c(true);
  c.set_vote(vote(3, 1));
  EXPECT_FALSE(c.on_clock(k2017 - 100).arm);
  EXPECT_EQ(c.indicator(k2017 - 100), wire::LeapIndicator::kNoWarning);
  c.set_vote(vote(3, 2));
  auto u = c.on_clock(k2017 - 99);
  ASSERT_TRUE(u.arm);
  EXPECT_EQ(*u.arm, LeapKind::kInsert);
  // The majority withdraws before the leap: disarmed, LI 0 again.
  c.set_vote(vote(3, 1));
  u = c.on_clock(k2017 - 98);
  ASSERT_TRUE(u.arm);
  EXPECT_EQ(*u.arm, LeapKind::kNone);
  EXPECT_EQ(c.indicator(k2017 - 98), wire::LeapIndicator::kNoWarning);
  // Servers announcing early in the month: nothing before the last day.
  c.set_vote(vote(3, 3));
  EXPECT_FALSE(c.on_clock(k2017 - 20 * kDay).arm);
  EXPECT_EQ(c.indicator(k2017 - 20 * kDay), wire::LeapIndicator::kNoWarning);
}

TEST(LeapControl, StraddleWindow) {
  LeapControl c(true);
  c.set_table(table_with(LeapKind::kInsert));
  EXPECT_FALSE(c.straddles_leap(static_cast<double>(k2017)));  // not armed yet
  (void)c.on_clock(k2017 - 100);
  EXPECT_TRUE(c.straddles_leap(static_cast<double>(k2017) - 1.5));
  EXPECT_FALSE(c.straddles_leap(static_cast<double>(k2017) - 2.5));
  (void)c.on_clock(k2017);
  EXPECT_TRUE(c.straddles_leap(static_cast<double>(k2017) + 1.5));
  EXPECT_FALSE(c.straddles_leap(static_cast<double>(k2017) + 2.5));
}

}  // namespace
}  // namespace meridian::leap
