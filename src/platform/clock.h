// The Clock interface: the one place time is read and corrected.
// Backends:
//   system   — CLOCK_REALTIME; step with clock_adjtime(ADJ_SETOFFSET), slew
//              with ADJ_OFFSET_SINGLESHOT (adjtime semantics, 500 ppm),
//              frequency with ADJ_FREQUENCY. Needs CAP_SYS_TIME to change.
//   virtual  — an in-process clock = monotonic time + offset + frequency,
//              started wrong on purpose by tests, demos and the simulator.
//   readonly — reads CLOCK_REALTIME and refuses every change with an error.
// Sign conventions: step(by) moves the clock by `by` (positive = forward);
// slew(offset) gradually moves it by `offset`; set_frequency(ppm) makes the
// clock run faster for positive ppm.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <string_view>

#include "core/leap/leap_table.h"
#include "core/result.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::platform {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual time::NtpTime now() = 0;
  // Maps a kernel CLOCK_REALTIME timestamp (e.g. a socket receive timestamp)
  // onto this clock's timescale, preserving how long ago it was taken.
  virtual time::NtpTime from_kernel_realtime(const std::timespec& ts) = 0;
  virtual Status step(time::NtpDuration by) = 0;
  virtual Status slew(time::NtpDuration offset) = 0;
  virtual Status set_frequency(double ppm) = 0;
  // Tells the kernel (system backend) whether the clock is synchronised, so
  // other programs and the RTC sync see it: STA_UNSYNC cleared when
  // `synchronised`, set when not (no other status bit is touched), and the
  // maximum / estimated error in seconds (kept in µs by the kernel).
  virtual Status report_synchronisation(bool synchronised, double max_error_s,
                                        double est_error_s) = 0;
  // Arms the clock for a leap second at the end of the current UTC day
  // (system backend: the kernel's STA_INS/STA_DEL, which make the kernel
  // repeat 23:59:59 or skip it at the next midnight), or disarms it (kNone).
  // No other status bit changes.
  virtual Status arm_leap(leap::LeapKind kind) = 0;
  // At start-up: clears kernel discipline state a previous daemon may have
  // left (STA_PLL, STA_FLL and a leap armed by it), so the kernel neither
  // runs its own PLL against our frequency settings nor applies a leap we
  // did not decide. No-op for the other backends.
  virtual Status clear_stale_kernel_state() { return {}; }
  // log2 of the clock's resolution/read cost in seconds, as in RFC 5905 (e.g. −20).
  virtual int8_t precision_log2() const = 0;
  virtual std::string_view name() const = 0;
};

// CLOCK_REALTIME read directly (no syscall wrappers in the core).
time::NtpTime read_realtime();
// CLOCK_MONOTONIC in nanoseconds.
int64_t read_monotonic_ns();

// The kernel clock's discipline state, read without changing anything
// (clock_adjtime with modes = 0; needs no privilege).
struct KernelClockStatus {
  int status = 0;  // STA_* bits
  long max_error_us = 0;
  long est_error_us = 0;
  long freq = 0;  // 2^-16 ppm
};
Result<KernelClockStatus> read_kernel_clock_status();

// The kernel status word to write to arm for `kind` (clears the other leap
// bit; kNone clears both), and the one to write at start-up (STA_PLL,
// STA_FLL, STA_INS and STA_DEL cleared). Pure, so tests check the bits
// without ever writing them.
int kernel_status_for_leap(int status, leap::LeapKind kind);
int kernel_status_at_start(int status);
// Whether this process may adjust the system clock, found out by a write
// that changes nothing: clock_adjtime(ADJ_FREQUENCY) with the frequency the
// kernel has now. kPermissionDenied without CAP_SYS_TIME (or where a
// container's seccomp policy forbids it).
Status check_system_clock_adjustable();

std::unique_ptr<Clock> make_system_clock();
std::unique_ptr<Clock> make_readonly_clock();

struct VirtualClockOptions {
  double initial_offset_s = 0;  // virtual − real time at creation
  double intrinsic_ppm = 0;     // the oscillator's own error (e.g. +50 ppm runs fast)
  double slew_rate_ppm = 500;   // how fast slew() takes effect, as the kernel's adjtime
  // Source of monotonic nanoseconds; the OS monotonic clock unless a test or
  // simulator supplies its own.
  std::function<int64_t()> monotonic_ns;
};

class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(VirtualClockOptions options);
  time::NtpTime now() override;
  time::NtpTime from_kernel_realtime(const std::timespec& ts) override;
  Status step(time::NtpDuration by) override;
  Status slew(time::NtpDuration offset) override;
  Status set_frequency(double ppm) override;
  Status report_synchronisation(bool synchronised, double max_error_s, double est_error_s) override;
  // Modelled like the kernel: an armed insertion steps the clock back 1 s
  // when it reaches the next UTC midnight (23:59:59 is repeated); an armed
  // deletion steps it forward 1 s when it reaches 23:59:59. One leap per
  // arming.
  Status arm_leap(leap::LeapKind kind) override;
  int8_t precision_log2() const override { return -30; }
  std::string_view name() const override { return "virtual"; }

  // Introspection for tests and the simulator.
  time::NtpDuration pending_slew();
  double frequency_correction_ppm() const { return correction_ppm_; }
  time::NtpDuration total_stepped() const { return total_stepped_; }
  // The last report_synchronisation() call (none yet: unsynchronised, 0 reports).
  bool reported_synchronised() const { return reported_synchronised_; }
  double reported_max_error_s() const { return reported_max_error_s_; }
  double reported_est_error_s() const { return reported_est_error_s_; }
  int synchronisation_reports() const { return synchronisation_reports_; }
  leap::LeapKind leap_armed() const { return leap_armed_; }
  int leaps_applied() const { return leaps_applied_; }

 private:
  void advance();  // brings anchor_ up to the current monotonic time
  void apply_armed_leap(time::NtpTime before);

  VirtualClockOptions options_;
  int64_t anchor_mono_ns_ = 0;
  time::NtpTime anchor_time_;
  double correction_ppm_ = 0;
  int64_t slew_remaining_ns_ = 0;
  time::NtpDuration total_stepped_;
  bool reported_synchronised_ = false;
  double reported_max_error_s_ = 0;
  double reported_est_error_s_ = 0;
  int synchronisation_reports_ = 0;
  leap::LeapKind leap_armed_ = leap::LeapKind::kNone;
  int leaps_applied_ = 0;
};

// "system", "virtual" (offset/frequency from options) or "readonly".
Result<std::unique_ptr<Clock>> make_clock(std::string_view kind, const VirtualClockOptions& v = {});

}  // namespace meridian::platform
