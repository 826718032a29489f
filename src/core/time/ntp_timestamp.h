// NTP time formats (RFC 5905 §6):
//  - NtpTimestamp: the 64-bit wire format, 32-bit seconds + 32-bit fraction.
//    It names a second *within an era* (136 years); era 0 began 1900-01-01,
//    era 1 begins 2036-02-07T06:28:16Z. On its own it is ambiguous.
//  - NtpShort: the 32-bit 16.16 format used for root delay and dispersion.
//  - NtpTime: an unambiguous instant (signed seconds since 1900 + fraction),
//    obtained from a wire timestamp by choosing the era nearest a pivot
//    (normally the local clock), so the 2036 rollover is a non-event.
#pragma once

#include <compare>
#include <cstdint>
#include <ctime>
#include <string>

#include "core/time/ntp_duration.h"

namespace meridian::time {

// Seconds from the NTP prime epoch (1900-01-01) to the Unix epoch (1970-01-01).
inline constexpr int64_t kUnixEpochNtpSeconds = 2'208'988'800;
inline constexpr int64_t kEraSeconds = int64_t{1} << 32;

class NtpTimestamp {
 public:
  constexpr NtpTimestamp() = default;
  static constexpr NtpTimestamp from_raw(uint64_t raw) { return NtpTimestamp(raw); }
  static constexpr NtpTimestamp from_parts(uint32_t seconds, uint32_t fraction) {
    return NtpTimestamp((uint64_t{seconds} << 32) | fraction);
  }

  constexpr uint64_t raw() const { return raw_; }
  constexpr uint32_t seconds() const { return static_cast<uint32_t>(raw_ >> 32); }
  constexpr uint32_t fraction() const { return static_cast<uint32_t>(raw_); }
  // RFC 5905 uses an all-zero timestamp to mean "unknown / not set".
  constexpr bool is_zero() const { return raw_ == 0; }

  // The signed difference a − b modulo 2^64: correct whenever the true
  // instants are within 68 years of each other, even across an era boundary.
  constexpr NtpDuration operator-(NtpTimestamp b) const {
    return NtpDuration::from_raw(static_cast<int64_t>(raw_ - b.raw_));
  }
  constexpr NtpTimestamp operator+(NtpDuration d) const {
    return NtpTimestamp(raw_ + static_cast<uint64_t>(d.raw()));
  }
  constexpr auto operator<=>(const NtpTimestamp&) const = default;

 private:
  constexpr explicit NtpTimestamp(uint64_t raw) : raw_(raw) {}
  uint64_t raw_ = 0;
};

class NtpShort {
 public:
  constexpr NtpShort() = default;
  static constexpr NtpShort from_raw(uint32_t raw) { return NtpShort(raw); }
  // Negative or NaN → 0; beyond 65535.99998 s saturates.
  static NtpShort from_seconds(double s);
  constexpr uint32_t raw() const { return raw_; }
  double to_seconds() const { return static_cast<double>(raw_) / 65536.0; }
  constexpr auto operator<=>(const NtpShort&) const = default;

 private:
  constexpr explicit NtpShort(uint32_t raw) : raw_(raw) {}
  uint32_t raw_ = 0;
};

// A Unix time split like struct timespec, without depending on its layout.
struct UnixTime {
  int64_t seconds = 0;      // since 1970-01-01T00:00:00Z, ignoring leap seconds
  int64_t nanoseconds = 0;  // 0 ≤ ns < 1e9
  friend constexpr bool operator==(const UnixTime&, const UnixTime&) = default;
};

class NtpTime {
 public:
  constexpr NtpTime() = default;
  // REQUIRES: nanoseconds in [0, 1e9).
  static NtpTime from_unix(UnixTime t);
  static NtpTime from_timespec(const std::timespec& ts);
  static constexpr NtpTime from_parts(int64_t seconds_since_1900, uint32_t fraction) {
    return NtpTime(seconds_since_1900, fraction);
  }
  // RFC 5905 §6: pick the era that puts `ts` within ±2^31 s of `pivot`.
  static NtpTime from_timestamp(NtpTimestamp ts, NtpTime pivot);

  constexpr int64_t seconds_since_1900() const { return seconds_; }
  constexpr uint32_t fraction() const { return fraction_; }
  // Era number (floor division); negative before 1900.
  constexpr int64_t era() const { return seconds_ >> 32; }
  constexpr NtpTimestamp to_timestamp() const {
    return NtpTimestamp::from_parts(static_cast<uint32_t>(seconds_ & 0xffffffff), fraction_);
  }
  // Fraction rounded to the nearest nanosecond (may carry into the second).
  UnixTime to_unix() const;
  std::timespec to_timespec() const;
  // ISO 8601 UTC with nanoseconds, e.g. "2036-02-07T06:28:16.000000000Z".
  std::string to_iso8601() const;

  NtpTime operator+(NtpDuration d) const;
  NtpTime operator-(NtpDuration d) const { return *this + (-d); }
  // Saturates at NtpDuration::min()/max() beyond ±68 years.
  NtpDuration operator-(NtpTime b) const;
  constexpr auto operator<=>(const NtpTime&) const = default;

 private:
  constexpr NtpTime(int64_t seconds, uint32_t fraction) : seconds_(seconds), fraction_(fraction) {}
  int64_t seconds_ = 0;  // since 1900-01-01T00:00:00Z; ≥ 2^32 from 2036-02-07 on
  uint32_t fraction_ = 0;
};

// Converts a 32-bit fraction of a second to nanoseconds (rounded) and back.
// nanoseconds → fraction → nanoseconds is exact for every value in [0, 1e9).
int64_t fraction_to_nanoseconds(uint32_t fraction);
uint32_t nanoseconds_to_fraction(int64_t nanoseconds);

}  // namespace meridian::time
