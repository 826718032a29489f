// System and read-only clocks over CLOCK_REALTIME. The only file in
// Meridian that may change the host's clock.
#include <fmt/format.h>
#include <sys/timex.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "platform/clock.h"

namespace meridian::platform {

namespace {

Error os_error(const char* what, int err) {
  const ErrorCode code =
      (err == EPERM || err == EACCES) ? ErrorCode::kPermissionDenied : ErrorCode::kIo;
  std::string msg = fmt::format("{}: {}", what, std::strerror(err));
  if (code == ErrorCode::kPermissionDenied) msg += " (needs root or CAP_SYS_TIME)";
  return make_error(code, std::move(msg));
}

// Measures the clock's precision like classic ntpd: the smallest positive
// difference between consecutive readings, but never finer than its resolution.
int8_t measure_precision_log2() {
  std::timespec res{};
  clock_getres(CLOCK_REALTIME, &res);
  double tick = static_cast<double>(res.tv_sec) + static_cast<double>(res.tv_nsec) * 1e-9;
  double min_step = 1.0;
  for (int i = 0; i < 64; ++i) {
    std::timespec a{}, b{};
    clock_gettime(CLOCK_REALTIME, &a);
    clock_gettime(CLOCK_REALTIME, &b);
    const double d = static_cast<double>(b.tv_sec - a.tv_sec) +
                     static_cast<double>(b.tv_nsec - a.tv_nsec) * 1e-9;
    if (d > 0 && d < min_step) min_step = d;
  }
  const double p = std::max(tick, min_step);
  return static_cast<int8_t>(std::ceil(std::log2(p)));
}

// Seconds → the kernel's µs error fields, clamped to 16 s (the kernel's
// NTP_PHASE_LIMIT, where it caps maxerror and sets STA_UNSYNC itself).
long to_microseconds(double s) {
  if (!(s >= 0)) return 0;  // negative or NaN
  return static_cast<long>(std::llround(std::min(s, 16.0) * 1e6));
}

class SystemClock final : public Clock {
 public:
  SystemClock() : precision_(measure_precision_log2()) {}
  time::NtpTime now() override { return read_realtime(); }
  time::NtpTime from_kernel_realtime(const std::timespec& ts) override {
    return time::NtpTime::from_timespec(ts);
  }

  Status step(time::NtpDuration by) override {
    // ADJ_SETOFFSET adds the offset atomically in the kernel, avoiding the
    // read-modify-write race of clock_gettime + clock_settime.
    const int64_t ns = by.to_nanoseconds();
    struct timex tx {};
    tx.modes = ADJ_SETOFFSET | ADJ_NANO;
    int64_t sec = ns / 1'000'000'000;
    int64_t rem = ns % 1'000'000'000;
    if (rem < 0) {  // the kernel wants 0 ≤ tv_usec (here: ns) < 1e9
      rem += 1'000'000'000;
      sec -= 1;
    }
    tx.time.tv_sec = static_cast<time_t>(sec);
    tx.time.tv_usec = static_cast<suseconds_t>(rem);
    if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
      return os_error("clock_adjtime(ADJ_SETOFFSET)", errno);
    return {};
  }

  Status slew(time::NtpDuration offset) override {
    // adjtime() semantics: the kernel slews at 500 ppm until done.
    struct timex tx {};
    tx.modes = ADJ_OFFSET_SINGLESHOT;
    tx.offset = static_cast<long>(offset.to_nanoseconds() / 1000);  // µs
    if (clock_adjtime(CLOCK_REALTIME, &tx) < 0) {
      return os_error("clock_adjtime(ADJ_OFFSET_SINGLESHOT)", errno);
    }
    return {};
  }

  Status set_frequency(double ppm) override {
    struct timex tx {};
    tx.modes = ADJ_FREQUENCY;
    tx.freq =
        static_cast<long>(std::llround(std::clamp(ppm, -500.0, 500.0) * 65536.0));  // 2^-16 ppm
    if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
      return os_error("clock_adjtime(ADJ_FREQUENCY)", errno);
    return {};
  }

  Status report_synchronisation(bool synchronised, double max_error_s,
                                double est_error_s) override {
    // Read the current status first (modes = 0 only reads) so that only
    // STA_UNSYNC changes: PLL/FLL/PPS/leap bits belong to whoever set them.
    auto cur = read_kernel_clock_status();
    if (!cur) return cur.error();
    struct timex tx {};
    tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
    tx.status = synchronised ? (cur->status & ~STA_UNSYNC) : (cur->status | STA_UNSYNC);
    tx.maxerror = to_microseconds(max_error_s);
    tx.esterror = to_microseconds(est_error_s);
    if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
      return os_error("clock_adjtime(ADJ_STATUS|ADJ_MAXERROR|ADJ_ESTERROR)", errno);
    return {};
  }

  Status arm_leap(leap::LeapKind kind) override {
    auto cur = read_kernel_clock_status();
    if (!cur) return cur.error();
    struct timex tx {};
    tx.modes = ADJ_STATUS;
    tx.status = kernel_status_for_leap(cur->status, kind);
    if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
      return os_error("clock_adjtime(ADJ_STATUS, leap)", errno);
    return {};
  }

  Status clear_stale_kernel_state() override {
    auto cur = read_kernel_clock_status();
    if (!cur) return cur.error();
    const int want = kernel_status_at_start(cur->status);
    if (want == cur->status) return {};  // nothing to clear: no write at all
    struct timex tx {};
    tx.modes = ADJ_STATUS;
    tx.status = want;
    if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
      return os_error("clock_adjtime(ADJ_STATUS, clear PLL/FLL/leap)", errno);
    return {};
  }

  int8_t precision_log2() const override { return precision_; }
  std::string_view name() const override { return "system"; }

 private:
  int8_t precision_;
};

class ReadonlyClock final : public Clock {
 public:
  ReadonlyClock() : precision_(measure_precision_log2()) {}
  time::NtpTime now() override { return read_realtime(); }
  time::NtpTime from_kernel_realtime(const std::timespec& ts) override {
    return time::NtpTime::from_timespec(ts);
  }
  Status step(time::NtpDuration by) override { return refuse("step", by); }
  Status slew(time::NtpDuration offset) override { return refuse("slew", offset); }
  Status set_frequency(double ppm) override {
    return make_error(
        ErrorCode::kPermissionDenied,
        fmt::format("readonly clock: refusing to set the frequency to {:+.3f} ppm", ppm));
  }
  Status report_synchronisation(bool synchronised, double, double) override {
    return make_error(ErrorCode::kPermissionDenied,
                      fmt::format("readonly clock: refusing to mark the kernel clock {}",
                                  synchronised ? "synchronised" : "unsynchronised"));
  }
  Status arm_leap(leap::LeapKind kind) override {
    return make_error(ErrorCode::kPermissionDenied,
                      fmt::format("readonly clock: refusing to arm a leap second ({})",
                                  leap::leap_kind_name(kind)));
  }
  int8_t precision_log2() const override { return precision_; }
  std::string_view name() const override { return "readonly"; }

 private:
  static Error refuse(const char* what, time::NtpDuration d) {
    return make_error(
        ErrorCode::kPermissionDenied,
        fmt::format("readonly clock: refusing to {} by {:+.6f} s", what, d.to_seconds()));
  }
  int8_t precision_;
};

}  // namespace

time::NtpTime read_realtime() {
  std::timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return time::NtpTime::from_timespec(ts);
}

Result<KernelClockStatus> read_kernel_clock_status() {
  struct timex tx {};  // modes = 0: read only
  if (clock_adjtime(CLOCK_REALTIME, &tx) < 0) return os_error("clock_adjtime(read status)", errno);
  return KernelClockStatus{tx.status, tx.maxerror, tx.esterror, tx.freq};
}

int kernel_status_for_leap(int status, leap::LeapKind kind) {
  status &= ~(STA_INS | STA_DEL);
  if (kind == leap::LeapKind::kInsert) status |= STA_INS;
  if (kind == leap::LeapKind::kDelete) status |= STA_DEL;
  return status;
}

int kernel_status_at_start(int status) { return status & ~(STA_PLL | STA_FLL | STA_INS | STA_DEL); }

Status check_system_clock_adjustable() {
  struct timex now {};  // modes = 0: read only
  if (clock_adjtime(CLOCK_REALTIME, &now) < 0) return os_error("clock_adjtime(read)", errno);
  struct timex same {};
  same.modes = ADJ_FREQUENCY;
  same.freq = now.freq;
  if (clock_adjtime(CLOCK_REALTIME, &same) < 0)
    return os_error("clock_adjtime(ADJ_FREQUENCY)", errno);
  return {};
}

int64_t read_monotonic_ns() {
  std::timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::unique_ptr<Clock> make_system_clock() { return std::make_unique<SystemClock>(); }
std::unique_ptr<Clock> make_readonly_clock() { return std::make_unique<ReadonlyClock>(); }

}  // namespace meridian::platform
