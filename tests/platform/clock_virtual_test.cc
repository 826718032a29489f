#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "platform/clock.h"
#include "tests/support/capabilities.h"

namespace meridian::platform {
namespace {

// A monotonic source the test moves by hand.
struct FakeMonotonic {
  int64_t ns = 1'000'000'000;
  std::function<int64_t()> fn() {
    return [this] { return ns; };
  }
};

constexpr int64_t kSecond = 1'000'000'000;

TEST(VirtualClock, StartsAtRealTimePlusOffset) {
  FakeMonotonic mono;
  VirtualClock clock({.initial_offset_s = 2.5, .monotonic_ns = mono.fn()});
  const double diff = (clock.now() - read_realtime()).to_seconds();
  EXPECT_NEAR(diff, 2.5, 0.05);
}

TEST(VirtualClock, AdvancesWithMonotonicTimeAndIntrinsicFrequency) {
  FakeMonotonic mono;
  VirtualClock clock({.intrinsic_ppm = 50, .monotonic_ns = mono.fn()});
  const time::NtpTime t0 = clock.now();
  mono.ns += 100 * kSecond;
  // +50 ppm over 100 s runs 5 ms fast.
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 100.005, 1e-9);
}

TEST(VirtualClock, FrequencyCorrectionCancelsIntrinsicError) {
  FakeMonotonic mono;
  VirtualClock clock({.intrinsic_ppm = 50, .monotonic_ns = mono.fn()});
  ASSERT_TRUE(clock.set_frequency(-50).ok());
  const time::NtpTime t0 = clock.now();
  mono.ns += 1000 * kSecond;
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 1000.0, 1e-9);
  EXPECT_DOUBLE_EQ(clock.frequency_correction_ppm(), -50);
}

TEST(VirtualClock, StepMovesTheClockAtOnce) {
  FakeMonotonic mono;
  VirtualClock clock({.monotonic_ns = mono.fn()});
  const time::NtpTime t0 = clock.now();
  ASSERT_TRUE(clock.step(time::NtpDuration::from_seconds(-1.25)).ok());
  EXPECT_NEAR((clock.now() - t0).to_seconds(), -1.25, 1e-9);
  EXPECT_NEAR(clock.total_stepped().to_seconds(), -1.25, 1e-9);
}

TEST(VirtualClock, SlewTakesEffectAt500ppm) {
  FakeMonotonic mono;
  VirtualClock clock({.monotonic_ns = mono.fn()});
  const time::NtpTime t0 = clock.now();
  ASSERT_TRUE(clock.slew(time::NtpDuration::from_seconds(0.1)).ok());
  mono.ns += 100 * kSecond;  // 500 ppm × 100 s = 50 ms of the 100 ms
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 100.05, 1e-6);
  EXPECT_NEAR(clock.pending_slew().to_seconds(), 0.05, 1e-6);
  mono.ns += 1000 * kSecond;  // long enough to finish, and no overshoot
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 1100.1, 1e-6);
  EXPECT_EQ(clock.pending_slew().raw(), 0);
}

TEST(VirtualClock, NegativeSlewAndReplacement) {
  FakeMonotonic mono;
  VirtualClock clock({.monotonic_ns = mono.fn()});
  ASSERT_TRUE(clock.slew(time::NtpDuration::from_seconds(-0.2)).ok());
  mono.ns += 200 * kSecond;  // −0.1 s applied
  EXPECT_NEAR(clock.pending_slew().to_seconds(), -0.1, 1e-6);
  ASSERT_TRUE(clock.slew(time::NtpDuration::from_seconds(0.01)).ok());  // adjtime replaces
  EXPECT_NEAR(clock.pending_slew().to_seconds(), 0.01, 1e-9);
}

TEST(VirtualClock, KernelTimestampKeepsItsAge) {
  VirtualClock clock({.initial_offset_s = 100});
  const time::NtpTime real = read_realtime() - time::NtpDuration::from_seconds(0.5);
  const time::NtpTime mapped = clock.from_kernel_realtime(real.to_timespec());
  EXPECT_NEAR((clock.now() - mapped).to_seconds(), 0.5, 0.05);
}

TEST(ReadonlyClock, RefusesEveryChange) {
  auto clock = make_readonly_clock();
  EXPECT_EQ(clock->step(time::NtpDuration::from_seconds(1)).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(clock->slew(time::NtpDuration::from_seconds(1)).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(clock->set_frequency(1).error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(clock->step(time::NtpDuration::from_seconds(1)).error().message.find("readonly"),
            std::string::npos);
  EXPECT_NEAR((clock->now() - read_realtime()).to_seconds(), 0, 0.05);
}

TEST(SystemClock, ReadsRealTimeAndHasPlausiblePrecision) {
  auto clock = make_system_clock();
  EXPECT_NEAR((clock->now() - read_realtime()).to_seconds(), 0, 0.05);
  EXPECT_LE(clock->precision_log2(), -10);
  EXPECT_GE(clock->precision_log2(), -32);
}

TEST(MakeClock, KnowsTheThreeKinds) {
  EXPECT_EQ((*make_clock("system"))->name(), "system");
  EXPECT_EQ((*make_clock("virtual"))->name(), "virtual");
  EXPECT_EQ((*make_clock("readonly"))->name(), "readonly");
  EXPECT_FALSE(make_clock("sundial").ok());
}

TEST(VirtualClock, RecordsSynchronisationReports) {
  FakeMonotonic mono;
  VirtualClock clock({.monotonic_ns = mono.fn()});
  EXPECT_EQ(clock.synchronisation_reports(), 0);
  EXPECT_FALSE(clock.reported_synchronised());
  ASSERT_TRUE(clock.report_synchronisation(true, 0.0125, 0.0003).ok());
  EXPECT_EQ(clock.synchronisation_reports(), 1);
  EXPECT_TRUE(clock.reported_synchronised());
  EXPECT_DOUBLE_EQ(clock.reported_max_error_s(), 0.0125);
  EXPECT_DOUBLE_EQ(clock.reported_est_error_s(), 0.0003);
  ASSERT_TRUE(clock.report_synchronisation(false, 16, 0).ok());
  EXPECT_EQ(clock.synchronisation_reports(), 2);
  EXPECT_FALSE(clock.reported_synchronised());
  EXPECT_DOUBLE_EQ(clock.reported_max_error_s(), 16);
  // Reporting never moves the clock.
  EXPECT_EQ(clock.total_stepped().raw(), 0);
  EXPECT_DOUBLE_EQ(clock.frequency_correction_ppm(), 0);
}

TEST(ReadonlyClock, RefusesToReportSynchronisation) {
  auto clock = make_readonly_clock();
  const Status st = clock->report_synchronisation(true, 0.01, 0.001);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kPermissionDenied);
}

// The system backend without privilege: the write is refused and nothing
// changes. SAFETY: this test only ever runs without CAP_SYS_TIME (the test
// binaries run under `setpriv --bounding-set=-sys_time`); with the capability
// available it fails before touching the clock, never calls the writer.
TEST(SystemClock, ReportSynchronisationWithoutCapSysTimeIsRefusedAndChangesNothing) {
  const auto has_cap = testing::sys_time_in_bounding_set();
  ASSERT_TRUE(has_cap.has_value()) << "cannot read CapBnd from /proc/self/status";
  ASSERT_FALSE(*has_cap) << "CAP_SYS_TIME is in the bounding set: refusing to run a test that "
                            "could mark the host clock; run under setpriv "
                            "--bounding-set=-sys_time --inh-caps=-sys_time";
  const auto before = read_kernel_clock_status();
  ASSERT_TRUE(before.ok()) << before.error().message;
  auto clock = make_system_clock();
  for (const bool synchronised : {true, false}) {
    const Status st = clock->report_synchronisation(synchronised, 0.0125, 0.0003);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::kPermissionDenied) << st.error().message;
  }
  const auto after = read_kernel_clock_status();
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->status, before->status);
  EXPECT_EQ(after->est_error_us, before->est_error_us);
  EXPECT_EQ(after->freq, before->freq);
  // maxerror may only have grown by the kernel's own 500 µs/s aging, never
  // been set to our 12 500 µs (unless it already was near it).
  EXPECT_GE(after->max_error_us, before->max_error_us);
  EXPECT_LE(after->max_error_us - before->max_error_us, 5000);
}

}  // namespace
}  // namespace meridian::platform
