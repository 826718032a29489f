#include "core/stats/calendar.h"

namespace meridian::stats {

namespace {

// Floor division for possibly negative dividends (b > 0).
constexpr int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// The Gregorian calendar repeats every 400 years = 146097 days. Counting
// years from 1 March puts the leap day at the end of the counted year, so
// day-of-year → month is one formula: months of 31,30,31,30,31 days repeat
// from March (153 days per 5 months).
constexpr int64_t kDaysPer400Years = 146097;
constexpr int64_t kMjdOf0000March1 = -678881;  // proleptic 0000-03-01

}  // namespace

CivilDate civil_from_mjd(int64_t mjd) {
  const int64_t days = mjd - kMjdOf0000March1;  // days since 0000-03-01
  const int64_t cycle = floor_div(days, kDaysPer400Years);
  const auto day_of_cycle = static_cast<unsigned>(days - cycle * kDaysPer400Years);  // [0, 146096]
  // Year within the cycle: remove the leap days (one per 4 years, none per
  // 100, one per 400) before dividing by 365.
  const unsigned year_of_cycle =
      (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36524 - day_of_cycle / 146096) / 365;
  const unsigned day_of_year =
      day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
  const unsigned month_from_march = (5 * day_of_year + 2) / 153;  // 0 = March … 11 = February
  CivilDate d;
  d.day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  d.month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  d.year = cycle * 400 + year_of_cycle + (d.month <= 2 ? 1 : 0);
  return d;
}

int64_t mjd_from_civil(const CivilDate& date) {
  const int64_t year = date.month <= 2 ? date.year - 1 : date.year;  // years begin in March
  const int64_t cycle = floor_div(year, 400);
  const auto year_of_cycle = static_cast<unsigned>(year - cycle * 400);
  const unsigned month_from_march = date.month > 2 ? date.month - 3 : date.month + 9;
  const unsigned day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1;
  const unsigned day_of_cycle =
      365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
  return cycle * kDaysPer400Years + day_of_cycle + kMjdOf0000March1;
}

IsoWeek iso_week_from_mjd(int64_t mjd) {
  // MJD 0 (1858-11-17) was a Wednesday: weekday 3.
  IsoWeek w;
  w.weekday = static_cast<unsigned>(mjd + 2 - floor_div(mjd + 2, 7) * 7) + 1;
  // The week belongs to the year of its Thursday.
  const int64_t thursday = mjd - w.weekday + 4;
  w.year = civil_from_mjd(thursday).year;
  const int64_t january1 = mjd_from_civil(CivilDate{w.year, 1, 1});
  w.week = static_cast<unsigned>((thursday - january1) / 7 + 1);
  return w;
}

int64_t mjd_of(time::NtpTime t) {
  return floor_div(t.seconds_since_1900(), kSecondsPerDay) + kMjdOfNtpEpoch;
}

int64_t seconds_of_day(time::NtpTime t) {
  const int64_t s = t.seconds_since_1900();
  return s - floor_div(s, kSecondsPerDay) * kSecondsPerDay;
}

}  // namespace meridian::stats
