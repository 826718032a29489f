// NtpDuration: a signed span of time in NTP's 32.32 fixed-point format
// (units of 2^-32 s, range about ±68 years). Offsets, delays and clock
// corrections are NtpDurations on the wire side and doubles (seconds) in the
// filter/discipline math. Sign convention used throughout Meridian:
//   offset θ = server time − local time   (positive ⇒ our clock is behind).
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>

namespace meridian::time {

class NtpDuration {
 public:
  static constexpr int64_t kUnitsPerSecond = int64_t{1} << 32;

  constexpr NtpDuration() = default;
  static constexpr NtpDuration from_raw(int64_t units) { return NtpDuration(units); }
  static constexpr NtpDuration from_seconds_int(int64_t s) {
    return NtpDuration(s * kUnitsPerSecond);
  }
  // Saturates outside the representable range; NaN becomes zero.
  static NtpDuration from_seconds(double s);
  // Exact for every |ns| < 2^31 s; rounds to the nearest 2^-32 s.
  static NtpDuration from_nanoseconds(int64_t ns);
  static constexpr NtpDuration max() { return NtpDuration(std::numeric_limits<int64_t>::max()); }
  static constexpr NtpDuration min() { return NtpDuration(std::numeric_limits<int64_t>::min()); }

  constexpr int64_t raw() const { return units_; }
  double to_seconds() const {
    return static_cast<double>(units_) / static_cast<double>(kUnitsPerSecond);
  }
  // Rounds to the nearest nanosecond (half away from zero).
  int64_t to_nanoseconds() const;

  // Negation saturates: −min() is max(), not signed overflow.
  constexpr NtpDuration operator-() const {
    return units_ == std::numeric_limits<int64_t>::min() ? max() : NtpDuration(-units_);
  }
  constexpr NtpDuration operator+(NtpDuration o) const { return NtpDuration(units_ + o.units_); }
  constexpr NtpDuration operator-(NtpDuration o) const { return NtpDuration(units_ - o.units_); }
  constexpr NtpDuration& operator+=(NtpDuration o) {
    units_ += o.units_;
    return *this;
  }
  constexpr NtpDuration& operator-=(NtpDuration o) {
    units_ -= o.units_;
    return *this;
  }
  // Halving as needed for θ = ((T2−T1)+(T3−T4))/2; rounds toward −∞.
  constexpr NtpDuration half() const { return NtpDuration(units_ >> 1); }
  constexpr NtpDuration abs() const { return units_ < 0 ? -*this : *this; }
  constexpr auto operator<=>(const NtpDuration&) const = default;

 private:
  constexpr explicit NtpDuration(int64_t units) : units_(units) {}
  int64_t units_ = 0;
};

}  // namespace meridian::time
