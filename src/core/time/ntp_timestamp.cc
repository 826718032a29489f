#include "core/time/ntp_timestamp.h"

#include <fmt/format.h>

#include <cmath>

namespace meridian::time {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Floor division/modulo for possibly negative seconds (pre-1970 instants).
constexpr int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Days since 1970-01-01 → proleptic Gregorian civil date (H. Hinnant's algorithm).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = floor_div(z, 146097);
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

}  // namespace

NtpShort NtpShort::from_seconds(double s) {
  if (std::isnan(s) || s <= 0.0) return NtpShort();
  const double units = s * 65536.0;
  if (units >= 4294967295.0) return NtpShort(0xffffffffu);
  return NtpShort(static_cast<uint32_t>(std::llround(units)));
}

int64_t fraction_to_nanoseconds(uint32_t fraction) {
  return static_cast<int64_t>((uint64_t{fraction} * 1'000'000'000u + (uint64_t{1} << 31)) >> 32);
}

uint32_t nanoseconds_to_fraction(int64_t nanoseconds) {
  // REQUIRES: 0 ≤ nanoseconds < 1e9. Round to nearest; the result < 2^32.
  const auto ns = static_cast<uint64_t>(nanoseconds);
  return static_cast<uint32_t>(((ns << 32) + 500'000'000u) / 1'000'000'000u);
}

NtpTime NtpTime::from_unix(UnixTime t) {
  int64_t sec = t.seconds + kUnixEpochNtpSeconds;
  int64_t ns = t.nanoseconds;
  if (ns < 0 || ns >= kNanosPerSecond) {  // normalise defensively
    sec += floor_div(ns, kNanosPerSecond);
    ns -= floor_div(ns, kNanosPerSecond) * kNanosPerSecond;
  }
  const uint64_t frac = (static_cast<uint64_t>(ns) << 32) + 500'000'000u;
  const uint64_t rounded = frac / 1'000'000'000u;
  // 999'999'999.9 ns rounds to 2^32 at most in theory; it cannot here because
  // 999'999'999·2^32/1e9 + 0.5 < 2^32 − 3, but keep the carry explicit.
  if (rounded >> 32) return NtpTime(sec + 1, 0);
  return NtpTime(sec, static_cast<uint32_t>(rounded));
}

NtpTime NtpTime::from_timespec(const std::timespec& ts) {
  return from_unix(UnixTime{static_cast<int64_t>(ts.tv_sec), static_cast<int64_t>(ts.tv_nsec)});
}

NtpTime NtpTime::from_timestamp(NtpTimestamp ts, NtpTime pivot) {
  // The wrapped difference is the true difference when |true diff| < 2^31 s.
  return pivot + (ts - pivot.to_timestamp());
}

UnixTime NtpTime::to_unix() const {
  int64_t sec = seconds_ - kUnixEpochNtpSeconds;
  int64_t ns = fraction_to_nanoseconds(fraction_);
  if (ns >= kNanosPerSecond) {
    ++sec;
    ns -= kNanosPerSecond;
  }
  return UnixTime{sec, ns};
}

std::timespec NtpTime::to_timespec() const {
  const UnixTime u = to_unix();
  std::timespec ts{};
  ts.tv_sec = static_cast<std::time_t>(u.seconds);
  ts.tv_nsec = static_cast<long>(u.nanoseconds);
  return ts;
}

std::string NtpTime::to_iso8601() const {
  const UnixTime u = to_unix();
  const int64_t days = floor_div(u.seconds, 86400);
  const int64_t secs_of_day = u.seconds - days * 86400;
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(days, y, m, d);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:09d}Z", y, m, d,
                     secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60, u.nanoseconds);
}

NtpTime NtpTime::operator+(NtpDuration d) const {
  const int64_t raw = d.raw();
  const int64_t whole = raw >> 32;  // arithmetic shift: floor(raw / 2^32)
  const auto part = static_cast<uint64_t>(raw) & 0xffffffffu;
  const uint64_t frac = uint64_t{fraction_} + part;
  return NtpTime(seconds_ + whole + static_cast<int64_t>(frac >> 32),
                 static_cast<uint32_t>(frac & 0xffffffffu));
}

NtpDuration NtpTime::operator-(NtpTime b) const {
  // 128-bit intermediate: the exact difference, then clamp to ±2^63 units.
  const __int128 units =
      static_cast<__int128>(seconds_ - b.seconds_) * NtpDuration::kUnitsPerSecond +
      (int64_t{fraction_} - int64_t{b.fraction_});
  if (units > static_cast<__int128>(NtpDuration::max().raw())) return NtpDuration::max();
  if (units < static_cast<__int128>(NtpDuration::min().raw())) return NtpDuration::min();
  return NtpDuration::from_raw(static_cast<int64_t>(units));
}

}  // namespace meridian::time
