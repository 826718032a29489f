// `threads N`: the multi-threaded fast path (src/daemon/fast_path.h) with the
// real binaries on loopback: worker threads answer client requests from the
// published server view, per-client rate limiting still holds, mode 6 stays
// on the main thread, seccomp stays on, SIGTERM stops everything.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/ntpd_harness.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;
using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;

class NtpdFastPath : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }

  Completed ntpdate(uint16_t port, const std::string& server, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kBin + "/ntpdate",   "-q", "-p", "1", "-t", "0.5", "--port",
                                     std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(server);
    return testing::run_command(argv, dir_);
  }

  Completed ntpq(uint16_t port, const std::string& command) {
    return testing::run_command(
        {kBin + "/ntpq", "--port", std::to_string(port), "-c", command, "127.0.0.1"}, dir_);
  }

  std::string dir_;
};

// Effective capabilities of every thread of `pid` (hex strings from /proc).
std::vector<std::string> thread_capabilities(pid_t pid) {
  std::vector<std::string> out;
  const std::string tasks = fmt::format("/proc/{}/task", pid);
  for (const auto& entry : std::filesystem::directory_iterator(tasks)) {
    std::ifstream status(entry.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("CapEff:", 0) == 0) out.push_back(line.substr(line.find_last_of(" \t") + 1));
    }
  }
  return out;
}

uint64_t counter(const std::string& sysstats, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(sysstats, m, std::regex(name + R"(:\s+(\d+))"))) return 0;
  return std::stoull(m[1]);
}

TEST_F(NtpdFastPath, WorkersServeTheSynchronisedViewAndLimitPerClient) {
  const uint16_t upstream_port = testing::free_udp_port();
  auto upstream =
      testing::start_ntpd(kBin, dir_, "upstream",
                          "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n", upstream_port, 0.0);
  ASSERT_TRUE(upstream);
  const uint16_t port = testing::free_udp_port();
  // ::1 is rate limited (KoD), 127.0.0.1 is not: limits apply per client.
  auto daemon = testing::start_ntpd(
      kBin, dir_, "fast",
      fmt::format("server 127.0.0.1 port {} iburst\nthreads 2\nrestrict default\n"
                  "restrict ::1 kod limited\ndiscard average 3 minimum 2\n",
                  upstream_port),
      port, 0.02);
  ASSERT_TRUE(daemon);
  EXPECT_NE(daemon->stderr_text().find("fast path: 2 worker thread(s)"), std::string::npos)
      << daemon->stderr_text();
  EXPECT_NE(daemon->stderr_text().find("seccomp filter active"), std::string::npos)
      << daemon->stderr_text();

  // The workers (threads other than the main one) hold no capability. Each
  // drops its own as it starts: on a loaded machine the last may still be
  // starting when "fast path" is logged, so look again for up to 3 s.
  auto caps = thread_capabilities(daemon->pid());
  for (int i = 0; i < 30 && std::count(caps.begin(), caps.end(), "0000000000000000") < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    caps = thread_capabilities(daemon->pid());
  }
  ASSERT_EQ(caps.size(), 3u);
  EXPECT_EQ(std::count(caps.begin(), caps.end(), "0000000000000000"), 2)
      << fmt::format("{}", fmt::join(caps, " "));

  // Not synchronised yet: the workers' view says so (stratum 16, LI 3).
  const Completed early = ntpdate(port, "127.0.0.1");
  EXPECT_EQ(early.status, 1) << early.out << early.err;

  // Once the main thread's client synchronises to the stratum-11 upstream,
  // the published snapshot makes the workers serve stratum 12.
  int stratum = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto p = testing::probe_ntpd(kBin, dir_, port); p && p->first == 12) {
      stratum = p->first;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_EQ(stratum, 12) << daemon->stderr_text();

  // A burst from ::1 gets a RATE kiss-o'-death; 127.0.0.1 is still answered.
  const Completed burst = ntpdate(port, "::1", {"-p", "8", "--interval", "0.1"});
  EXPECT_NE(burst.err.find("RATE"), std::string::npos) << burst.out << burst.err;
  const Completed v4 = ntpdate(port, "127.0.0.1");
  EXPECT_EQ(v4.status, 0) << v4.err;
  EXPECT_NE(v4.out.find("stratum 12"), std::string::npos) << v4.out;

  // Mode 6 is answered by the main thread, with the workers' counters summed in.
  const Completed rv = ntpq(port, "rv 0 stratum");
  EXPECT_EQ(rv.status, 0) << rv.err;
  EXPECT_NE(rv.out.find("stratum=12"), std::string::npos) << rv.out;
  const Completed ss = ntpq(port, "sysstats");
  ASSERT_EQ(ss.status, 0) << ss.err;
  EXPECT_GE(counter(ss.out, "processed for time"), 3u) << ss.out;
  EXPECT_GE(counter(ss.out, "KoD responses"), 1u) << ss.out;
  EXPECT_GE(counter(ss.out, "rate limited"), 1u) << ss.out;

  daemon->signal(SIGTERM);
  const auto status = daemon->wait(5);
  ASSERT_TRUE(status.has_value()) << "ntpd did not exit on SIGTERM";
  EXPECT_EQ(*status, 0) << daemon->stderr_text();
  EXPECT_EQ(daemon->stderr_text().find("forbidden system call"), std::string::npos)
      << daemon->stderr_text();
}

TEST_F(NtpdFastPath, CommandLineThreadsServesTheVirtualClockOnBothFamilies) {
  const uint16_t port3 = testing::free_udp_port();
  testing::write_file(dir_ + "/t3.conf", "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n");
  Process t3({kBin + "/ntpd", "-n", "-c", dir_ + "/t3.conf", "--port", std::to_string(port3),
              "--clock", "virtual", "--virtual-offset", "0.25", "--threads", "3"},
             dir_);
  ASSERT_TRUE(t3.wait_for_stderr("ready: ", 10)) << t3.stderr_text();
  EXPECT_NE(t3.stderr_text().find("fast path: 3 worker thread(s)"), std::string::npos)
      << t3.stderr_text();
  for (const char* server : {"127.0.0.1", "::1"}) {
    const Completed c = ntpdate(port3, server, {"-p", "4", "--interval", "0.1"});
    EXPECT_EQ(c.status, 0) << c.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(c.out, m, std::regex(R"(stratum 11, offset (-?\d+\.\d+))")))
        << c.out;
    // The workers' timestamps are on the daemon's (virtual) clock.
    EXPECT_NEAR(std::stod(m[1]), 0.25, 0.01) << c.out;
  }
  t3.signal(SIGTERM);
  const auto status = t3.wait(5);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
}

}  // namespace
}  // namespace meridian
