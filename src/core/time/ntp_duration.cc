#include "core/time/ntp_duration.h"

namespace meridian::time {

NtpDuration NtpDuration::from_seconds(double s) {
  if (std::isnan(s)) return NtpDuration();
  const double units = s * static_cast<double>(kUnitsPerSecond);
  // 2^63 is exactly representable as a double; anything at or beyond saturates.
  constexpr double kLimit = 9223372036854775808.0;
  if (units >= kLimit) return max();
  if (units <= -kLimit) return min();
  return NtpDuration(static_cast<int64_t>(std::llround(units)));
}

NtpDuration NtpDuration::from_nanoseconds(int64_t ns) {
  // 128-bit intermediate: exact, then rounded to nearest and clamped.
  const __int128 scaled = static_cast<__int128>(ns) * kUnitsPerSecond;
  const __int128 half = ns >= 0 ? 500'000'000 : -500'000'000;
  const __int128 units = (scaled + half) / 1'000'000'000;
  if (units > std::numeric_limits<int64_t>::max()) return max();
  if (units < std::numeric_limits<int64_t>::min()) return min();
  return NtpDuration(static_cast<int64_t>(units));
}

int64_t NtpDuration::to_nanoseconds() const {
  const int64_t sec = units_ / kUnitsPerSecond;  // truncates toward zero
  const int64_t rem = units_ % kUnitsPerSecond;  // same sign as units_
  const int64_t half = rem >= 0 ? kUnitsPerSecond / 2 : -(kUnitsPerSecond / 2);
  return sec * 1'000'000'000 + (rem * 1'000'000'000 + half) / kUnitsPerSecond;
}

}  // namespace meridian::time
