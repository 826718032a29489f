// The leap second table of an IETF/IERS `leap-seconds.list` file (the format
// NIST and the IERS publish, and tzdata ships as
// /usr/share/zoneinfo/leap-seconds.list), parsed from untrusted text.
//
// Format, as the file's own comments describe it:
//   #$ NNNNNNNNNN            last update, NTP seconds
//   #@ NNNNNNNNNN            expiry, NTP seconds: do not trust the table after it
//   NNNNNNNNNN  OO  # text   from this NTP second (a UTC midnight) on, TAI − UTC = OO s
//   #h HHHHHHHH ×5           SHA-1 over the digits of the update time, the
//                            expiry time and each data line's two fields, in
//                            file order, whitespace and comments left out
//   # anything else          comment
// An entry whose TAI − UTC is one more than the previous one's means a leap
// second was inserted as 23:59:60 of the day before its time (one less:
// 23:59:59 of that day was deleted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace meridian::leap {

enum class LeapKind : uint8_t { kNone, kInsert, kDelete };
const char* leap_kind_name(LeapKind k);  // "none", "insert", "delete"

struct LeapEntry {
  int64_t ntp_seconds = 0;  // a UTC midnight, NTP seconds since 1900
  int tai_offset_s = 0;     // TAI − UTC from then on
};

struct LeapTable {
  std::vector<LeapEntry> entries;  // strictly increasing ntp_seconds, at least one
  int64_t updated_ntp_s = 0;       // `#$`
  int64_t expires_ntp_s = 0;       // `#@`

  bool expired(int64_t now_ntp_s) const { return now_ntp_s >= expires_ntp_s; }
  // The leap at the end of the UTC day that ends at `midnight_ntp_s` (the
  // table's entry at exactly that instant compared with the one before).
  LeapKind leap_at(int64_t midnight_ntp_s) const;
  // TAI − UTC at `ntp_s` (0 before the first entry).
  int tai_offset_at(int64_t ntp_s) const;
  // The most recent entry that marks a leap (not the first line), if any.
  std::optional<LeapEntry> last_leap() const;
};

// Parses and checks a leap-seconds.list text. Errors read
// "FILE:LINE: message" (FILE = `file_name`); LINE 0 for whole-file errors
// such as a missing `#h` line. A hash mismatch, a missing hash, update or
// expiry line, a time that is not a UTC midnight, times out of order, or
// TAI − UTC changing by other than ±1 s are all errors: the table is then
// not used at all (classic ntpd refuses such a file too).
Result<LeapTable> parse_leap_seconds_list(std::string_view text, std::string_view file_name);

// A warning for the log when the table expires within `warn_days` days of
// `now_ntp_s` or already has, as classic ntpd warns; nullopt otherwise.
std::optional<std::string> expiry_warning(const LeapTable& table, int64_t now_ntp_s,
                                          int warn_days = 28);

}  // namespace meridian::leap
