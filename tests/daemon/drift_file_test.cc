// The drift file: parsing, atomic writes, and when the hourly save rewrites it.
#include "daemon/drift_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace meridian::daemon {
namespace {

std::string temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "drift-XXXXXX").string();
  const char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return pattern;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DriftFileTest, ParsesOneNumberInRange) {
  EXPECT_EQ(parse_drift("-30.125\n"), -30.125);
  EXPECT_EQ(parse_drift("  12.5  "), 12.5);
  EXPECT_FALSE(parse_drift("garbage").has_value());
  EXPECT_FALSE(parse_drift("12.5 13").has_value());
  EXPECT_FALSE(parse_drift("600").has_value());
  EXPECT_FALSE(parse_drift("").has_value());
}

TEST(DriftFileTest, MissingFileIsAFirstStartAndGarbageAnError) {
  const std::string dir = temp_dir();
  auto missing = read_drift_file(dir + "/none");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  std::ofstream(dir + "/bad") << "not a number\n";
  EXPECT_FALSE(read_drift_file(dir + "/bad").ok());
  std::filesystem::remove_all(dir);
}

TEST(DriftFileTest, WritesThreeDecimalsAtomicallyAndReadsThemBack) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/ntp.drift";
  ASSERT_TRUE(write_drift_file(path, -29.98765).ok());
  EXPECT_EQ(slurp(path), "-29.988\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".TEMP"));
  auto back = read_drift_file(path);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_DOUBLE_EQ(**back, -29.988);
  std::filesystem::remove_all(dir);
}

TEST(DriftFileTest, HourlySaveOnlyWhenTheValueMovedAtTheFilesResolution) {
  EXPECT_TRUE(drift_changed(std::nullopt, 0.0));  // nothing on file yet
  EXPECT_FALSE(drift_changed(-30.0, -30.0));
  EXPECT_FALSE(drift_changed(-30.0, -30.0004));
  EXPECT_TRUE(drift_changed(-30.0, -30.0006));
  EXPECT_TRUE(drift_changed(-30.0, -29.9));
}

}  // namespace
}  // namespace meridian::daemon
