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
  // Split to avoid overflow: whole seconds exactly, the remainder rounded.
  const int64_t sec = ns / 1'000'000'000;
  if (sec >= (int64_t{1} << 31)) return max();
  if (sec < -(int64_t{1} << 31)) return min();
  const int64_t rem = ns % 1'000'000'000;  // same sign as ns
  const int64_t half = rem >= 0 ? 500'000'000 : -500'000'000;
  const int64_t frac = (rem * kUnitsPerSecond + half) / 1'000'000'000;
  return NtpDuration(sec * kUnitsPerSecond + frac);
}

int64_t NtpDuration::to_nanoseconds() const {
  const int64_t sec = units_ / kUnitsPerSecond;  // truncates toward zero
  const int64_t rem = units_ % kUnitsPerSecond;  // same sign as units_
  const int64_t half = rem >= 0 ? kUnitsPerSecond / 2 : -(kUnitsPerSecond / 2);
  return sec * 1'000'000'000 + (rem * 1'000'000'000 + half) / kUnitsPerSecond;
}

}  // namespace meridian::time
