// Spoofing resistance of ntpd's client side (RFC 9109): requests leave from
// a per-association socket on a random port, and only replies arriving on
// that socket from the server's address and port count. A test responder
// forges replies with the right origin timestamp (it copies it from the
// request it saw: the best guess an attacker could make) and a clock 0.5 s
// off; the client (ntpd --clock virtual, started right) must never follow them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/ntp_responder.h"
#include "tests/support/ntpd_harness.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::NtpResponder;
using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;

net::IpAddress loopback6() {
  std::array<uint8_t, 16> b{};
  b[15] = 1;
  return net::IpAddress::v6(b);
}

// Every "time stepped by X s" the daemon logged, X in seconds.
std::vector<double> stepped_by(const std::string& log) {
  static const std::string kTag = "time stepped by ";
  std::vector<double> out;
  for (size_t at = log.find(kTag); at != std::string::npos; at = log.find(kTag, at + 1))
    out.push_back(std::strtod(log.c_str() + at + kTag.size(), nullptr));
  return out;
}

class NtpdSpoofing : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }

  // Starts the client with `server ADDR port P iburst` on `listen_port`, waits
  // until it serves stratum 3 (the responder's 2 + 1) or `timeout_s` passes;
  // returns the last probe (stratum, offset vs this host's clock).
  std::optional<std::pair<int, double>> run_client(const std::string& server, uint16_t port,
                                                   uint16_t listen_port, double timeout_s) {
    client_ = testing::start_ntpd(
        kBin, dir_, "client", fmt::format("server {} port {} iburst\n", server, port), listen_port);
    std::optional<std::pair<int, double>> seen;
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::duration<double>(timeout_s)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      seen = testing::probe_ntpd(kBin, dir_, listen_port, 4);
      if (seen && seen->first == 3) break;
    }
    return seen;
  }

  std::string dir_;
  std::unique_ptr<Process> client_;
};

TEST_F(NtpdSpoofing, ForgedRepliesWithTheRightOriginAreNeverAccepted) {
  NtpResponder server({.offset_s = 0, .stratum = 2});
  const uint16_t listen_port = testing::free_udp_port();
  // Forged copies of every reply, sent before the genuine one: from the
  // server's own address and port to the client's listening port (what a
  // spoofer who cannot see the request's source port would aim at), and
  // from another port to the request's source port. Then the previous
  // genuine reply again (a replay).
  server.set_behaviour({.offset_s = 0,
                        .stratum = 2,
                        .forge_to = net::Endpoint{net::IpAddress::v4_loopback(), listen_port},
                        .forge_from_other_port = true,
                        .forge_offset_s = 0.5,
                        .replay_previous = true});
  const auto seen = run_client("127.0.0.1", server.port(), listen_port, 10);
  ASSERT_TRUE(seen.has_value()) << client_->stderr_text();
  EXPECT_EQ(seen->first, 3) << client_->stderr_text();
  // Let the iburst (and its forgeries) go on, then look again.
  for (int i = 0; i < 40 && server.request_sources().size() < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  const auto after = testing::probe_ntpd(kBin, dir_, listen_port, 4);
  ASSERT_TRUE(after.has_value()) << client_->stderr_text();
  EXPECT_LT(std::fabs(after->second), 0.02) << client_->stderr_text();
  // A forged sample would have been 0.5 s off: a step by about that much, or
  // a jump in the offset. The start-up step of a millisecond or so that a
  // slow (sanitizer, loaded) run may take to remove its own delay asymmetry
  // is no forgery.
  for (const double by : stepped_by(client_->stderr_text()))
    EXPECT_LT(std::fabs(by), 0.1) << client_->stderr_text();
  // Requests came from a port of their own, not the listening port, and
  // from the same one each time (one connected socket per association).
  const auto sources = server.request_sources();
  ASSERT_GE(sources.size(), 4u);
  for (const auto& s : sources) {
    EXPECT_NE(s.port, listen_port);
    EXPECT_EQ(s.port, sources.front().port);
  }
}

TEST_F(NtpdSpoofing, EachAssociationHasItsOwnPortAndIPv6Works) {
  std::unique_ptr<NtpResponder> v6;
  try {
    v6 = std::make_unique<NtpResponder>(testing::ResponderBehaviour{.stratum = 2}, loopback6());
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  NtpResponder v4({.stratum = 2});
  const uint16_t listen_port = testing::free_udp_port();
  client_ = testing::start_ntpd(
      kBin, dir_, "client",
      fmt::format("server ::1 port {} iburst\nserver 127.0.0.1 port {} iburst\n", v6->port(),
                  v4.port()),
      listen_port);
  std::optional<std::pair<int, double>> seen;
  for (int i = 0; i < 40 && !(seen && seen->first == 3); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    seen = testing::probe_ntpd(kBin, dir_, listen_port, 2);
  }
  ASSERT_TRUE(seen.has_value()) << client_->stderr_text();
  EXPECT_EQ(seen->first, 3) << client_->stderr_text();
  const auto from6 = v6->request_sources();
  const auto from4 = v4.request_sources();
  ASSERT_FALSE(from6.empty());
  ASSERT_FALSE(from4.empty());
  EXPECT_EQ(from6.front().address, loopback6());
  EXPECT_NE(from6.front().port, listen_port);
  EXPECT_NE(from4.front().port, listen_port);
  EXPECT_NE(from4.front().port, from6.front().port);
}

}  // namespace
}  // namespace meridian
