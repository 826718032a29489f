#include <cmath>
#include <cstdlib>

#include "platform/clock.h"

namespace meridian::platform {

VirtualClock::VirtualClock(VirtualClockOptions options) : options_(std::move(options)) {
  if (!options_.monotonic_ns) options_.monotonic_ns = read_monotonic_ns;
  anchor_mono_ns_ = options_.monotonic_ns();
  anchor_time_ = read_realtime() + time::NtpDuration::from_seconds(options_.initial_offset_s);
}

void VirtualClock::advance() {
  const int64_t mono = options_.monotonic_ns();
  const int64_t dt = mono - anchor_mono_ns_;
  if (dt <= 0) return;
  anchor_mono_ns_ = mono;
  const double rate_error = (options_.intrinsic_ppm + correction_ppm_) * 1e-6;
  int64_t elapsed = dt + std::llround(static_cast<double>(dt) * rate_error);
  // Slewing, like the kernel's adjtime: at most slew_rate_ppm of elapsed time.
  const auto max_slew = std::llround(static_cast<double>(dt) * options_.slew_rate_ppm * 1e-6);
  const int64_t applied = std::llabs(slew_remaining_ns_) <= max_slew
                              ? slew_remaining_ns_
                              : (slew_remaining_ns_ > 0 ? max_slew : -max_slew);
  slew_remaining_ns_ -= applied;
  elapsed += applied;
  const time::NtpTime before = anchor_time_;
  anchor_time_ = anchor_time_ + time::NtpDuration::from_nanoseconds(elapsed);
  apply_armed_leap(before);
}

void VirtualClock::apply_armed_leap(time::NtpTime before) {
  if (leap_armed_ == leap::LeapKind::kNone) return;
  constexpr int64_t kDay = 86400;
  const int64_t b = before.seconds_since_1900();
  const int64_t day = b / kDay - (b % kDay < 0 ? 1 : 0);  // floor
  const int64_t midnight = (day + 1) * kDay;
  const bool insert = leap_armed_ == leap::LeapKind::kInsert;
  const int64_t at = insert ? midnight : midnight - 1;
  if (b >= at || anchor_time_.seconds_since_1900() < at) return;
  const auto one = time::NtpDuration::from_seconds(1);
  anchor_time_ = insert ? anchor_time_ - one : anchor_time_ + one;
  leap_armed_ = leap::LeapKind::kNone;
  ++leaps_applied_;
}

Status VirtualClock::arm_leap(leap::LeapKind kind) {
  advance();
  leap_armed_ = kind;
  return {};
}

time::NtpTime VirtualClock::now() {
  advance();
  return anchor_time_;
}

time::NtpTime VirtualClock::from_kernel_realtime(const std::timespec& ts) {
  const time::NtpDuration age = read_realtime() - time::NtpTime::from_timespec(ts);
  return now() - (age.raw() > 0 ? age : time::NtpDuration());
}

Status VirtualClock::step(time::NtpDuration by) {
  advance();
  anchor_time_ = anchor_time_ + by;
  total_stepped_ += by;
  return {};
}

Status VirtualClock::slew(time::NtpDuration offset) {
  advance();
  slew_remaining_ns_ = offset.to_nanoseconds();  // replaces any slew in progress, as adjtime does
  return {};
}

Status VirtualClock::set_frequency(double ppm) {
  advance();
  correction_ppm_ = ppm;
  return {};
}

Status VirtualClock::report_synchronisation(bool synchronised, double max_error_s,
                                            double est_error_s) {
  reported_synchronised_ = synchronised;
  reported_max_error_s_ = max_error_s;
  reported_est_error_s_ = est_error_s;
  ++synchronisation_reports_;
  return {};
}

time::NtpDuration VirtualClock::pending_slew() {
  advance();
  return time::NtpDuration::from_nanoseconds(slew_remaining_ns_);
}

Result<std::unique_ptr<Clock>> make_clock(std::string_view kind, const VirtualClockOptions& v) {
  if (kind == "system") return make_system_clock();
  if (kind == "readonly") return make_readonly_clock();
  if (kind == "virtual") return std::unique_ptr<Clock>(std::make_unique<VirtualClock>(v));
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown clock '" + std::string(kind) + "' (system, virtual or readonly)");
}

}  // namespace meridian::platform
