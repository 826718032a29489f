// What ntpd does when it may not adjust the clock. Safety: the system-clock
// runs happen only under `setpriv --bounding-set=-sys_time
// --inh-caps=-sys_time`, where the kernel refuses every clock write; the
// rest use the readonly clock (which refuses them itself) — under setpriv too.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/support/ntp_responder.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;
using testing::NtpResponder;
using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;
const std::vector<std::string> kNoClockCaps = {"/usr/bin/setpriv", "--bounding-set=-sys_time",
                                               "--inh-caps=-sys_time", "--"};

class NtpdClockWrites : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kNoClockCaps[0].c_str(), X_OK) != 0) GTEST_SKIP() << "no setpriv";
    dir_ = testing::make_temp_dir();
  }
  // ntpd -n under setpriv (no CAP_SYS_TIME) with `config` and `extra` options.
  std::vector<std::string> ntpd(const std::string& config, std::vector<std::string> extra) {
    const std::string path = dir_ + "/ntp.conf";
    testing::write_file(path, config);
    std::vector<std::string> argv = kNoClockCaps;
    for (const auto& a : {kBin + "/ntpd", std::string("-n"), std::string("-c"), path,
                          std::string("--port"), std::to_string(testing::free_udp_port())}) {
      argv.push_back(a);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  std::string dir_;
};

// A silent upstream: even if the check were wrong, no sample ever asks for a write.
TEST_F(NtpdClockWrites, RefusesToStartOnASystemClockItCannotAdjust) {
  NtpResponder silent({.silent = true});
  const std::string conf = fmt::format("server 127.0.0.1 port {} iburst\n", silent.port());
  const Completed c = testing::run_command(ntpd(conf, {"--clock", "system"}), dir_, 10);
  EXPECT_EQ(c.status, 1) << c.err;
  // One clear line, and nothing after it (it did not start).
  EXPECT_NE(c.err.find("cannot adjust the system clock (clock_adjtime(ADJ_FREQUENCY): Operation "
                       "not permitted (needs root or CAP_SYS_TIME)); not starting"),
            std::string::npos)
      << c.err;
  EXPECT_EQ(c.err.find("ready:"), std::string::npos) << c.err;
}

TEST_F(NtpdClockWrites, DisableNtpAndTheReadonlyClockStartWithoutThePermission) {
  NtpResponder silent({.silent = true});
  const std::string server = fmt::format("server 127.0.0.1 port {} iburst\n", silent.port());
  for (const auto& [conf, clock] : {std::pair{server + "disable ntp\n", std::string("system")},
                                    std::pair{server, std::string("readonly")}}) {
    Process p(ntpd(conf, {"--clock", clock}), dir_);
    EXPECT_TRUE(p.wait_for_stderr("ready:", 10)) << clock << ": " << p.stderr_text();
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(5), 0) << p.stderr_text();
  }
}

// A clock that refuses the writes (here the readonly one) is not served as
// synchronised: LI=3/stratum 16 to clients, ntpstat exits 1, one log line.
TEST_F(NtpdClockWrites, AFailedWriteMakesItUnsynchronised) {
  NtpResponder server({.offset_s = 0.3, .stratum = 2});
  const uint16_t port = testing::free_udp_port();
  const std::string path = dir_ + "/ntp.conf";
  testing::write_file(path, fmt::format("server 127.0.0.1 port {} iburst\n", server.port()));
  std::vector<std::string> argv = kNoClockCaps;
  for (const auto& a :
       {kBin + "/ntpd", std::string("-n"), std::string("-c"), path, std::string("--port"),
        std::to_string(port), std::string("--clock"), std::string("readonly")}) {
    argv.push_back(a);
  }
  Process p(argv, dir_);
  ASSERT_TRUE(p.wait_for_stderr("ready:", 10)) << p.stderr_text();
  // The iburst's samples select the server and the discipline asks for a
  // step (refused): give it the whole burst.
  EXPECT_TRUE(p.wait_for_stderr("cannot adjust the clock", 15)) << p.stderr_text();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const Completed stat =
      testing::run_command({kBin + "/ntpstat", fmt::format("127.0.0.1:{}", port)}, dir_, 10);
  EXPECT_EQ(stat.status, 1) << stat.out << stat.err;
  EXPECT_NE(stat.out.find("unsynchronised"), std::string::npos) << stat.out;
  // What it serves: LI=3, stratum 16 (ntpdate -d shows the reply).
  const Completed probe = testing::run_command({kBin + "/ntpdate", "-d", "-p", "1", "-t", "0.5",
                                                "--port", std::to_string(port), "127.0.0.1"},
                                               dir_, 10);
  EXPECT_NE(probe.out.find("leap 3, version 4, mode 4, stratum 16"), std::string::npos)
      << probe.out << probe.err;
  const std::string log = p.stderr_text();
  size_t lines = 0;
  for (size_t at = log.find("cannot adjust the clock"); at != std::string::npos;
       at = log.find("cannot adjust the clock", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(5), 0) << log;
}

}  // namespace
}  // namespace meridian
