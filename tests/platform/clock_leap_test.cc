// Leap seconds in the platform clocks: the kernel status bits we would
// write (computed, never written: tests have no CAP_SYS_TIME) and the
// virtual clock's model of an armed kernel.
#include <gtest/gtest.h>
#include <sys/timex.h>

#include <functional>

#include "platform/clock.h"

namespace meridian::platform {
namespace {

TEST(KernelLeapBits, ArmSetsOneBitAndKeepsTheRest) {
  const int base = STA_UNSYNC | STA_NANO;
  EXPECT_EQ(kernel_status_for_leap(base, leap::LeapKind::kInsert), base | STA_INS);
  EXPECT_EQ(kernel_status_for_leap(base, leap::LeapKind::kDelete), base | STA_DEL);
  EXPECT_EQ(kernel_status_for_leap(base | STA_INS, leap::LeapKind::kDelete), base | STA_DEL);
  EXPECT_EQ(kernel_status_for_leap(base | STA_INS | STA_DEL, leap::LeapKind::kNone), base);
  EXPECT_EQ(kernel_status_for_leap(STA_PLL, leap::LeapKind::kNone), STA_PLL);
}

TEST(KernelLeapBits, StartClearsPllFllAndLeapOnly) {
  const int keep = STA_UNSYNC | STA_NANO | STA_PPSFREQ;
  EXPECT_EQ(kernel_status_at_start(keep | STA_PLL | STA_FLL | STA_INS | STA_DEL), keep);
  EXPECT_EQ(kernel_status_at_start(keep), keep);
}

struct FakeMonotonic {
  int64_t ns = 1'000'000'000;
  std::function<int64_t()> fn() {
    return [this] { return ns; };
  }
};
constexpr int64_t kSecond = 1'000'000'000;

// A virtual clock 10 s before its next UTC midnight.
double offset_to_10s_before_midnight() {
  const time::NtpTime now = read_realtime();
  const int64_t s = now.seconds_since_1900();
  const int64_t midnight = (s / 86400 + 1) * 86400;
  return static_cast<double>(midnight - s) - 10.0 -
         static_cast<double>(now.fraction()) / 4294967296.0;
}

TEST(VirtualClockLeap, InsertRepeatsTheLastSecond) {
  FakeMonotonic mono;
  VirtualClock clock(
      {.initial_offset_s = offset_to_10s_before_midnight(), .monotonic_ns = mono.fn()});
  const time::NtpTime t0 = clock.now();
  ASSERT_TRUE(clock.arm_leap(leap::LeapKind::kInsert).ok());
  mono.ns += 9 * kSecond + kSecond / 2;  // 23:59:59.5
  EXPECT_EQ(clock.leaps_applied(), 0);
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 9.5, 1e-6);
  mono.ns += kSecond;  // true 00:00:00.5: the clock reads 23:59:59.5 again
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 9.5, 1e-6);
  EXPECT_EQ(clock.leaps_applied(), 1);
  EXPECT_EQ(clock.leap_armed(), leap::LeapKind::kNone);
  mono.ns += 86400 * kSecond;  // one leap per arming
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 86409.5, 1e-6);
}

TEST(VirtualClockLeap, DeleteSkipsTheLastSecond) {
  FakeMonotonic mono;
  VirtualClock clock(
      {.initial_offset_s = offset_to_10s_before_midnight(), .monotonic_ns = mono.fn()});
  const time::NtpTime t0 = clock.now();
  ASSERT_TRUE(clock.arm_leap(leap::LeapKind::kDelete).ok());
  mono.ns += 8 * kSecond + kSecond / 2;  // 23:59:58.5
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 8.5, 1e-6);
  mono.ns += kSecond;  // would be 23:59:59.5; reads 00:00:00.5
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 10.5, 1e-6);
  EXPECT_EQ(clock.leaps_applied(), 1);
}

TEST(VirtualClockLeap, DisarmedClockDoesNothing) {
  FakeMonotonic mono;
  VirtualClock clock(
      {.initial_offset_s = offset_to_10s_before_midnight(), .monotonic_ns = mono.fn()});
  const time::NtpTime t0 = clock.now();
  ASSERT_TRUE(clock.arm_leap(leap::LeapKind::kInsert).ok());
  ASSERT_TRUE(clock.arm_leap(leap::LeapKind::kNone).ok());
  mono.ns += 20 * kSecond;
  EXPECT_NEAR((clock.now() - t0).to_seconds(), 20, 1e-6);
  EXPECT_EQ(clock.leaps_applied(), 0);
}

TEST(ReadonlyClockLeap, RefusesToArm) {
  auto c = make_readonly_clock();
  auto st = c->arm_leap(leap::LeapKind::kInsert);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace meridian::platform
