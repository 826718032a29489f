// Calendar arithmetic on Modified Julian Days, for the statistics files:
// their lines start with the MJD, and their file names carry the civil date
// (day, month, year) or the ISO 8601 week. Proleptic Gregorian calendar, UTC,
// no leap seconds (as NTP time itself). Pure integer arithmetic, valid for
// any int64 day count that the conversions do not overflow (±10^15 years).
#pragma once

#include <cstdint>

#include "core/time/ntp_timestamp.h"

namespace meridian::stats {

// MJD 0 = 1858-11-17. The NTP prime epoch (1900-01-01) is MJD 15020 and the
// Unix epoch (1970-01-01) MJD 40587.
inline constexpr int64_t kMjdOfNtpEpoch = 15020;
inline constexpr int64_t kMjdOfUnixEpoch = 40587;
inline constexpr int64_t kSecondsPerDay = 86400;

struct CivilDate {
  int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
  friend constexpr bool operator==(const CivilDate&, const CivilDate&) = default;
};

// ISO 8601 week date: weeks start on Monday; week 1 of a year is the one
// holding its first Thursday, so 29 Dec … 3 Jan may belong to the other year.
struct IsoWeek {
  int64_t year = 1970;
  unsigned week = 1;     // 1..53
  unsigned weekday = 1;  // 1 = Monday … 7 = Sunday
  friend constexpr bool operator==(const IsoWeek&, const IsoWeek&) = default;
};

CivilDate civil_from_mjd(int64_t mjd);
// REQUIRES: a valid date (month 1..12, day within the month).
int64_t mjd_from_civil(const CivilDate& date);
IsoWeek iso_week_from_mjd(int64_t mjd);

// The UTC day an instant falls in (floor: instants before 1900 work too),
// and the whole seconds since that day's midnight, in [0, 86400).
int64_t mjd_of(time::NtpTime t);
int64_t seconds_of_day(time::NtpTime t);

}  // namespace meridian::stats
