// NtpDuration: signed 32.32 fixed point (units of 2^-32 s).
#include "core/time/ntp_duration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "core/random.h"

namespace meridian::time {
namespace {

constexpr int64_t kUnit = NtpDuration::kUnitsPerSecond;  // 2^32
constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kMaxWholeSeconds = int64_t{1} << 31;  // the ±68-year range

TEST(NtpDurationTest, DefaultIsZero) {
  EXPECT_EQ(NtpDuration().raw(), 0);
  EXPECT_EQ(NtpDuration().to_seconds(), 0.0);
  EXPECT_EQ(NtpDuration().to_nanoseconds(), 0);
}

TEST(NtpDurationTest, FromSecondsIntIsExact) {
  EXPECT_EQ(NtpDuration::from_seconds_int(1).raw(), kUnit);
  EXPECT_EQ(NtpDuration::from_seconds_int(-3).raw(), -3 * kUnit);
  EXPECT_EQ(NtpDuration::from_seconds_int(86400).to_seconds(), 86400.0);
}

TEST(NtpDurationTest, FromSecondsConvertsExactBinaryFractions) {
  EXPECT_EQ(NtpDuration::from_seconds(1.5).raw(), 3 * (kUnit / 2));
  EXPECT_EQ(NtpDuration::from_seconds(-0.25).raw(), -(kUnit / 4));
  EXPECT_EQ(NtpDuration::from_seconds(0x1p-32).raw(), 1);
  EXPECT_EQ(NtpDuration::from_seconds(-0x1p-32).raw(), -1);
  // 0.001 s is not a binary fraction: within half a unit.
  EXPECT_NEAR(NtpDuration::from_seconds(0.001).to_seconds(), 0.001, 0x1p-33);
}

TEST(NtpDurationTest, FromSecondsRoundsToNearestUnit) {
  // Half a unit rounds away from zero (llround).
  EXPECT_EQ(NtpDuration::from_seconds(0x1p-33).raw(), 1);
  EXPECT_EQ(NtpDuration::from_seconds(-0x1p-33).raw(), -1);
  // A quarter of a unit rounds to zero.
  EXPECT_EQ(NtpDuration::from_seconds(0x1p-34).raw(), 0);
  // 0.6 units rounds up.
  EXPECT_EQ(NtpDuration::from_seconds(0.6 * 0x1p-32).raw(), 1);
}

TEST(NtpDurationTest, FromSecondsSaturates) {
  EXPECT_EQ(NtpDuration::from_seconds(1e300), NtpDuration::max());
  EXPECT_EQ(NtpDuration::from_seconds(-1e300), NtpDuration::min());
  EXPECT_EQ(NtpDuration::from_seconds(std::numeric_limits<double>::infinity()), NtpDuration::max());
  EXPECT_EQ(NtpDuration::from_seconds(-std::numeric_limits<double>::infinity()),
            NtpDuration::min());
  // 2^31 s is exactly 2^63 units: one past the largest representable value.
  EXPECT_EQ(NtpDuration::from_seconds(0x1p31), NtpDuration::max());
  // −2^31 s is exactly representable and equals min().
  EXPECT_EQ(NtpDuration::from_seconds(-0x1p31), NtpDuration::min());
  // Just inside the range stays exact (2^31 − 1 s).
  EXPECT_EQ(NtpDuration::from_seconds(2147483647.0).raw(), 2147483647 * kUnit);
}

TEST(NtpDurationTest, FromSecondsNaNIsZero) {
  EXPECT_EQ(NtpDuration::from_seconds(std::nan("")).raw(), 0);
  EXPECT_EQ(NtpDuration::from_seconds(-std::numeric_limits<double>::quiet_NaN()).raw(), 0);
}

TEST(NtpDurationTest, FromNanosecondsKnownValues) {
  EXPECT_EQ(NtpDuration::from_nanoseconds(0).raw(), 0);
  EXPECT_EQ(NtpDuration::from_nanoseconds(kNanosPerSecond).raw(), kUnit);
  EXPECT_EQ(NtpDuration::from_nanoseconds(-kNanosPerSecond).raw(), -kUnit);
  EXPECT_EQ(NtpDuration::from_nanoseconds(500'000'000).raw(), kUnit / 2);
  EXPECT_EQ(NtpDuration::from_nanoseconds(-500'000'000).raw(), -kUnit / 2);
  // 1 ns = 4.294967296 units → 4.
  EXPECT_EQ(NtpDuration::from_nanoseconds(1).raw(), 4);
  EXPECT_EQ(NtpDuration::from_nanoseconds(-1).raw(), -4);
  // 1.5 s + 1 ns.
  EXPECT_EQ(NtpDuration::from_nanoseconds(1'500'000'001).raw(), kUnit + kUnit / 2 + 4);
}

TEST(NtpDurationTest, ToNanosecondsRoundsHalfAwayFromZero) {
  // 2 units = 0.4657 ns → 0; 3 units = 0.6985 ns → 1.
  EXPECT_EQ(NtpDuration::from_raw(2).to_nanoseconds(), 0);
  EXPECT_EQ(NtpDuration::from_raw(3).to_nanoseconds(), 1);
  EXPECT_EQ(NtpDuration::from_raw(-2).to_nanoseconds(), 0);
  EXPECT_EQ(NtpDuration::from_raw(-3).to_nanoseconds(), -1);
  EXPECT_EQ(NtpDuration::from_raw(kUnit - 1).to_nanoseconds(), kNanosPerSecond);
  EXPECT_EQ(NtpDuration::from_raw(-kUnit + 1).to_nanoseconds(), -kNanosPerSecond);
}

TEST(NtpDurationTest, ToNanosecondsAtTheLimits) {
  EXPECT_EQ(NtpDuration::min().to_nanoseconds(), -kMaxWholeSeconds * kNanosPerSecond);
  // max() = 2^31 s − 2^-32 s, which rounds to 2^31 s in nanoseconds.
  EXPECT_EQ(NtpDuration::max().to_nanoseconds(), kMaxWholeSeconds * kNanosPerSecond);
}

TEST(NtpDurationTest, NanosecondRoundTripIsExactOverRandomValues) {
  SeededRandom rng(0x5eed'0001);
  const uint64_t span = static_cast<uint64_t>(2 * kMaxWholeSeconds * kNanosPerSecond - 1);
  for (int i = 0; i < 200'000; ++i) {
    // Uniform in [−2^31 s + 1 ns, 2^31 s − 1 ns].
    const int64_t ns =
        static_cast<int64_t>(rng.next_u64() % span) - (kMaxWholeSeconds * kNanosPerSecond - 1);
    ASSERT_EQ(NtpDuration::from_nanoseconds(ns).to_nanoseconds(), ns) << "ns=" << ns;
  }
}

TEST(NtpDurationTest, NanosecondRoundTripIsExactForSmallValues) {
  SeededRandom rng(0x5eed'0002);
  for (int64_t ns = -5000; ns <= 5000; ++ns) {
    ASSERT_EQ(NtpDuration::from_nanoseconds(ns).to_nanoseconds(), ns);
  }
  for (int i = 0; i < 100'000; ++i) {
    const int64_t ns =
        static_cast<int64_t>(rng.next_u64() % (2 * kNanosPerSecond)) - kNanosPerSecond;
    ASSERT_EQ(NtpDuration::from_nanoseconds(ns).to_nanoseconds(), ns) << "ns=" << ns;
  }
}

TEST(NtpDurationTest, NanosecondRoundTripAtRangeEdges) {
  const int64_t edge = kMaxWholeSeconds * kNanosPerSecond;
  for (int64_t ns : {edge - 1, edge - kNanosPerSecond, -edge, -edge + 1, -edge + kNanosPerSecond}) {
    EXPECT_EQ(NtpDuration::from_nanoseconds(ns).to_nanoseconds(), ns) << "ns=" << ns;
  }
  EXPECT_EQ(NtpDuration::from_nanoseconds(-edge), NtpDuration::min());
}

TEST(NtpDurationTest, FromNanosecondsSaturatesBeyondRange) {
  const int64_t edge = kMaxWholeSeconds * kNanosPerSecond;
  EXPECT_EQ(NtpDuration::from_nanoseconds(edge), NtpDuration::max());
  EXPECT_EQ(NtpDuration::from_nanoseconds(edge + kNanosPerSecond), NtpDuration::max());
  EXPECT_EQ(NtpDuration::from_nanoseconds(std::numeric_limits<int64_t>::max()), NtpDuration::max());
  EXPECT_EQ(NtpDuration::from_nanoseconds(-edge - kNanosPerSecond), NtpDuration::min());
  EXPECT_EQ(NtpDuration::from_nanoseconds(std::numeric_limits<int64_t>::min()), NtpDuration::min());
}

// Regression: this once overflowed int64 (UB) before the 128-bit fix.
TEST(NtpDurationTest, FromNanosecondsJustBelowRangeSaturates) {
  const int64_t edge = kMaxWholeSeconds * kNanosPerSecond;
  EXPECT_EQ(NtpDuration::from_nanoseconds(-edge - 1), NtpDuration::min());
  EXPECT_EQ(NtpDuration::from_nanoseconds(-edge - kNanosPerSecond + 1), NtpDuration::min());
}

TEST(NtpDurationTest, HalfRoundsTowardNegativeInfinity) {
  EXPECT_EQ(NtpDuration::from_seconds_int(2).half(), NtpDuration::from_seconds_int(1));
  EXPECT_EQ(NtpDuration::from_seconds_int(-2).half(), NtpDuration::from_seconds_int(-1));
  EXPECT_EQ(NtpDuration::from_raw(3).half().raw(), 1);
  EXPECT_EQ(NtpDuration::from_raw(-3).half().raw(), -2);
  EXPECT_EQ(NtpDuration::from_raw(-1).half().raw(), -1);
  EXPECT_EQ(NtpDuration::from_raw(1).half().raw(), 0);
  EXPECT_EQ(NtpDuration::max().half().raw(), std::numeric_limits<int64_t>::max() / 2);
  EXPECT_EQ(NtpDuration::min().half().raw(), std::numeric_limits<int64_t>::min() / 2);
}

TEST(NtpDurationTest, SignArithmeticAndOrdering) {
  const NtpDuration a = NtpDuration::from_seconds(1.25);
  const NtpDuration b = NtpDuration::from_seconds(-0.5);
  EXPECT_EQ((-a).raw(), -a.raw());
  EXPECT_EQ((a + b).to_seconds(), 0.75);
  EXPECT_EQ((b - a).to_seconds(), -1.75);
  EXPECT_EQ(b.abs().to_seconds(), 0.5);
  EXPECT_EQ(a.abs(), a);
  EXPECT_LT(b, NtpDuration());
  EXPECT_GT(a, NtpDuration());
  EXPECT_LT(NtpDuration::min(), b);
  EXPECT_GT(NtpDuration::max(), a);
  NtpDuration c = a;
  c += b;
  EXPECT_EQ(c.to_seconds(), 0.75);
  c -= a;
  EXPECT_EQ(c, b);
  EXPECT_LT(NtpDuration::from_seconds(-0.75).to_seconds(), 0.0);
}

TEST(NtpDurationTest, ToSecondsOfRawValues) {
  EXPECT_EQ(NtpDuration::from_raw(kUnit / 4).to_seconds(), 0.25);
  EXPECT_EQ(NtpDuration::from_raw(-kUnit * 10).to_seconds(), -10.0);
  EXPECT_EQ(NtpDuration::min().to_seconds(), -0x1p31);
  EXPECT_DOUBLE_EQ(NtpDuration::max().to_seconds(), 0x1p31);
}

}  // namespace
}  // namespace meridian::time

namespace meridian::time {
namespace {

TEST(NtpDurationTest, NegatingTheMinimumSaturates) {
  EXPECT_EQ(-NtpDuration::min(), NtpDuration::max());
  EXPECT_EQ(NtpDuration::min().abs(), NtpDuration::max());
  EXPECT_EQ(-NtpDuration::max(), NtpDuration::from_raw(-NtpDuration::max().raw()));
}

}  // namespace
}  // namespace meridian::time
