// The real ntpd binary serving on loopback, queried by the real ntpdate.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;
using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;

class NtpdServer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir();
    port_ = testing::free_udp_port();
  }
  void TearDown() override { daemon_.reset(); }

  std::string write_config(const std::string& body) {
    const std::string path = dir_ + "/ntp.conf";
    testing::write_file(path, body);
    return path;
  }

  // Starts ntpd in the foreground on the test port with a virtual clock.
  void start(const std::string& config_body, double virtual_offset_s = 0.0,
             std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kBin + "/ntpd",
                                     "-n",
                                     "-c",
                                     write_config(config_body),
                                     "--port",
                                     std::to_string(port_),
                                     "--clock",
                                     "virtual",
                                     "--virtual-offset",
                                     fmt::format("{}", virtual_offset_s)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<Process>(argv, dir_);
    // Ready when it logs "ready:", after the pidfile, signal handlers and seccomp.
    ASSERT_TRUE(daemon_->wait_for_stderr("ready: ", 10)) << daemon_->stderr_text();
  }

  Completed query(const std::string& server = "127.0.0.1", std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kBin + "/ntpdate",    "-q", "-p", "1", "-t", "0.5", "--port",
                                     std::to_string(port_)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(server);
    return testing::run_command(argv, dir_);
  }

  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> daemon_;
};

constexpr const char* kLocalClock = "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n";

double offset_of(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(offset (-?\d+\.\d+), delay)"))) return NAN;
  return std::stod(m[1]);
}

TEST_F(NtpdServer, LocalClockDriverServesStratumElevenFromItsClock) {
  start(kLocalClock, 0.25);
  for (const char* server : {"127.0.0.1", "::1"}) {
    const Completed c = query(server);
    EXPECT_EQ(c.status, 0) << c.err;
    EXPECT_NE(c.out.find(fmt::format("server {}, stratum 11, offset", server)), std::string::npos)
        << c.out;
    EXPECT_NEAR(offset_of(c.out), 0.25, 0.01) << c.out;
  }
}

TEST_F(NtpdServer, WithoutAnyTimeSourceItTellsClientsItIsUnsynchronised) {
  start("restrict default\n");
  const Completed c = query();
  EXPECT_EQ(c.status, 1);
  EXPECT_NE(c.err.find("no server suitable for synchronization found"), std::string::npos) << c.err;
}

TEST_F(NtpdServer, RestrictIgnoreAndNoserveAreHonoured) {
  start(std::string(kLocalClock) + "restrict 127.0.0.1 ignore\nrestrict ::1 noserve\n");
  EXPECT_EQ(query("127.0.0.1").status, 1);
  EXPECT_EQ(query("::1").status, 1);
}

TEST_F(NtpdServer, KodLimitedSendsRateToABurst) {
  start(std::string(kLocalClock) + "restrict default kod limited\ndiscard average 3 minimum 2\n");
  const Completed c = query("127.0.0.1", {"-p", "8", "--interval", "0.1"});
  EXPECT_NE(c.err.find("RATE"), std::string::npos) << c.out << c.err;
}

TEST_F(NtpdServer, SymmetricKeysWithNotrust) {
  const std::string keys = dir_ + "/ntp.keys";
  testing::write_file(keys,
                      "1 MD5 secret1\n2 SHA1 0123456789abcdef0123456789abcdef01234567\n"
                      "3 AES128CMAC 000102030405060708090a0b0c0d0e0f\n");
  const std::string wrong = dir_ + "/wrong.keys";
  testing::write_file(wrong, "1 MD5 secret2\n");
  start(std::string(kLocalClock) + "restrict default notrust\nkeys " + keys +
        "\ntrustedkey 1 2 3\n");
  for (const char* id : {"1", "2", "3"}) {
    const Completed c = query("127.0.0.1", {"-a", id, "-k", keys});
    EXPECT_EQ(c.status, 0) << "key " << id << ": " << c.err;
    EXPECT_NE(c.out.find("stratum 11"), std::string::npos) << c.out;
  }
  EXPECT_EQ(query().status, 1);  // unauthenticated: notrust
  const Completed bad = query("127.0.0.1", {"-a", "1", "-k", wrong});
  EXPECT_EQ(bad.status, 1) << bad.out;
}

TEST_F(NtpdServer, SigtermExitsCleanlyAndRemovesThePidfile) {
  const std::string pidfile = dir_ + "/ntpd.pid";
  start(kLocalClock, 0, {"-p", pidfile});
  ASSERT_EQ(access(pidfile.c_str(), F_OK), 0);
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait(5), 0);
  EXPECT_NE(access(pidfile.c_str(), F_OK), 0);
}

TEST_F(NtpdServer, FatalConfigErrorRefusesToStartWithFileAndLine) {
  const std::string conf = write_config("driftfile /tmp/x\nrestrict 10.0.0.0/33 nomodify\n");
  const Completed c = testing::run_command(
      {kBin + "/ntpd", "-n", "-c", conf, "--port", std::to_string(port_), "--clock", "virtual"},
      dir_);
  EXPECT_EQ(c.status, 1);
  EXPECT_NE(c.err.find(conf + ":2:"), std::string::npos) << c.err;
}

TEST_F(NtpdServer, CheckValidatesWithoutStarting) {
  const std::string good = write_config(std::string(kLocalClock) + "restrict default nomodify\n");
  Completed ok = testing::run_command({kBin + "/ntpd", "--check", "-c", good}, dir_);
  EXPECT_EQ(ok.status, 0) << ok.err;
  const std::string bad = write_config("restrict default nomodfy\n");
  Completed ko = testing::run_command({kBin + "/ntpd", "--check", "-c", bad}, dir_);
  EXPECT_EQ(ko.status, 1);
  EXPECT_NE(ko.err.find(bad + ":1:"), std::string::npos) << ko.err;
  Completed missing =
      testing::run_command({kBin + "/ntpd", "--check", "-c", dir_ + "/nope.conf"}, dir_);
  EXPECT_EQ(missing.status, 1);
}

TEST_F(NtpdServer, PrintsItsBuiltInDefaultConfig) {
  Completed c = testing::run_command({kBin + "/ntpd", "--print-default-config"}, dir_);
  EXPECT_EQ(c.status, 0);
  EXPECT_NE(c.out.find("restrict default kod"), std::string::npos);
  const std::string path = dir_ + "/default.conf";
  testing::write_file(path, c.out);
  Completed check = testing::run_command({kBin + "/ntpd", "--check", "-c", path}, dir_);
  EXPECT_EQ(check.status, 0) << check.err;
}

}  // namespace
}  // namespace meridian
