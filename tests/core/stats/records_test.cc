// Statistics lines: classic formats out, and read back by the parsers
// (round trips, midnight rollover, and malformed lines as errors).
#include "core/stats/records.h"

#include <gtest/gtest.h>

#include "core/stats/calendar.h"
#include "core/stats/record_parser.h"

namespace meridian::stats {
namespace {

using time::NtpDuration;
using time::NtpTime;

// 2025-11-21 (MJD 61000) at 12:12:07.123456 UTC.
NtpTime sample_time() {
  const int64_t day_start = (61000 - kMjdOfNtpEpoch) * kSecondsPerDay;
  return NtpTime::from_parts(day_start + 43927, 0) + NtpDuration::from_seconds(0.123456);
}

TEST(StatsRecordsTest, StampIsMjdAndSecondsPastMidnightInMilliseconds) {
  EXPECT_EQ(format_stamp(sample_time()), "61000 43927.123");
  const int64_t midnight = (61001 - kMjdOfNtpEpoch) * kSecondsPerDay;
  // Truncated, never rounded up into the next day.
  EXPECT_EQ(format_stamp(NtpTime::from_parts(midnight - 1, 0xffffffff)), "61000 86399.999");
  EXPECT_EQ(format_stamp(NtpTime::from_parts(midnight, 0)), "61001 0.000");
  EXPECT_EQ(format_stamp(NtpTime::from_parts(midnight, 0) + NtpDuration::from_seconds(0.0425)),
            "61001 0.042");
  // NTP era 1: the MJD keeps counting (64730 = 2036-02-07).
  EXPECT_EQ(format_stamp(NtpTime::from_parts(time::kEraSeconds, 0)), "64730 23296.000");
}

TEST(StatsRecordsTest, LoopstatsClassicFormat) {
  LoopRecord r{.offset_s = -0.000123456789,
               .frequency_ppm = -29.87654,
               .jitter_s = 0.0000456,
               .wander_ppm = 0.0123456,
               .poll_log2 = 6};
  EXPECT_EQ(format_loopstats(sample_time(), r),
            "61000 43927.123 -0.000123457 -29.877 0.000045600 0.012346 6");
  auto back = parse_loopstats(format_loopstats(sample_time(), r));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->stamp.mjd, 61000);
  EXPECT_DOUBLE_EQ(back->stamp.seconds, 43927.123);
  EXPECT_NEAR(back->record.offset_s, r.offset_s, 5e-10);
  EXPECT_NEAR(back->record.frequency_ppm, r.frequency_ppm, 5e-4);
  EXPECT_NEAR(back->record.jitter_s, r.jitter_s, 5e-10);
  EXPECT_NEAR(back->record.wander_ppm, r.wander_ppm, 5e-7);
  EXPECT_EQ(back->record.poll_log2, 6);
}

TEST(StatsRecordsTest, PeerstatsClassicFormat) {
  PeerRecord r{.address = net::IpAddress::v4({192, 0, 2, 7}),
               .status = 0x9614,
               .offset_s = 0.00025,
               .delay_s = 0.0311,
               .dispersion_s = 0.9375,
               .jitter_s = 0.0000012};
  EXPECT_EQ(format_peerstats(sample_time(), r),
            "61000 43927.123 192.0.2.7 9614 0.000250000 0.031100000 0.937500000 0.000001200");
  r.address = *net::IpAddress::parse("2001:db8::1");
  r.status = 0x8011;  // %x: no leading zeros, lower case
  const std::string line = format_peerstats(sample_time(), r);
  EXPECT_NE(line.find(" 2001:db8::1 8011 "), std::string::npos) << line;
  auto back = parse_peerstats(line);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->record.address, r.address);
  EXPECT_EQ(back->record.status, 0x8011);
  EXPECT_NEAR(back->record.delay_s, 0.0311, 1e-12);
  EXPECT_NEAR(back->record.dispersion_s, 0.9375, 1e-12);
}

TEST(StatsRecordsTest, SysstatsClassicFormat) {
  SysRecord r{3600, 1000, 990, 900, 100, 3, 2, 1, 4, 5, 6};
  EXPECT_EQ(format_sysstats(sample_time(), r), "61000 43927.123 3600 1000 990 900 100 3 2 1 4 5 6");
  auto back = parse_sysstats(format_sysstats(sample_time(), r));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->record.since_reset_s, 3600u);
  EXPECT_EQ(back->record.received, 1000u);
  EXPECT_EQ(back->record.processed, 990u);
  EXPECT_EQ(back->record.current_version, 900u);
  EXPECT_EQ(back->record.old_version, 100u);
  EXPECT_EQ(back->record.restricted, 3u);
  EXPECT_EQ(back->record.bad_format, 2u);
  EXPECT_EQ(back->record.bad_auth, 1u);
  EXPECT_EQ(back->record.declined, 4u);
  EXPECT_EQ(back->record.limited, 5u);
  EXPECT_EQ(back->record.kod_sent, 6u);
}

TEST(StatsRecordsTest, ParsersAcceptClassicLinesFromOtherDaemons) {
  // The classic documentation's examples (frequency with 6 decimals, as
  // NTPsec writes it); its sysstats example predates the KoD column, added here.
  auto loop = parse_loopstats("50935 75440.031 0.000006019 13.778190 0.000351733 0.013380 6\n");
  ASSERT_TRUE(loop) << loop.error().message;
  EXPECT_EQ(loop->stamp.mjd, 50935);
  EXPECT_NEAR(loop->record.frequency_ppm, 13.77819, 1e-9);
  auto peer = parse_peerstats(
      "48773 10847.650 127.127.4.1 9714 -0.001605376 0.000000000 0.001424877 0.000958674");
  ASSERT_TRUE(peer) << peer.error().message;
  EXPECT_EQ(peer->record.status, 0x9714);
  EXPECT_NEAR(peer->record.offset_s, -0.001605376, 1e-12);
  EXPECT_TRUE(parse_sysstats("50928 2000.000 3600 81965 0 9546 56 71793 512 540 10 147 0"));
}

TEST(StatsRecordsTest, MalformedLinesAreErrors) {
  const char* bad_loop[] = {
      "",
      "61000 43927.123 0.1 1.0 0.001 0.01",             // a field short
      "61000 43927.123 0.1 1.0 0.001 0.01 6 7",         // a field too many
      "61000 86400.000 0.1 1.0 0.001 0.01 6",           // not a time of day
      "-1 43927.123 0.1 1.0 0.001 0.01 6",              // negative MJD
      "61000 43927.123 0.1x 1.0 0.001 0.01 6",          // trailing junk
      "61000 43927.123 nan 1.0 0.001 0.01 6",           // not finite
      "61000 43927.123 0.1 inf 0.001 0.01 6",           // not finite
      "61000 43927.123 0.1 1.0 -0.001 0.01 6",          // negative jitter
      "61000 43927.123 0.1 1.0 0.001 0.01 6.5",         // poll not an integer
      "61000 43927.123 0.1 1.0 0.001 0.01 99999999999"  // poll out of range
  };
  for (const char* line : bad_loop) EXPECT_FALSE(parse_loopstats(line)) << line;
  const char* bad_peer[] = {
      "61000 1.000 192.0.2.300 9614 0 0 0 0",  // address
      "61000 1.000 host.example 9614 0 0 0 0",
      "61000 1.000 192.0.2.1 19614 0 0 0 0",  // status beyond 16 bits
      "61000 1.000 192.0.2.1 96g4 0 0 0 0",
      "61000 1.000 192.0.2.1 9614 0 0 -1 0",  // negative dispersion
  };
  for (const char* line : bad_peer) EXPECT_FALSE(parse_peerstats(line)) << line;
  EXPECT_FALSE(parse_sysstats("61000 1.000 3600 1 2 3 4 5 6 7 8 9 -10"));
  EXPECT_FALSE(parse_sysstats("61000 1.000 3600 1 2 3 4 5 6 7 8 9"));
  auto e = parse_peerstats("61000 1.000 192.0.2.1 9614 0 zero 0 0");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "bad delay 'zero'");
}

}  // namespace
}  // namespace meridian::stats
