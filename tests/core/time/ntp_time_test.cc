// NtpTime: an unambiguous instant (seconds since 1900 + fraction), era
// selection around a pivot, Unix conversions and ISO 8601 formatting.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <limits>
#include <string>

#include "core/random.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::time {
namespace {

constexpr int64_t kUnit = NtpDuration::kUnitsPerSecond;
constexpr int64_t kEra1Start = int64_t{1} << 32;                  // 2036-02-07T06:28:16Z
constexpr int64_t kUnix2036 = kEra1Start - kUnixEpochNtpSeconds;  // 2085978496
constexpr int64_t kUnix2106 = int64_t{1} << 32;                   // 2106-02-07T06:28:16Z
constexpr int64_t kUnix20351201 = 2080080000;                     // 2035-12-01T00:00:00Z
constexpr int64_t kUnix20250101 = 1735689600;                     // 2025-01-01T00:00:00Z

// Reference formatting through the C library, independent of the code under test.
std::string gmtime_iso(int64_t unix_seconds, int64_t ns) {
  std::tm tm{};
  const auto t = static_cast<std::time_t>(unix_seconds);
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:09d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns);
}

TEST(NtpTimeTest, PrimeEpoch1900) {
  const auto t = NtpTime::from_parts(0, 0);
  EXPECT_EQ(t.to_iso8601(), "1900-01-01T00:00:00.000000000Z");
  EXPECT_EQ(t.era(), 0);
  EXPECT_EQ(t.to_unix(), (UnixTime{-kUnixEpochNtpSeconds, 0}));
  EXPECT_TRUE(t.to_timestamp().is_zero());
}

TEST(NtpTimeTest, UnixEpoch1970) {
  const auto t = NtpTime::from_unix({0, 0});
  EXPECT_EQ(t.seconds_since_1900(), 2'208'988'800);
  EXPECT_EQ(t.fraction(), 0u);
  EXPECT_EQ(t.era(), 0);
  EXPECT_EQ(t.to_iso8601(), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(t.to_timestamp().seconds(), 2'208'988'800u);
}

TEST(NtpTimeTest, Era1Start2036) {
  const auto t = NtpTime::from_parts(kEra1Start, 0);
  EXPECT_EQ(t.to_iso8601(), "2036-02-07T06:28:16.000000000Z");
  EXPECT_EQ(t.era(), 1);
  EXPECT_EQ(t.to_unix(), (UnixTime{kUnix2036, 0}));
  EXPECT_EQ(kUnix2036, 2'085'978'496);
  EXPECT_TRUE(t.to_timestamp().is_zero());
  EXPECT_EQ(NtpTime::from_unix({kUnix2036, 0}), t);

  const auto before = NtpTime::from_parts(kEra1Start - 1, 0xFFFFFFFF);
  EXPECT_EQ(before.era(), 0);
  EXPECT_EQ(before.to_timestamp().raw(), 0xFFFFFFFFFFFFFFFFull);
  // The last fraction rounds up to the next whole second in nanoseconds.
  EXPECT_EQ(before.to_iso8601(), "2036-02-07T06:28:16.000000000Z");
  EXPECT_EQ(NtpTime::from_parts(kEra1Start - 1, 0).to_iso8601(), "2036-02-07T06:28:15.000000000Z");
  EXPECT_EQ(NtpTime::from_parts(kEra1Start - 1, 0x80000000).to_iso8601(),
            "2036-02-07T06:28:15.500000000Z");
}

TEST(NtpTimeTest, UnixRollover2106) {
  const auto t = NtpTime::from_unix({kUnix2106, 0});
  EXPECT_EQ(t.seconds_since_1900(), kUnix2106 + kUnixEpochNtpSeconds);
  EXPECT_EQ(t.era(), 1);
  EXPECT_EQ(t.to_iso8601(), "2106-02-07T06:28:16.000000000Z");
  EXPECT_EQ(t.to_unix(), (UnixTime{kUnix2106, 0}));
  EXPECT_EQ(t.to_timestamp().seconds(), static_cast<uint32_t>(kUnixEpochNtpSeconds));
}

TEST(NtpTimeTest, BeforeThePrimeEpochIsEraMinusOne) {
  const auto t = NtpTime::from_parts(-1, 0);
  EXPECT_EQ(t.era(), -1);
  EXPECT_EQ(t.to_iso8601(), "1899-12-31T23:59:59.000000000Z");
  EXPECT_EQ(t.to_timestamp().seconds(), 0xFFFFFFFFu);
  EXPECT_EQ(NtpTime::from_parts(-kEra1Start, 0).era(), -1);
  EXPECT_EQ(NtpTime::from_parts(-kEra1Start - 1, 0).era(), -2);
}

TEST(NtpTimeTest, PreUnixEpochWithNanoseconds) {
  const auto t = NtpTime::from_unix({-1, 999'999'999});
  EXPECT_EQ(t.seconds_since_1900(), kUnixEpochNtpSeconds - 1);
  EXPECT_EQ(t.to_iso8601(), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(t.to_unix(), (UnixTime{-1, 999'999'999}));
}

TEST(NtpTimeTest, FromUnixNormalisesOutOfRangeNanoseconds) {
  EXPECT_EQ(NtpTime::from_unix({10, 1'500'000'000}), NtpTime::from_unix({11, 500'000'000}));
  EXPECT_EQ(NtpTime::from_unix({10, -1}), NtpTime::from_unix({9, 999'999'999}));
}

TEST(NtpTimeTest, Iso8601LeapDayAndMillennium) {
  EXPECT_EQ(NtpTime::from_unix({951782400, 0}).to_iso8601(), "2000-02-29T00:00:00.000000000Z");
  EXPECT_EQ(NtpTime::from_unix({946684799, 123'456'789}).to_iso8601(),
            "1999-12-31T23:59:59.123456789Z");
}

TEST(NtpTimeTest, UnixRoundTripPropertyIncludingPre1970AndPast2106) {
  SeededRandom rng(0x5eed'0201);
  // Unix seconds in [−4·2^32, +4·2^32): 1425 … 2514 (several eras either side).
  constexpr int64_t kSpan = int64_t{8} << 32;
  for (int i = 0; i < 100'000; ++i) {
    const UnixTime u{static_cast<int64_t>(rng.next_u64() % kSpan) - kSpan / 2,
                     static_cast<int64_t>(rng.next_u64() % 1'000'000'000)};
    const NtpTime t = NtpTime::from_unix(u);
    ASSERT_EQ(t.to_unix(), u) << u.seconds << "." << u.nanoseconds;
    ASSERT_EQ(t.seconds_since_1900(), u.seconds + kUnixEpochNtpSeconds);
  }
}

TEST(NtpTimeTest, TimespecRoundTrip) {
  SeededRandom rng(0x5eed'0202);
  for (int i = 0; i < 10'000; ++i) {
    std::timespec ts{};
    ts.tv_sec = static_cast<std::time_t>(rng.next_u64() % (int64_t{3} << 32)) - (int64_t{1} << 32);
    ts.tv_nsec = static_cast<long>(rng.next_u64() % 1'000'000'000);
    const std::timespec back = NtpTime::from_timespec(ts).to_timespec();
    ASSERT_EQ(back.tv_sec, ts.tv_sec);
    ASSERT_EQ(back.tv_nsec, ts.tv_nsec);
  }
}

TEST(NtpTimeTest, Iso8601MatchesGmtimeForRandomInstants) {
  SeededRandom rng(0x5eed'0203);
  constexpr int64_t kSpan = int64_t{6} << 32;  // about 1766 … 2582
  for (int i = 0; i < 20'000; ++i) {
    const UnixTime u{static_cast<int64_t>(rng.next_u64() % kSpan) - kSpan / 4,
                     static_cast<int64_t>(rng.next_u64() % 1'000'000'000)};
    ASSERT_EQ(NtpTime::from_unix(u).to_iso8601(), gmtime_iso(u.seconds, u.nanoseconds));
  }
}

TEST(NtpTimeTest, FromTimestampPicksEra1JustAfterRollover) {
  const auto pivot = NtpTime::from_unix({kUnix20351201, 0});
  ASSERT_EQ(pivot.era(), 0);
  const auto t = NtpTime::from_timestamp(NtpTimestamp::from_parts(1, 0), pivot);
  EXPECT_EQ(t.era(), 1);
  EXPECT_EQ(t.seconds_since_1900(), kEra1Start + 1);
  EXPECT_EQ(t.to_iso8601(), "2036-02-07T06:28:17.000000000Z");
}

TEST(NtpTimeTest, FromTimestampPicksEra0JustBeforeRollover) {
  // Pivot early in era 1 (2036-02-17), timestamp one second before the rollover.
  const auto pivot = NtpTime::from_parts(kEra1Start + 10 * 86400, 0x12345678);
  ASSERT_EQ(pivot.era(), 1);
  const auto t = NtpTime::from_timestamp(NtpTimestamp::from_parts(0xFFFFFFFF, 0), pivot);
  EXPECT_EQ(t.era(), 0);
  EXPECT_EQ(t.seconds_since_1900(), kEra1Start - 1);
  EXPECT_EQ(t.fraction(), 0u);
  EXPECT_EQ(t.to_iso8601(), "2036-02-07T06:28:15.000000000Z");
}

TEST(NtpTimeTest, FromTimestampStaysInThePivotsEra) {
  const auto pivot = NtpTime::from_unix({kUnix20250101, 0});
  const auto want = NtpTime::from_unix({kUnix20250101 - 3600, 250'000'000});
  EXPECT_EQ(NtpTime::from_timestamp(want.to_timestamp(), pivot), want);
  // In era 1 as well (2050).
  const auto pivot1 = NtpTime::from_parts(kEra1Start + 441'763'200, 0);
  const auto want1 = NtpTime::from_parts(kEra1Start + 441'763'200 + 86400, 7);
  EXPECT_EQ(NtpTime::from_timestamp(want1.to_timestamp(), pivot1), want1);
}

TEST(NtpTimeTest, FromTimestampPropertyWithinHalfAnEraOfPivot) {
  SeededRandom rng(0x5eed'0204);
  for (int i = 0; i < 50'000; ++i) {
    // Pivots across eras −1 … 2; targets within half an era of them.
    const auto pivot =
        NtpTime::from_parts(static_cast<int64_t>(rng.next_u64() % (int64_t{4} << 32)) - kEra1Start,
                            static_cast<uint32_t>(rng.next_u64()));
    // Any int64 offset is within [−2^31 s, 2^31 s), the window the era choice covers.
    const auto offset = NtpDuration::from_raw(static_cast<int64_t>(rng.next_u64()));
    const NtpTime want = pivot + offset;
    ASSERT_EQ(NtpTime::from_timestamp(want.to_timestamp(), pivot), want)
        << pivot.seconds_since_1900() << " + " << offset.raw();
  }
}

TEST(NtpTimeTest, AdditionCarriesAndBorrowsFraction) {
  const auto t = NtpTime::from_parts(10, 0xC0000000);
  const auto later = t + NtpDuration::from_seconds(0.5);
  EXPECT_EQ(later.seconds_since_1900(), 11);
  EXPECT_EQ(later.fraction(), 0x40000000u);
  const auto earlier = NtpTime::from_parts(10, 0) + NtpDuration::from_raw(-1);
  EXPECT_EQ(earlier.seconds_since_1900(), 9);
  EXPECT_EQ(earlier.fraction(), 0xFFFFFFFFu);
  EXPECT_EQ(NtpTime::from_parts(10, 0) - NtpDuration::from_seconds_int(11),
            NtpTime::from_parts(-1, 0));
  // Crossing the 2036 era boundary is just arithmetic.
  EXPECT_EQ(NtpTime::from_parts(kEra1Start - 1, 0) + NtpDuration::from_seconds_int(2),
            NtpTime::from_parts(kEra1Start + 1, 0));
}

TEST(NtpTimeTest, DifferenceWithinRange) {
  const auto a = NtpTime::from_parts(kEra1Start + 1, 0);
  const auto b = NtpTime::from_parts(kEra1Start - 1, 0x80000000);
  EXPECT_EQ((a - b).to_seconds(), 1.5);
  EXPECT_EQ((b - a).to_seconds(), -1.5);
  EXPECT_EQ((a - b).raw(), kUnit + kUnit / 2);
  // 2^31 − 1 s is still representable.
  const auto c = NtpTime::from_parts(0x7FFFFFFF, 0);
  EXPECT_EQ((c - NtpTime::from_parts(0, 0)).raw(), 0x7FFFFFFF * kUnit);
}

TEST(NtpTimeTest, DifferenceSaturatesBeyond68Years) {
  const auto t1900 = NtpTime::from_parts(0, 0);
  const auto t2036 = NtpTime::from_parts(kEra1Start, 0);
  EXPECT_EQ(t2036 - t1900, NtpDuration::max());
  EXPECT_EQ(t1900 - t2036, NtpDuration::min());
  // Exactly 2^31 s is one unit beyond max(); exactly −2^31 s is min() itself.
  const auto half_era = NtpTime::from_parts(int64_t{1} << 31, 0);
  EXPECT_EQ(half_era - t1900, NtpDuration::max());
  EXPECT_EQ(t1900 - half_era, NtpDuration::min());
  EXPECT_EQ((t1900 - half_era).raw(), std::numeric_limits<int64_t>::min());
  // One unit less than 2^31 s is exact.
  const auto just_under = NtpTime::from_parts((int64_t{1} << 31) - 1, 0xFFFFFFFF);
  EXPECT_EQ(just_under - t1900, NtpDuration::max());
  EXPECT_EQ((just_under - t1900).raw(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(NtpTime::from_parts(int64_t{5} << 32, 0) - NtpTime::from_parts(-(int64_t{5} << 32), 0),
            NtpDuration::max());
}

TEST(NtpTimeTest, Ordering) {
  EXPECT_LT(NtpTime::from_parts(kEra1Start - 1, 0xFFFFFFFF), NtpTime::from_parts(kEra1Start, 0));
  EXPECT_LT(NtpTime::from_parts(-1, 0), NtpTime::from_parts(0, 0));
  EXPECT_LT(NtpTime::from_parts(5, 1), NtpTime::from_parts(5, 2));
}

}  // namespace
}  // namespace meridian::time
