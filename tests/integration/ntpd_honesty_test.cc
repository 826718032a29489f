// No silent no-ops, no silent downgrade (issue #12), seen from the real ntpd:
// `server HOST nts` fails `ntpd --check` and start-up with FILE:LINE; a
// directive without effect is named at --check, at start (stderr and the
// logfile) and on reload; a reload says which tinker settings it did not apply.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/support/ntpd_harness.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;

const std::string kBin = MERIDIAN_BIN_DIR;

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class NtpdHonesty : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir();
    port_ = testing::free_udp_port();
  }
  std::string write_config(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    testing::write_file(path, body);
    return path;
  }
  std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
  uint16_t port_ = 0;
};

// NTS that cannot be honoured stops ntpd --check and the start (no silent
// downgrade): `nts` with `key N`, and an NTS server without its certificate.
TEST_F(NtpdHonesty, NtsThatCannotWorkFailsCheckAndStartWithFileAndLine) {
  const std::string conf = write_config(
      "nts.conf",
      "server 127.127.1.0\nfudge 127.127.1.0 stratum 5\nserver nts.example nts key 5 iburst\n");
  const Completed check = testing::run_command({kBin + "/ntpd", "--check", "-c", conf}, dir_);
  EXPECT_EQ(check.status, 1) << check.err;
  EXPECT_NE(check.err.find(conf + ":3: fatal: server nts.example: 'nts' and 'key' exclude"),
            std::string::npos)
      << check.err;
  const Completed start = testing::run_command(
      {kBin + "/ntpd", "-n", "-c", conf, "--port", std::to_string(port_), "--clock", "virtual"},
      dir_, 10);
  EXPECT_EQ(start.status, 1) << start.err;
  EXPECT_NE(start.err.find("not starting"), std::string::npos) << start.err;
  EXPECT_EQ(start.err.find("ready:"), std::string::npos) << start.err;
}

TEST_F(NtpdHonesty, NtsServerWithoutCertificateFailsCheckAndStart) {
  const std::string conf = write_config(
      "ntsd.conf", "server 127.127.1.0\nnts enable\nnts key " + dir_ + "/missing.key\n");
  const Completed check = testing::run_command({kBin + "/ntpd", "--check", "-c", conf}, dir_);
  EXPECT_EQ(check.status, 1) << check.err;
  EXPECT_NE(check.err.find(conf + ":3: nts enable needs `nts cert FILE` and `nts key FILE`"),
            std::string::npos)
      << check.err;
  const Completed start = testing::run_command(
      {kBin + "/ntpd", "-n", "-c", conf, "--port", std::to_string(port_), "--clock", "virtual"},
      dir_, 10);
  EXPECT_EQ(start.status, 1) << start.err;
  EXPECT_NE(start.err.find("NTS configuration errors, not starting"), std::string::npos)
      << start.err;
}

TEST_F(NtpdHonesty, NoEffectDirectivesAreNamedAtCheckAndAtStartInTheLog) {
  const std::string log = dir_ + "/ntpd.log";
  const std::string conf = write_config(
      "noop.conf", fmt::format("server 127.127.1.0\nfudge 127.127.1.0 stratum 5\n"
                               "restrict default nomodify\nenable monitor\ntinker huffpuff 7200\n"
                               "logfile {}\n",
                               log));
  const Completed check = testing::run_command({kBin + "/ntpd", "--check", "-c", conf}, dir_);
  EXPECT_EQ(check.status, 0) << check.err;  // warnings never fail the check
  const std::string monitor = conf + ":4: warning: 'enable monitor' has no effect in Meridian: ";
  const std::string huffpuff = conf + ":5: warning: 'tinker huffpuff' has no effect in Meridian: ";
  EXPECT_NE(check.err.find(monitor), std::string::npos) << check.err;
  EXPECT_NE(check.err.find(huffpuff), std::string::npos) << check.err;

  testing::Process ntpd(
      {kBin + "/ntpd", "-n", "-c", conf, "--port", std::to_string(port_), "--clock", "virtual"},
      dir_);
  // Said on stderr before anything else, and kept in the logfile.
  ASSERT_TRUE(ntpd.wait_for_stderr(monitor, 10)) << ntpd.stderr_text();
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    const std::string text = read(log);
    logged = text.find(monitor) != std::string::npos && text.find("ready: ") != std::string::npos;
    if (!logged) usleep(100'000);
  }
  const std::string text = read(log);
  EXPECT_NE(text.find(monitor), std::string::npos) << text;
  EXPECT_NE(text.find(huffpuff), std::string::npos) << text;
  EXPECT_NE(text.find("seccomp filter active"), std::string::npos) << text;
  ntpd.signal(SIGTERM);
  EXPECT_EQ(ntpd.wait(5), 0);
}

TEST_F(NtpdHonesty, ReloadNamesTheTinkerSettingsItDidNotApply) {
  const uint16_t upstream_port = testing::free_udp_port();
  auto upstream = testing::start_ntpd(
      kBin, dir_, "upstream", "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n", upstream_port);
  const std::string line = fmt::format("server 127.0.0.1 port {} iburst\n", upstream_port);
  auto client = testing::start_ntpd(kBin, dir_, "client", line + "tinker step 0.2\n", port_);
  testing::write_file(dir_ + "/client.conf", line + "tinker step 0.5 stepback 0\n");
  client->signal(SIGHUP);
  ASSERT_TRUE(client->wait_for_stderr("reloaded ", 10)) << client->stderr_text();
  const std::string err = client->stderr_text();
  EXPECT_NE(err.find("reload: tinker step 0.5 s (running: 0.2 s), stepback 0 s (running: "
                     "default) NOT applied"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("take effect at the next start"), std::string::npos) << err;
  // Back to the running settings: this reload has nothing to report about tinker.
  testing::write_file(dir_ + "/client.conf", line + "tinker step 0.2\n");
  client->signal(SIGHUP);
  std::string after;
  for (int i = 0; i < 100 && count(after, "reloaded ") < 2; ++i) {
    usleep(100'000);
    after = client->stderr_text();
  }
  ASSERT_EQ(count(after, "reloaded "), 2u) << after;
  EXPECT_EQ(count(after, "NOT applied"), 1u) << after;
}

}  // namespace
}  // namespace meridian
