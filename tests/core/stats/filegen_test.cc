// File generation sets: member names per type, the rotation rule (a new
// suffix ⇒ a new member), and how statsdir/statistics/filegen resolve.
#include "core/stats/filegen.h"

#include <gtest/gtest.h>

#include "core/config/file_source.h"
#include "core/config/parser.h"
#include "core/stats/calendar.h"

namespace meridian::stats {
namespace {

using time::NtpDuration;
using time::NtpTime;

NtpTime utc(int64_t y, unsigned m, unsigned d, int64_t seconds_of_day = 0) {
  return NtpTime::from_parts(
      (mjd_from_civil({y, m, d}) - kMjdOfNtpEpoch) * kSecondsPerDay + seconds_of_day, 0);
}

std::string suffix(FilegenType type, NtpTime t, double uptime_s = 0, int64_t pid = 0) {
  return generation_suffix(type, GenerationClock{t, uptime_s, pid});
}

TEST(FilegenTest, SuffixPerType) {
  const NtpTime t = utc(2025, 3, 7, 3600);
  EXPECT_EQ(suffix(FilegenType::kNone, t), "");
  EXPECT_EQ(suffix(FilegenType::kPid, t, 0, 4321), ".#4321");
  EXPECT_EQ(suffix(FilegenType::kDay, t), ".20250307");
  EXPECT_EQ(suffix(FilegenType::kWeek, t), ".2025w10");
  EXPECT_EQ(suffix(FilegenType::kMonth, t), ".202503");
  EXPECT_EQ(suffix(FilegenType::kYear, t), ".2025");
  EXPECT_EQ(suffix(FilegenType::kAge, t, 3600.5), ".a00000000");
  EXPECT_EQ(suffix(FilegenType::kAge, t, 2 * 86400 + 17), ".a00172800");
}

TEST(FilegenTest, DayRotatesAtUtcMidnight) {
  const NtpTime midnight = utc(2025, 12, 31, 86400);  // = 2026-01-01T00:00:00Z
  const NtpTime before = midnight - NtpDuration::from_seconds(0.001);
  EXPECT_EQ(suffix(FilegenType::kDay, before), ".20251231");
  EXPECT_EQ(suffix(FilegenType::kDay, midnight), ".20260101");
  EXPECT_EQ(suffix(FilegenType::kMonth, before), ".202512");
  EXPECT_EQ(suffix(FilegenType::kMonth, midnight), ".202601");
  EXPECT_EQ(suffix(FilegenType::kYear, before), ".2025");
  EXPECT_EQ(suffix(FilegenType::kYear, midnight), ".2026");
  // 2025-12-31 is a Wednesday of ISO week 2026-W01: no new week at New Year.
  EXPECT_EQ(suffix(FilegenType::kWeek, before), ".2026w01");
  EXPECT_EQ(suffix(FilegenType::kWeek, midnight), ".2026w01");
}

TEST(FilegenTest, WeekRotatesOnMondays) {
  EXPECT_EQ(suffix(FilegenType::kWeek, utc(2021, 1, 3, 86399)), ".2020w53");  // Sunday
  EXPECT_EQ(suffix(FilegenType::kWeek, utc(2021, 1, 4)), ".2021w01");         // Monday
  EXPECT_EQ(suffix(FilegenType::kWeek, utc(2024, 12, 30)), ".2025w01");
}

TEST(FilegenTest, NamesAcrossTheNtpEraBoundary) {
  const NtpTime era1 = NtpTime::from_parts(time::kEraSeconds, 0);  // 2036-02-07T06:28:16Z
  EXPECT_EQ(suffix(FilegenType::kDay, era1 - NtpDuration::from_seconds_int(23297)), ".20360206");
  EXPECT_EQ(suffix(FilegenType::kDay, era1), ".20360207");
  EXPECT_EQ(suffix(FilegenType::kYear, NtpTime::from_parts(3 * time::kEraSeconds, 0)), ".2308");
}

TEST(FilegenTest, TypeNames) {
  for (std::string_view n : {"none", "pid", "day", "week", "month", "year", "age"}) {
    auto t = filegen_type_from_name(n);
    ASSERT_TRUE(t.has_value()) << n;
    EXPECT_EQ(filegen_type_name(*t), n);
  }
  EXPECT_FALSE(filegen_type_from_name("hour").has_value());
}

config::Config parse(std::string_view text) {
  config::MemoryFileSource files;
  return config::parse_config_text(text, "ntp.conf", files);
}

const StatsFileSpec& find(const StatsSetup& s, std::string_view name) {
  for (const auto& f : s.files) {
    if (f.name == name) return f;
  }
  static const StatsFileSpec kNone;
  ADD_FAILURE() << "no spec for " << name;
  return kNone;
}

TEST(FilegenTest, NothingEnabledWithoutStatistics) {
  const StatsSetup s = resolve_stats_files(parse("server 192.0.2.1\n"));
  ASSERT_EQ(s.files.size(), 3u);
  EXPECT_FALSE(s.any_enabled());
  EXPECT_EQ(find(s, "loopstats").base_path, "/var/NTP/loopstats");  // classic default
  EXPECT_EQ(find(s, "loopstats").type, FilegenType::kDay);
  EXPECT_TRUE(find(s, "loopstats").link);
  EXPECT_TRUE(s.warnings.empty());
}

TEST(FilegenTest, DebianStyleConfiguration) {
  const StatsSetup s =
      resolve_stats_files(parse("statsdir /var/log/ntpstats\n"
                                "statistics loopstats peerstats clockstats\n"
                                "filegen loopstats file loopstats type day enable\n"
                                "filegen peerstats file peers type week nolink enable\n"
                                "filegen clockstats file clockstats type day enable\n"));
  EXPECT_TRUE(find(s, "loopstats").enabled);
  EXPECT_EQ(find(s, "loopstats").base_path, "/var/log/ntpstats/loopstats");
  EXPECT_TRUE(find(s, "peerstats").enabled);
  EXPECT_EQ(find(s, "peerstats").base_path, "/var/log/ntpstats/peers");
  EXPECT_EQ(find(s, "peerstats").type, FilegenType::kWeek);
  EXPECT_FALSE(find(s, "peerstats").link);
  EXPECT_FALSE(find(s, "sysstats").enabled);
  // clockstats is not recorded: the parser says so with FILE:LINE
  // (tests/core/config/no_effect_test.cc), not this start-up step again.
  EXPECT_TRUE(s.warnings.empty());
}

TEST(FilegenTest, FilegenEnableAndDisableOverrideStatistics) {
  const StatsSetup s =
      resolve_stats_files(parse("statsdir /tmp/st/\nstatistics loopstats peerstats\n"
                                "filegen peerstats disable\nfilegen sysstats type month enable\n"
                                "filegen loopstats disable\nfilegen loopstats enable\n"));
  EXPECT_TRUE(find(s, "loopstats").enabled);  // the last word wins
  EXPECT_FALSE(find(s, "peerstats").enabled);
  EXPECT_TRUE(find(s, "sysstats").enabled);
  EXPECT_EQ(find(s, "sysstats").type, FilegenType::kMonth);
  EXPECT_EQ(find(s, "sysstats").base_path, "/tmp/st/sysstats");  // no doubled '/'
}

TEST(FilegenTest, DisableStatsTurnsEverythingOff) {
  const StatsSetup s = resolve_stats_files(parse("statistics loopstats sysstats\ndisable stats\n"));
  EXPECT_FALSE(s.any_enabled());
}

TEST(FilegenTest, FileMayNotLeaveStatsdir) {
  const StatsSetup s = resolve_stats_files(
      parse("statsdir /var/log/ntpstats\nstatistics loopstats peerstats\n"
            "filegen loopstats file ../../etc/passwd\nfilegen peerstats file sub/peers\n"));
  EXPECT_EQ(find(s, "loopstats").base_path, "/var/log/ntpstats/loopstats");
  EXPECT_EQ(find(s, "peerstats").base_path, "/var/log/ntpstats/sub/peers");
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("ntp.conf:3: filegen loopstats: file '../../etc/passwd'"),
            std::string::npos)
      << s.warnings[0];
}

}  // namespace
}  // namespace meridian::stats
