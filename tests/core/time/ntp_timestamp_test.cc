// NtpTimestamp (64-bit wire format, modular), NtpShort (16.16) and the
// fraction ↔ nanosecond conversions.
#include "core/time/ntp_timestamp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "core/random.h"

namespace meridian::time {
namespace {

constexpr int64_t kUnit = NtpDuration::kUnitsPerSecond;

TEST(NtpTimestampTest, PartsAndRaw) {
  const auto ts = NtpTimestamp::from_parts(0x12345678, 0x9abcdef0);
  EXPECT_EQ(ts.seconds(), 0x12345678u);
  EXPECT_EQ(ts.fraction(), 0x9abcdef0u);
  EXPECT_EQ(ts.raw(), 0x123456789abcdef0ull);
  EXPECT_EQ(NtpTimestamp::from_raw(0x123456789abcdef0ull), ts);
  EXPECT_FALSE(ts.is_zero());
  EXPECT_TRUE(NtpTimestamp().is_zero());
  EXPECT_TRUE(NtpTimestamp::from_parts(0, 0).is_zero());
  EXPECT_FALSE(NtpTimestamp::from_parts(0, 1).is_zero());
  EXPECT_FALSE(NtpTimestamp::from_parts(1, 0).is_zero());
}

TEST(NtpTimestampTest, DifferenceWithinAnEra) {
  const auto a = NtpTimestamp::from_parts(1000, 0x80000000);
  const auto b = NtpTimestamp::from_parts(998, 0);
  EXPECT_EQ((a - b).to_seconds(), 2.5);
  EXPECT_EQ((b - a).to_seconds(), -2.5);
  EXPECT_EQ((a - a).raw(), 0);
}

TEST(NtpTimestampTest, DifferenceAcrossTheEraWrap) {
  // Era 0's last half second vs era 1's first instant: +0.5 s, not −136 years.
  const auto end_of_era0 = NtpTimestamp::from_parts(0xFFFFFFFF, 0x80000000);
  const auto start_of_era1 = NtpTimestamp::from_parts(0, 0);
  EXPECT_EQ((start_of_era1 - end_of_era0).to_seconds(), 0.5);
  EXPECT_EQ((start_of_era1 - end_of_era0).raw(), kUnit / 2);
  EXPECT_EQ((end_of_era0 - start_of_era1).to_seconds(), -0.5);
  // Ten seconds each side of the wrap.
  const auto before = NtpTimestamp::from_parts(0xFFFFFFF6, 0);
  const auto after = NtpTimestamp::from_parts(10, 0);
  EXPECT_EQ((after - before).to_seconds(), 20.0);
  EXPECT_EQ((before - after).to_seconds(), -20.0);
}

TEST(NtpTimestampTest, DifferenceIsCorrectUpToHalfAnEra) {
  const auto a = NtpTimestamp::from_parts(0x10000000, 0);
  const auto b = a + NtpDuration::from_seconds_int(0x7FFFFFFF);
  EXPECT_EQ((b - a).to_seconds(), 2147483647.0);
  EXPECT_EQ((a - b).to_seconds(), -2147483647.0);
}

TEST(NtpTimestampTest, AddingADurationWrapsModulo2To64) {
  const auto ts = NtpTimestamp::from_parts(0xFFFFFFFF, 0x80000000);
  const auto later = ts + NtpDuration::from_seconds_int(1);
  EXPECT_EQ(later.seconds(), 0u);
  EXPECT_EQ(later.fraction(), 0x80000000u);
  const auto earlier = NtpTimestamp::from_parts(0, 0x40000000) + NtpDuration::from_seconds(-0.5);
  EXPECT_EQ(earlier.seconds(), 0xFFFFFFFFu);
  EXPECT_EQ(earlier.fraction(), 0xC0000000u);
}

TEST(NtpTimestampTest, AddThenSubtractRoundTripsForRandomValues) {
  SeededRandom rng(0x5eed'0101);
  for (int i = 0; i < 50'000; ++i) {
    const auto ts = NtpTimestamp::from_raw(rng.next_u64());
    // |d| < 2^31 s so the modular difference recovers it.
    const auto d =
        NtpDuration::from_raw(static_cast<int64_t>(rng.next_u64() >> 1) - (int64_t{1} << 62));
    ASSERT_EQ((ts + d) - ts, d);
  }
}

TEST(NtpTimestampTest, OrderingIsByRawValue) {
  EXPECT_LT(NtpTimestamp::from_parts(1, 0), NtpTimestamp::from_parts(1, 1));
  EXPECT_LT(NtpTimestamp::from_parts(1, 0xFFFFFFFF), NtpTimestamp::from_parts(2, 0));
  // Not era-aware: use operator- for "before/after" across the wrap.
  EXPECT_GT(NtpTimestamp::from_parts(0xFFFFFFFF, 0), NtpTimestamp::from_parts(0, 0));
}

TEST(NtpShortTest, FromSecondsKnownValues) {
  EXPECT_EQ(NtpShort::from_seconds(1.5).raw(), 0x00018000u);
  EXPECT_EQ(NtpShort::from_seconds(0.0).raw(), 0u);
  EXPECT_EQ(NtpShort::from_seconds(1.0 / 65536).raw(), 1u);
  EXPECT_EQ(NtpShort::from_seconds(0.5 / 65536).raw(), 1u);   // rounds half up
  EXPECT_EQ(NtpShort::from_seconds(0.25 / 65536).raw(), 0u);  // rounds down
  EXPECT_EQ(NtpShort::from_seconds(65535.0).raw(), 0xFFFF0000u);
}

TEST(NtpShortTest, NegativeAndNaNBecomeZero) {
  EXPECT_EQ(NtpShort::from_seconds(-1.0).raw(), 0u);
  EXPECT_EQ(NtpShort::from_seconds(-1e-9).raw(), 0u);
  EXPECT_EQ(NtpShort::from_seconds(std::nan("")).raw(), 0u);
  EXPECT_EQ(NtpShort::from_seconds(-std::numeric_limits<double>::infinity()).raw(), 0u);
}

TEST(NtpShortTest, Saturates) {
  EXPECT_EQ(NtpShort::from_seconds(65536.0).raw(), 0xFFFFFFFFu);
  EXPECT_EQ(NtpShort::from_seconds(1e12).raw(), 0xFFFFFFFFu);
  EXPECT_EQ(NtpShort::from_seconds(std::numeric_limits<double>::infinity()).raw(), 0xFFFFFFFFu);
}

TEST(NtpShortTest, ToSecondsAndOrdering) {
  EXPECT_EQ(NtpShort::from_raw(0x00010000).to_seconds(), 1.0);
  EXPECT_EQ(NtpShort::from_raw(0x00004000).to_seconds(), 0.25);
  EXPECT_DOUBLE_EQ(NtpShort::from_raw(0xFFFFFFFF).to_seconds(), 65535.0 + 65535.0 / 65536);
  EXPECT_LT(NtpShort::from_raw(1), NtpShort::from_raw(2));
}

TEST(NtpShortTest, SecondsRoundTripWithinHalfAUnit) {
  SeededRandom rng(0x5eed'0102);
  for (int i = 0; i < 10'000; ++i) {
    const double s = rng.next_unit() * 65535.0;
    const double back = NtpShort::from_seconds(s).to_seconds();
    ASSERT_LE(std::fabs(back - s), 0.5 / 65536 + 1e-12) << s;
  }
}

TEST(FractionConversionTest, KnownValues) {
  EXPECT_EQ(fraction_to_nanoseconds(0), 0);
  EXPECT_EQ(fraction_to_nanoseconds(0x80000000u), 500'000'000);
  EXPECT_EQ(fraction_to_nanoseconds(0x40000000u), 250'000'000);
  EXPECT_EQ(fraction_to_nanoseconds(4), 1);  // 0.93 ns
  EXPECT_EQ(fraction_to_nanoseconds(2), 0);  // 0.47 ns
  // The largest fraction rounds up to a full second (callers carry).
  EXPECT_EQ(fraction_to_nanoseconds(0xFFFFFFFFu), 1'000'000'000);
  EXPECT_EQ(nanoseconds_to_fraction(0), 0u);
  EXPECT_EQ(nanoseconds_to_fraction(500'000'000), 0x80000000u);
  EXPECT_EQ(nanoseconds_to_fraction(1), 4u);
  EXPECT_EQ(nanoseconds_to_fraction(999'999'999), 4294967292u);
}

TEST(FractionConversionTest, NanosecondsToFractionAndBackIsExact) {
  // Every 997th value across the whole second (about a million), plus edges.
  for (int64_t ns = 0; ns < 1'000'000'000; ns += 997) {
    ASSERT_EQ(fraction_to_nanoseconds(nanoseconds_to_fraction(ns)), ns) << ns;
  }
  for (int64_t ns = 0; ns < 100'000; ++ns) {
    ASSERT_EQ(fraction_to_nanoseconds(nanoseconds_to_fraction(ns)), ns) << ns;
  }
  for (int64_t ns = 999'900'000; ns < 1'000'000'000; ++ns) {
    ASSERT_EQ(fraction_to_nanoseconds(nanoseconds_to_fraction(ns)), ns) << ns;
  }
  SeededRandom rng(0x5eed'0103);
  for (int i = 0; i < 200'000; ++i) {
    const auto ns = static_cast<int64_t>(rng.next_u64() % 1'000'000'000);
    ASSERT_EQ(fraction_to_nanoseconds(nanoseconds_to_fraction(ns)), ns) << ns;
  }
}

TEST(FractionConversionTest, FractionToNanosecondsIsMonotonicAndClose) {
  SeededRandom rng(0x5eed'0104);
  for (int i = 0; i < 100'000; ++i) {
    const auto f = static_cast<uint32_t>(rng.next_u64());
    const double exact_ns = static_cast<double>(f) * 1e9 / 4294967296.0;
    ASSERT_LE(std::fabs(static_cast<double>(fraction_to_nanoseconds(f)) - exact_ns), 0.5 + 1e-6);
    if (f < 0xFFFFFFFFu) {
      ASSERT_LE(fraction_to_nanoseconds(f), fraction_to_nanoseconds(f + 1));
    }
  }
}

}  // namespace
}  // namespace meridian::time
