// Runs the real ntpdate binary against test responders on loopback and
// checks the classic output formats and exit codes byte for byte.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/capabilities.h"
#include "tests/support/ntp_responder.h"

namespace meridian {
namespace {

using testing::NtpResponder;

struct Result {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Result run_ntpdate(const std::string& args) {
  const std::string dir = ::testing::TempDir();
  const std::string out = dir + "/ntpdate.out." + std::to_string(getpid());
  const std::string err = dir + "/ntpdate.err." + std::to_string(getpid());
  const std::string cmd = fmt::format("{}/ntpdate {} >{} 2>{}", MERIDIAN_BIN_DIR, args, out, err);
  Result r;
  const int rc = std::system(cmd.c_str());
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

// The classic prefix: " 3 Feb 00:43:58 ntpdate[3043]: "
const std::string kPrefix =
    R"([ 123][0-9] (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-2][0-9]:[0-5][0-9]:[0-6][0-9] ntpdate\[[0-9]+\]: )";

TEST(NtpdateBinary, QueryPrintsClassicLines) {
  NtpResponder server({.offset_s = 0.2, .stratum = 3});
  auto r = run_ntpdate(fmt::format("-q -p 2 --interval 0.05 --port {} 127.0.0.1", server.port()));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::regex expected(
      R"(server 127\.0\.0\.1, stratum 3, offset 0\.(2|19)\d{4,5}, delay 0\.\d{5}
)" + kPrefix +
      R"(adjust time server 127\.0\.0\.1 offset 0\.(2|19)\d{4,5} sec
)");
  EXPECT_TRUE(std::regex_match(r.out, expected)) << r.out;
}

TEST(NtpdateBinary, NoAnswerMeansNoSuitableServerAndExitOne) {
  NtpResponder silent({.silent = true});
  auto r = run_ntpdate(fmt::format("-q -p 1 -t 0.2 --port {} 127.0.0.1", silent.port()));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "server 127.0.0.1, stratum 0, offset 0.000000, delay 0.00000\n");
  EXPECT_TRUE(std::regex_match(
      r.err, std::regex(kPrefix + "no server suitable for synchronization found\n")))
      << r.err;
}

TEST(NtpdateBinary, VirtualClockStep) {
  NtpResponder server({.offset_s = 0});
  auto r = run_ntpdate(
      fmt::format("--clock virtual --virtual-offset 3 -p 1 --port {} 127.0.0.1", server.port()));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_match(
      r.out, std::regex(kPrefix + R"(step time server 127\.0\.0\.1 offset -(3\.0|2\.99)\d+ sec
)"))) << r.out;
}

TEST(NtpdateBinary, WithoutCapSysTimeTheKernelRefusesAndWeSaySo) {
  // This test asks the *system* clock to slew; it must only ever run where
  // the kernel will refuse (ctest wraps it in setpriv --bounding-set=-sys_time).
  ASSERT_FALSE(testing::sys_time_in_bounding_set().value_or(true))
      << "refusing to run: CAP_SYS_TIME is in the bounding set; run under setpriv";
  NtpResponder server({.offset_s = 0.2});
  auto r = run_ntpdate(fmt::format("-p 1 --port {} 127.0.0.1", server.port()));
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(std::regex_match(
      r.out, std::regex(R"(server 127\.0\.0\.1, stratum 2, offset 0\.(2|19)\d+, delay 0\.\d{5}
)"))) << r.out;
  EXPECT_TRUE(std::regex_match(
      r.err,
      std::regex(
          kPrefix +
          R"(cannot slew the clock by 0\.\d{6} s: .*Operation not permitted \(needs root or CAP_SYS_TIME\)
)"))) << r.err;
}

TEST(NtpdateBinary, UsageErrors) {
  auto r = run_ntpdate("-Z 127.0.0.1");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("usage: ntpdate"), std::string::npos);
  auto h = run_ntpdate("--help");
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("usage: ntpdate"), std::string::npos);
  auto none = run_ntpdate("-q");
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no servers can be used, exiting"), std::string::npos);
}

}  // namespace
}  // namespace meridian
