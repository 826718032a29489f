// NTS (RFC 8915) end to end between two of our daemons on loopback: one
// serves NTS-KE and NTS-protected time (`nts enable`), the other is its
// client (`server 127.0.0.1 … nts`). The client must select the server only
// after a handshake verified against the right CA, and never with a wrong CA;
// the server's cookie keys survive its restart (same key file).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/ntpd_harness.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;
using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;
const std::string kCertScript =
    std::string(MERIDIAN_SOURCE_DIR) + "/tests/support/make_nts_test_certs.sh";

// A TCP port that was free a moment ago (the NTS-KE server binds it).
uint16_t free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class NtpdNts : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir();
    const Completed c = testing::run_command({"/bin/bash", kCertScript, dir_ + "/pki"}, dir_, 60);
    ASSERT_EQ(c.status, 0) << c.err;
    ntp_port_ = testing::free_udp_port();
    ke_port_ = free_tcp_port();
  }

  std::string server_config() const {
    return fmt::format(
        "server 127.127.1.0\nfudge 127.127.1.0 stratum 1\n"
        "nts enable\nnts cert {0}/pki/fullchain.pem\nnts key {0}/pki/server.key\n"
        "nts cookie {0}/cookie-keys\nnts port {1}\n",
        dir_, ke_port_);
  }
  std::unique_ptr<Process> start_server() {
    return testing::start_ntpd(kBin, dir_, "server", server_config(), ntp_port_);
  }
  std::unique_ptr<Process> start_client(const std::string& ca, uint16_t port) {
    return testing::start_ntpd(
        kBin, dir_, "client",
        // No `port`: the NTS-KE server's Port record names its NTP port
        // (it is not 123), and the client follows it.
        fmt::format("server 127.0.0.1 iburst minpoll 3 maxpoll 3 nts ntsport {} ca {}\n", ke_port_,
                    ca),
        port);
  }
  std::string ntpq(uint16_t port, const std::string& command) {
    return testing::run_command(
               {kBin + "/ntpq", "-n", "-c", command, fmt::format("127.0.0.1:{}", port)}, dir_, 20)
        .out;
  }
  static std::string rv_value(const std::string& rv, const std::string& name) {
    std::smatch m;
    // ntpq prints text values in quotes (nts_ke="ok").
    if (std::regex_search(rv, m, std::regex("(^|[\\s,])" + name + "=\"?([^,\\s\"]*)"))) return m[2];
    return "";
  }
  static bool wait_for(const std::function<bool()>& done, int tenths = 200) {
    for (int i = 0; i < tenths; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string dir_;
  uint16_t ntp_port_ = 0;
  uint16_t ke_port_ = 0;
};

TEST_F(NtpdNts, ClientSelectsTheNtsServerOnlyWithTheRightCa) {
  auto server = start_server();
  ASSERT_TRUE(server->running()) << server->stderr_text();
  ASSERT_TRUE(server->wait_for_stderr("NTS-KE listening on", 10)) << server->stderr_text();
  const uint16_t client_port = testing::free_udp_port();
  auto client = start_client(dir_ + "/pki/ca.pem", client_port);
  ASSERT_TRUE(client->running()) << client->stderr_text();
  // Synchronised to the NTS server: stratum 3 (its 2 + 1), system peer '*'.
  const bool synced = wait_for([&] {
    const auto p = testing::probe_ntpd(kBin, dir_, client_port, 1);
    return p && p->first == 3;
  });
  ASSERT_TRUE(synced) << client->stderr_text() << server->stderr_text();
  EXPECT_NE(client->stderr_text().find("NTS-KE with 127.0.0.1 done"), std::string::npos)
      << client->stderr_text();
  // The line has no `port`: the Port record of our NTS-KE server moved it.
  EXPECT_NE(client->stderr_text().find(fmt::format("NTP requests go to 127.0.0.1:{}", ntp_port_)),
            std::string::npos)
      << client->stderr_text();
  const std::string peers = ntpq(client_port, "pe");
  EXPECT_NE(peers.find("*127.0.0.1"), std::string::npos) << peers;
  const std::string rv = ntpq(client_port, "rv &1 nts_cookies,nts_ke,nts_authentic,nts_naks");
  EXPECT_EQ(rv_value(rv, "nts_ke"), "ok") << rv;
  EXPECT_GE(std::stoi("0" + rv_value(rv, "nts_cookies")), 1) << rv;
  EXPECT_GE(std::stoi("0" + rv_value(rv, "nts_authentic")), 1) << rv;
  EXPECT_EQ(rv_value(rv, "nts_naks"), "0") << rv;
  // The server counts what it served (mode 6 ss_nts_*, by name).
  const std::string ss = ntpq(ntp_port_, "rv 0 ss_nts_replies,ss_nts_ke_served,ss_nts_naks");
  EXPECT_GE(std::stoi("0" + rv_value(ss, "ss_nts_replies")), 1) << ss;
  EXPECT_GE(std::stoi("0" + rv_value(ss, "ss_nts_ke_served")), 1) << ss;
  EXPECT_EQ(rv_value(ss, "ss_nts_naks"), "0") << ss;
  // Authenticated requests only: the server answered NTS, never plain time.
  EXPECT_EQ(client->stderr_text().find("reply from 127.0.0.1 dropped"), std::string::npos)
      << client->stderr_text();

  // A second client that trusts another CA: the handshake fails, nothing is
  // sent in the clear, the server is never selected.
  const uint16_t wrong_port = testing::free_udp_port();
  auto wrong = testing::start_ntpd(
      kBin, dir_, "wrong",
      fmt::format("server 127.0.0.1 port {} iburst nts ntsport {} ca {}/pki/other_ca.pem\n",
                  ntp_port_, ke_port_, dir_),
      wrong_port);
  ASSERT_TRUE(wrong->wait_for_stderr("NTS-KE with 127.0.0.1 failed", 15)) << wrong->stderr_text();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::string wrong_peers = ntpq(wrong_port, "pe");
  EXPECT_EQ(wrong_peers.find("*127.0.0.1"), std::string::npos) << wrong_peers;
  const auto p = testing::probe_ntpd(kBin, dir_, wrong_port, 1);
  EXPECT_TRUE(!p || p->first == 16) << wrong->stderr_text();
  const std::string wrong_rv = ntpq(wrong_port, "rv &1 nts_ke,nts_requests,nts_ke_fail");
  EXPECT_EQ(rv_value(wrong_rv, "nts_requests"), "0") << wrong_rv;
  EXPECT_GE(std::stoi("0" + rv_value(wrong_rv, "nts_ke_fail")), 1) << wrong_rv;
}

TEST_F(NtpdNts, CookieKeysSurviveAServerRestart) {
  auto server = start_server();
  ASSERT_TRUE(server->wait_for_stderr("NTS-KE listening on", 10)) << server->stderr_text();
  const std::string keys_before = read_all(dir_ + "/cookie-keys");
  ASSERT_FALSE(keys_before.empty()) << server->stderr_text();
  const uint16_t client_port = testing::free_udp_port();
  auto client = start_client(dir_ + "/pki/ca.pem", client_port);
  ASSERT_TRUE(wait_for([&] {
    const auto p = testing::probe_ntpd(kBin, dir_, client_port, 1);
    return p && p->first == 3;
  })) << client->stderr_text();
  // Restart the server with the same key file: the client's cookies stay
  // good, so its next requests are answered without a NAK or a new handshake.
  server.reset();
  server = start_server();
  ASSERT_TRUE(server->wait_for_stderr("NTS-KE listening on", 10)) << server->stderr_text();
  EXPECT_EQ(read_all(dir_ + "/cookie-keys"), keys_before);
  const std::string before = ntpq(client_port, "rv &1 nts_authentic");
  const int authentic_before = std::stoi("0" + rv_value(before, "nts_authentic"));
  ASSERT_TRUE(wait_for(
      [&] {
        const std::string rv = ntpq(client_port, "rv &1 nts_authentic");
        return std::stoi("0" + rv_value(rv, "nts_authentic")) > authentic_before;
      },
      250))
      << client->stderr_text();
  const std::string rv = ntpq(client_port, "rv &1 nts_ke_ok,nts_naks");
  EXPECT_EQ(rv_value(rv, "nts_ke_ok"), "1") << rv;
  EXPECT_EQ(rv_value(rv, "nts_naks"), "0") << rv;
}

// Bootstrap with a wrong clock (docs/nts.md): a client whose clock reads
// 1970 sees every certificate as "not yet valid". Before its first sync it
// accepts a certificate whose only fault is the validity period, syncs
// (steps 56 years, -g), then redoes the handshake with the time checked.
TEST_F(NtpdNts, ClockIn1970BootstrapsThenChecksTheCertificateStrictly) {
  auto server = start_server();
  ASSERT_TRUE(server->wait_for_stderr("NTS-KE listening on", 10)) << server->stderr_text();
  const uint16_t client_port = testing::free_udp_port();
  const std::string conf = dir_ + "/boot.conf";
  testing::write_file(
      conf,
      fmt::format("server 127.0.0.1 port {} iburst minpoll 3 maxpoll 3 nts ntsport {} ca {}\n",
                  ntp_port_, ke_port_, dir_ + "/pki/ca.pem"));
  // About 1.7e9 s behind: the virtual clock reads early 1970.
  Process client({kBin + "/ntpd", "-n", "-g", "-c", conf, "--port", std::to_string(client_port),
                  "--clock", "virtual", "--clock-offset", "-1700000000"},
                 dir_);
  ASSERT_TRUE(client.wait_for_stderr("without checking its validity period", 15))
      << client.stderr_text();
  ASSERT_TRUE(client.wait_for_stderr("time stepped by", 20)) << client.stderr_text();
  ASSERT_TRUE(client.wait_for_stderr("checking 127.0.0.1's certificate again", 10))
      << client.stderr_text();
  // The strict handshake succeeds (the clock is right now) and the source
  // stays selected with fully checked keys.
  ASSERT_TRUE(wait_for([&] {
    const std::string rv = ntpq(client_port, "rv &1 nts_ke,nts_ke_ok");
    return rv_value(rv, "nts_ke") == "ok" && rv_value(rv, "nts_ke_ok") == "2";
  })) << client.stderr_text();
  const std::string log = client.stderr_text();
  EXPECT_EQ(log.find("NTS-KE with 127.0.0.1 failed"), std::string::npos) << log;
}

}  // namespace
}  // namespace meridian
