// Resilience of a client ntpd (virtual clocks on loopback): its server going
// away and coming back, and a rate-limiting server answering with KoD RATE.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <regex>
#include <thread>

#include "tests/support/ntpd_harness.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;
using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;

class NtpdResilience : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }

  // Starts an ntpd with a virtual clock on `port` and waits until it listens.
  std::unique_ptr<Process> start(const std::string& name, const std::string& config, uint16_t port,
                                 double offset_s = 0, double freq_ppm = 0) {
    return testing::start_ntpd(kBin, dir_, name, config, port, offset_s, freq_ppm);
  }

  // ntpdate -q against a daemon: (stratum, offset vs this host's real clock).
  // samples > 1: the least-delay answer of several (see probe_ntpd).
  std::optional<std::pair<int, double>> probe(uint16_t port, int samples = 1) {
    return testing::probe_ntpd(kBin, dir_, port, samples);
  }

  // Polls `port` until it serves `stratum` or `timeout_s` passes.
  std::optional<std::pair<int, double>> wait_for_stratum(uint16_t port, int stratum,
                                                         double timeout_s) {
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<std::pair<int, double>> seen;
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() <
           timeout_s) {
      seen = probe(port);
      if (seen && seen->first == stratum) return seen;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return seen;
  }

  std::string dir_;
};

constexpr const char* kServerConf = "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n";

TEST_F(NtpdResilience, HoldsOverWhileItsServerIsGoneAndKeepsServingAfterItReturns) {
  const uint16_t server_port = testing::free_udp_port();
  const uint16_t client_port = testing::free_udp_port();
  auto server = start("server", kServerConf, server_port);
  auto client = start("client", fmt::format("server 127.0.0.1 port {} iburst\n", server_port),
                      client_port, 0.2, 20);
  // Server serves stratum 3; the synchronised client stratum 4.
  auto synced = wait_for_stratum(client_port, 4, 10);
  ASSERT_TRUE(synced.has_value()) << client->stderr_text();
  ASSERT_EQ(synced->first, 4) << client->stderr_text();

  // Let the iburst samples settle the frequency a little before the loss.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  server->signal(SIGTERM);
  ASSERT_EQ(server->wait(5), 0) << server->stderr_text();

  // Holdover: the client keeps serving, its clock within 5 ms of real time
  // (the server's virtual clock had offset 0 and no frequency error).
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto p = probe(client_port, 4);
    ASSERT_TRUE(p.has_value()) << "holdover sample " << i << "\n" << client->stderr_text();
    EXPECT_LT(std::fabs(p->second), 0.005) << "holdover sample " << i << "\n"
                                           << client->stderr_text();
  }
  ASSERT_TRUE(client->running()) << client->stderr_text();

  // The server comes back on the same port; the client still serves stratum 4.
  server = start("server", kServerConf, server_port);
  ASSERT_TRUE(server->running()) << server->stderr_text();
  auto after = probe(server_port);
  ASSERT_TRUE(after.has_value()) << server->stderr_text();
  EXPECT_EQ(after->first, 3);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto p = wait_for_stratum(client_port, 4, 5);
  ASSERT_TRUE(p.has_value()) << client->stderr_text();
  EXPECT_EQ(p->first, 4) << client->stderr_text();
  EXPECT_LT(std::fabs(p->second), 0.005) << client->stderr_text();

  client->signal(SIGTERM);
  EXPECT_EQ(client->wait(5), 0) << client->stderr_text();
}

TEST_F(NtpdResilience, BacksOffOnKissOfDeathRate) {
  const uint16_t server_port = testing::free_udp_port();
  const uint16_t client_port = testing::free_udp_port();
  auto server = start("server",
                      std::string(kServerConf) +
                          "restrict default kod limited\n"
                          "restrict 127.0.0.1 kod limited\n"
                          "discard average 6 minimum 4\n",
                      server_port);
  auto client = start("client", fmt::format("server 127.0.0.1 port {} iburst\n", server_port),
                      client_port, 0.05, 0);
  // iburst's 2 s spacing breaks `minimum 4` (`minimum 2` would not do: an
  // iburst volley is compliant with the classic default by design), so the
  // server answers the second request with RATE.
  const std::string kNeedle = "kiss-o'-death RATE";
  const auto t0 = std::chrono::steady_clock::now();
  while (client->stderr_text().find(kNeedle) == std::string::npos &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(14)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const std::string log_at_kod = client->stderr_text();
  ASSERT_NE(log_at_kod.find(kNeedle), std::string::npos) << log_at_kod;

  // After RATE the client must poll less often. Counted on the server side:
  // its MRU list (ntpq mrulist) holds the number of packets from the
  // client's association (the one mode 3 entry: requests leave from a random
  // port of their own, not client_port); it must not grow over the next 8 s
  // (a client ignoring the kiss would keep sending every 2 s).
  auto packets_from_client = [&]() -> std::optional<int> {
    const Completed c =
        testing::run_command({kBin + "/ntpq", "--json", "--port", std::to_string(server_port), "-c",
                              "mrulist", "127.0.0.1"},
                             dir_);
    std::smatch m;
    const std::regex re(R"re("addr":"127\.0\.0\.1:\d+"[^}]*"count":(\d+),"mode":3)re");
    if (c.status != 0 || !std::regex_search(c.out, m, re)) return std::nullopt;
    return std::stoi(m[1]);
  };
  const auto at_kod = packets_from_client();
  ASSERT_TRUE(at_kod.has_value()) << server->stderr_text();
  EXPECT_GE(*at_kod, 2);  // at least the answered request and the kissed one
  std::this_thread::sleep_for(std::chrono::seconds(8));
  ASSERT_TRUE(client->running()) << client->stderr_text();
  const auto later = packets_from_client();
  ASSERT_TRUE(later.has_value()) << server->stderr_text();
  EXPECT_EQ(*later, *at_kod) << client->stderr_text();
  // It logged the kiss once, keeps running and still answers its own clients.
  const std::string log_after = client->stderr_text();
  size_t kisses = 0;
  for (size_t pos = log_after.find(kNeedle); pos != std::string::npos;
       pos = log_after.find(kNeedle, pos + 1)) {
    ++kisses;
  }
  EXPECT_EQ(kisses, 1u) << log_after;
  EXPECT_TRUE(probe(client_port).has_value()) << log_after;
  EXPECT_TRUE(server->running()) << server->stderr_text();

  client->signal(SIGTERM);
  EXPECT_EQ(client->wait(5), 0) << client->stderr_text();
}

TEST_F(NtpdResilience, OrphanModeServesTheIslandUntilAnUpstreamAnswers) {
  const uint16_t upstream_port = testing::free_udp_port();  // nobody there yet
  const uint16_t client_port = testing::free_udp_port();
  auto client = start("client",
                      fmt::format("server 127.0.0.1 port {} iburst minpoll 3 maxpoll 3\n"
                                  "tos orphan 9 orphanwait 0\n",
                                  upstream_port),
                      client_port);
  // No upstream: an orphan at stratum 9 rather than unsynchronised.
  auto seen = wait_for_stratum(client_port, 9, 5);
  ASSERT_TRUE(seen.has_value()) << client->stderr_text();
  EXPECT_EQ(seen->first, 9) << client->stderr_text();
  EXPECT_NE(client->stderr_text().find("orphan mode: serving at stratum 9"), std::string::npos);
  // The upstream appears: back to its stratum + 1.
  auto server = start("server", kServerConf, upstream_port);
  seen = wait_for_stratum(client_port, 4, 30);
  ASSERT_TRUE(seen.has_value()) << client->stderr_text();
  EXPECT_EQ(seen->first, 4) << client->stderr_text();
}

}  // namespace
}  // namespace meridian
