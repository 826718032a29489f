// Statistics file sets on disk: members named by date, the base-name link,
// rotation at UTC midnight, restarts, conflicts, and failures that are
// logged once and never stop the caller.
#include "daemon/stats_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/stats/calendar.h"
#include "tests/support/process.h"

namespace meridian::daemon {
namespace {

using stats::FilegenType;
using time::NtpDuration;
using time::NtpTime;

NtpTime utc(int64_t y, unsigned m, unsigned d, double seconds_of_day) {
  const int64_t day = stats::mjd_from_civil({y, m, d}) - stats::kMjdOfNtpEpoch;
  return NtpTime::from_parts(day * stats::kSecondsPerDay, 0) +
         NtpDuration::from_seconds(seconds_of_day);
}

stats::GenerationClock at(NtpTime t) { return {t, 10, 4242}; }

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

ino_t inode(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

class StatsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir();
    log_path_ = dir_ + "/ntpd.log";
    log_ = std::make_unique<Logger>(log_path_, false, 0);
  }
  void TearDown() override {
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  stats::StatsFileSpec spec(FilegenType type = FilegenType::kDay, bool link = true) {
    return {"loopstats", dir_ + "/loopstats", type, link, true};
  }

  std::string dir_;
  std::string log_path_;
  std::unique_ptr<Logger> log_;
};

TEST_F(StatsFilesTest, AppendsToTheDaysMemberLinkedFromTheBaseName) {
  StatsFileSet set(spec(), *log_);
  EXPECT_TRUE(set.write("line 1", at(utc(2025, 3, 7, 100))));
  EXPECT_TRUE(set.write("line 2", at(utc(2025, 3, 7, 200))));
  const std::string member = dir_ + "/loopstats.20250307";
  EXPECT_EQ(set.current_path(), member);
  EXPECT_EQ(read(member), "line 1\nline 2\n");  // on disk at once: no buffering
  EXPECT_EQ(inode(dir_ + "/loopstats"), inode(member));
}

TEST_F(StatsFilesTest, RotatesAtUtcMidnightAndMovesTheLink) {
  StatsFileSet set(spec(), *log_);
  ASSERT_TRUE(set.write("before", at(utc(2025, 12, 31, 86399.999))));
  ASSERT_TRUE(set.write("after", at(utc(2026, 1, 1, 0))));
  EXPECT_EQ(read(dir_ + "/loopstats.20251231"), "before\n");
  EXPECT_EQ(read(dir_ + "/loopstats.20260101"), "after\n");
  EXPECT_EQ(inode(dir_ + "/loopstats"), inode(dir_ + "/loopstats.20260101"));
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/loopstats.20251231").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);  // the old member lost its link, kept its data
}

TEST_F(StatsFilesTest, ARestartAppendsToTheSameMember) {
  {
    StatsFileSet set(spec(), *log_);
    ASSERT_TRUE(set.write("first run", at(utc(2025, 3, 7, 100))));
  }
  StatsFileSet set(spec(), *log_);
  ASSERT_TRUE(set.write("second run", at(utc(2025, 3, 7, 200))));
  EXPECT_EQ(read(dir_ + "/loopstats.20250307"), "first run\nsecond run\n");
  EXPECT_EQ(inode(dir_ + "/loopstats"), inode(dir_ + "/loopstats.20250307"));
  EXPECT_EQ(count(read(log_path_), "kept the old"), 0u);
}

TEST_F(StatsFilesTest, ALoneFileInTheWayIsKeptUnderANewName) {
  {
    StatsFileSet none(spec(FilegenType::kNone), *log_);
    ASSERT_TRUE(none.write("unrotated", at(utc(2025, 3, 7, 100))));
    EXPECT_EQ(none.current_path(), dir_ + "/loopstats");
  }
  StatsFileSet set(spec(), *log_);
  ASSERT_TRUE(set.write("rotated", at(utc(2025, 3, 7, 200))));
  EXPECT_EQ(read(dir_ + "/loopstats.4242C0"), "unrotated\n");
  EXPECT_EQ(read(dir_ + "/loopstats"), "rotated\n");
  EXPECT_EQ(count(read(log_path_), "kept the old"), 1u);
}

TEST_F(StatsFilesTest, NolinkLeavesTheBaseNameAlone) {
  StatsFileSet set(spec(FilegenType::kWeek, false), *log_);
  ASSERT_TRUE(set.write("x", at(utc(2025, 3, 7, 0))));
  EXPECT_EQ(read(dir_ + "/loopstats.2025w10"), "x\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/loopstats"));
}

TEST_F(StatsFilesTest, AMissingDirectoryIsLoggedOnceThenRecovers) {
  stats::StatsFileSpec s = spec();
  s.base_path = dir_ + "/missing/loopstats";
  StatsFileSet set(s, *log_);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(set.write("lost", at(utc(2025, 3, 7, i))));
  EXPECT_EQ(count(read(log_path_), "cannot open statistics file"), 1u) << read(log_path_);
  EXPECT_NE(read(log_path_).find("No such file or directory"), std::string::npos);
  std::filesystem::create_directory(dir_ + "/missing");
  EXPECT_TRUE(set.write("kept", at(utc(2025, 3, 7, 10))));
  EXPECT_EQ(read(dir_ + "/missing/loopstats.20250307"), "kept\n");
  EXPECT_EQ(count(read(log_path_), "writing " + dir_ + "/missing/loopstats.20250307 again"), 1u);
}

TEST_F(StatsFilesTest, WhenTheNextMemberCannotBeOpenedLinesGoToThePreviousOne) {
  std::filesystem::create_directory(dir_ + "/loopstats.20250308");  // in the way
  StatsFileSet set(spec(), *log_);
  ASSERT_TRUE(set.write("day 1", at(utc(2025, 3, 7, 100))));
  EXPECT_TRUE(set.write("day 2", at(utc(2025, 3, 8, 100))));
  EXPECT_TRUE(set.write("day 2 again", at(utc(2025, 3, 8, 200))));
  EXPECT_EQ(read(dir_ + "/loopstats.20250307"), "day 1\nday 2\nday 2 again\n");
  EXPECT_EQ(count(read(log_path_), "cannot open statistics file"), 1u);
}

}  // namespace
}  // namespace meridian::daemon
