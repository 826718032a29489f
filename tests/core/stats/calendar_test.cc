// Calendar arithmetic for the statistics files: MJD ↔ civil date, ISO
// weeks, and the day/second split of an NtpTime across eras.
#include "core/stats/calendar.h"

#include <gtest/gtest.h>

namespace meridian::stats {
namespace {

using time::NtpTime;

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned days_in_month(int64_t y, unsigned m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

TEST(CalendarTest, KnownDays) {
  EXPECT_EQ(civil_from_mjd(0), (CivilDate{1858, 11, 17}));
  EXPECT_EQ(civil_from_mjd(kMjdOfNtpEpoch), (CivilDate{1900, 1, 1}));
  EXPECT_EQ(civil_from_mjd(kMjdOfUnixEpoch), (CivilDate{1970, 1, 1}));
  EXPECT_EQ(civil_from_mjd(51544), (CivilDate{2000, 1, 1}));
  EXPECT_EQ(civil_from_mjd(61000), (CivilDate{2025, 11, 21}));
  EXPECT_EQ(civil_from_mjd(64730), (CivilDate{2036, 2, 7}));  // NTP era 1 begins
  EXPECT_EQ(civil_from_mjd(-678575), (CivilDate{1, 1, 1}));
  EXPECT_EQ(civil_from_mjd(2973483), (CivilDate{9999, 12, 31}));
  EXPECT_EQ(mjd_from_civil({2025, 11, 21}), 61000);
  EXPECT_EQ(mjd_from_civil({1858, 11, 17}), 0);
}

TEST(CalendarTest, LeapDays) {
  EXPECT_EQ(civil_from_mjd(mjd_from_civil({2000, 2, 28}) + 1), (CivilDate{2000, 2, 29}));
  EXPECT_EQ(civil_from_mjd(mjd_from_civil({1900, 2, 28}) + 1), (CivilDate{1900, 3, 1}));
  EXPECT_EQ(civil_from_mjd(mjd_from_civil({2100, 2, 28}) + 1), (CivilDate{2100, 3, 1}));
  EXPECT_EQ(civil_from_mjd(mjd_from_civil({2024, 2, 28}) + 1), (CivilDate{2024, 2, 29}));
}

// Walks day by day from 1600 to 2500 (and across MJD 0): each day follows
// the previous one by the Gregorian rules, and the conversions invert.
TEST(CalendarTest, ConsecutiveDaysFollowTheGregorianRules) {
  const int64_t first = mjd_from_civil({1600, 1, 1});
  const int64_t last = mjd_from_civil({2500, 12, 31});
  CivilDate prev = civil_from_mjd(first - 1);
  EXPECT_EQ(prev, (CivilDate{1599, 12, 31}));
  for (int64_t mjd = first; mjd <= last; ++mjd) {
    const CivilDate d = civil_from_mjd(mjd);
    CivilDate expected = prev;
    if (++expected.day > days_in_month(prev.year, prev.month)) {
      expected.day = 1;
      if (++expected.month > 12) {
        expected.month = 1;
        ++expected.year;
      }
    }
    ASSERT_EQ(d, expected) << "MJD " << mjd;
    ASSERT_EQ(mjd_from_civil(d), mjd);
    prev = d;
  }
}

TEST(CalendarTest, IsoWeeks) {
  // Years whose first days belong to the previous year's last week, and
  // December days that belong to week 1 of the next year.
  EXPECT_EQ(iso_week_from_mjd(mjd_from_civil({2021, 1, 1})), (IsoWeek{2020, 53, 5}));
  EXPECT_EQ(iso_week_from_mjd(mjd_from_civil({2020, 12, 31})), (IsoWeek{2020, 53, 4}));
  EXPECT_EQ(iso_week_from_mjd(mjd_from_civil({2024, 12, 30})), (IsoWeek{2025, 1, 1}));
  EXPECT_EQ(iso_week_from_mjd(mjd_from_civil({2025, 12, 31})), (IsoWeek{2026, 1, 3}));
  EXPECT_EQ(iso_week_from_mjd(mjd_from_civil({2027, 1, 1})), (IsoWeek{2026, 53, 5}));
  EXPECT_EQ(iso_week_from_mjd(mjd_from_civil({2036, 2, 7})), (IsoWeek{2036, 6, 4}));
  EXPECT_EQ(iso_week_from_mjd(0).weekday, 3u);  // 1858-11-17 was a Wednesday
  EXPECT_EQ(iso_week_from_mjd(-1).weekday, 2u);
}

TEST(CalendarTest, IsoWeeksAdvanceOnMondays) {
  const int64_t first = mjd_from_civil({1999, 1, 4});  // a Monday, week 1999-W01
  IsoWeek prev = iso_week_from_mjd(first - 1);
  EXPECT_EQ(prev, (IsoWeek{1998, 53, 7}));
  for (int64_t mjd = first; mjd < first + 40 * 366; ++mjd) {
    const IsoWeek w = iso_week_from_mjd(mjd);
    if (prev.weekday == 7) {
      ASSERT_EQ(w.weekday, 1u);
      const bool new_year = w.week == 1;
      ASSERT_TRUE(new_year ? (w.year == prev.year + 1 && (prev.week == 52 || prev.week == 53))
                           : (w.year == prev.year && w.week == prev.week + 1))
          << "MJD " << mjd;
    } else {
      ASSERT_EQ(w.weekday, prev.weekday + 1);
      ASSERT_EQ(w.week, prev.week);
      ASSERT_EQ(w.year, prev.year);
    }
    prev = w;
  }
}

TEST(CalendarTest, DaysAndSecondsOfNtpTimes) {
  EXPECT_EQ(mjd_of(NtpTime::from_parts(0, 0)), kMjdOfNtpEpoch);
  EXPECT_EQ(seconds_of_day(NtpTime::from_parts(0, 0)), 0);
  EXPECT_EQ(mjd_of(NtpTime::from_parts(86399, 0xffffffff)), kMjdOfNtpEpoch);
  EXPECT_EQ(seconds_of_day(NtpTime::from_parts(86399, 0xffffffff)), 86399);
  EXPECT_EQ(mjd_of(NtpTime::from_parts(86400, 0)), kMjdOfNtpEpoch + 1);
  // Before 1900 (negative seconds): floor, not truncation.
  EXPECT_EQ(mjd_of(NtpTime::from_parts(-1, 0)), kMjdOfNtpEpoch - 1);
  EXPECT_EQ(seconds_of_day(NtpTime::from_parts(-1, 0)), 86399);
  // Unix epoch, and the first second of NTP era 1 (2036-02-07T06:28:16Z).
  EXPECT_EQ(mjd_of(NtpTime::from_unix({0, 0})), kMjdOfUnixEpoch);
  const NtpTime era1 = NtpTime::from_parts(time::kEraSeconds, 0);
  EXPECT_EQ(era1.era(), 1);
  EXPECT_EQ(mjd_of(era1), 64730);
  EXPECT_EQ(seconds_of_day(era1), 6 * 3600 + 28 * 60 + 16);
  EXPECT_EQ(mjd_of(era1 - time::NtpDuration::from_seconds_int(1)), 64730);
}

}  // namespace
}  // namespace meridian::stats
