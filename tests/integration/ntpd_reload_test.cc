// SIGHUP: ntpd re-reads its configuration, validates it, and either applies
// it (keeping the associations of unchanged server lines) or keeps running
// the old one and says why with FILE:LINE.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <regex>
#include <thread>

#include "tests/support/ntpd_harness.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;
using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;

// One row of `ntpq -pn`: remote, reach (octal text), tally.
struct PeerRow {
  char tally = ' ';
  std::string remote;
  std::string reach;
};

class NtpdReload : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }

  std::vector<PeerRow> peers(uint16_t port) {
    const Completed c =
        testing::run_command({kBin + "/ntpq", "-pn", fmt::format("127.0.0.1:{}", port)}, dir_, 20);
    std::vector<PeerRow> rows;
    std::istringstream in(c.out);
    std::string line;
    const std::regex row(R"(^([ x.\-+#*o])(\S+)\s+\S+\s+\d+\s+\S\s+\S+\s+\S+\s+(\d+)\s.*)");
    while (std::getline(in, line)) {
      std::smatch m;
      if (std::regex_match(line, m, row)) rows.push_back({m[1].str()[0], m[2], m[3]});
    }
    return rows;
  }

  // `ntpq -c associations`: the association ids in order.
  std::vector<int> association_ids(uint16_t port) {
    const Completed c = testing::run_command(
        {kBin + "/ntpq", "-c", "associations", fmt::format("127.0.0.1:{}", port)}, dir_, 20);
    std::vector<int> ids;
    std::istringstream in(c.out);
    std::string line;
    const std::regex row(R"(^\s*\d+\s+(\d+)\s+[0-9a-f]{4}\s.*)");
    while (std::getline(in, line)) {
      std::smatch m;
      if (std::regex_match(line, m, row)) ids.push_back(std::stoi(m[1]));
    }
    return ids;
  }

  // Waits until the daemon's log contains `needle` (after `from`).
  bool wait_log(const Process& p, const std::string& needle, size_t from = 0) {
    for (int i = 0; i < 100; ++i) {
      if (p.stderr_text().find(needle, from) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string dir_;
};

TEST_F(NtpdReload, GoodConfigKeepsUnchangedServersAndAddsNewOnes) {
  const uint16_t a = testing::free_udp_port();
  const uint16_t b = testing::free_udp_port();
  auto server_a =
      testing::start_ntpd(kBin, dir_, "a", "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n", a);
  auto server_b =
      testing::start_ntpd(kBin, dir_, "b", "server 127.127.1.0\nfudge 127.127.1.0 stratum 3\n", b);
  const uint16_t port = testing::free_udp_port();
  const std::string line_a =
      fmt::format("server 127.0.0.1 port {} iburst minpoll 4 maxpoll 4\n", a);
  auto client = testing::start_ntpd(kBin, dir_, "client", line_a, port);
  const std::string conf = dir_ + "/client.conf";

  // Synchronised to A first, with some reach history.
  std::vector<PeerRow> rows;
  for (int i = 0; i < 40; ++i) {
    rows = peers(port);
    if (rows.size() == 1 && rows[0].tally == '*' && rows[0].reach != "1") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(rows.size(), 1u) << client->stderr_text();
  ASSERT_EQ(rows[0].tally, '*') << client->stderr_text();
  const int reach_before = std::stoi(rows[0].reach, nullptr, 8);
  const auto ids_before = association_ids(port);
  ASSERT_EQ(ids_before.size(), 1u);

  // Good config: A's line unchanged (moved below a comment), B added.
  testing::write_file(
      conf, "# reloaded\n" + line_a + fmt::format("server 127.0.0.1 port {} iburst\n", b));
  client->signal(SIGHUP);
  ASSERT_TRUE(wait_log(*client, "server lines 1 kept, 1 added, 0 removed"))
      << client->stderr_text();
  rows = peers(port);
  ASSERT_EQ(rows.size(), 2u) << client->stderr_text();
  // A kept its state: still the system peer, its reach register not reset.
  EXPECT_EQ(rows[0].remote, "127.0.0.1");
  EXPECT_EQ(rows[0].tally, '*');
  EXPECT_GE(std::stoi(rows[0].reach, nullptr, 8), reach_before);
  const auto ids_after = association_ids(port);
  ASSERT_EQ(ids_after.size(), 2u);
  EXPECT_EQ(ids_after[0], ids_before[0]);  // same association, same id
  EXPECT_GT(ids_after[1], ids_after[0]);

  // A broken config: refused with FILE:LINE, the running one stays.
  const size_t mark = client->stderr_text().size();
  testing::write_file(conf, line_a + "restrict 10.0.0.0 mask 255.0.0.300 nomodify\n");
  client->signal(SIGHUP);
  ASSERT_TRUE(wait_log(*client, "refused", mark)) << client->stderr_text();
  const std::string after = client->stderr_text().substr(mark);
  EXPECT_TRUE(std::regex_search(after, std::regex(conf + R"(:2: )"))) << after;
  EXPECT_TRUE(client->running());
  EXPECT_EQ(peers(port).size(), 2u);
  EXPECT_EQ(association_ids(port), ids_after);

  // Removing a line demobilises its association; the other keeps serving.
  const size_t mark2 = client->stderr_text().size();
  testing::write_file(conf, fmt::format("server 127.0.0.1 port {} iburst\n", b));
  client->signal(SIGHUP);
  ASSERT_TRUE(wait_log(*client, "server lines 1 kept, 0 added, 1 removed", mark2))
      << client->stderr_text();
  const auto ids_last = association_ids(port);
  ASSERT_EQ(ids_last.size(), 1u);
  EXPECT_EQ(ids_last[0], ids_after[1]);
  client->signal(SIGTERM);
  EXPECT_EQ(client->wait(5), 0) << client->stderr_text();
}

TEST_F(NtpdReload, ServerWithoutUpstreamsGainsOneOnReload) {
  const uint16_t a = testing::free_udp_port();
  auto server_a =
      testing::start_ntpd(kBin, dir_, "a", "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n", a);
  const uint16_t port = testing::free_udp_port();
  auto lone = testing::start_ntpd(kBin, dir_, "lone", "restrict default nomodify\n", port);
  EXPECT_TRUE(peers(port).empty());
  testing::write_file(
      dir_ + "/lone.conf",
      fmt::format("restrict default nomodify\nserver 127.0.0.1 port {} iburst\n", a));
  lone->signal(SIGHUP);
  ASSERT_TRUE(wait_log(*lone, "server lines 0 kept, 1 added, 0 removed")) << lone->stderr_text();
  std::optional<std::pair<int, double>> seen;
  for (int i = 0; i < 40 && !(seen && seen->first == 4); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    seen = testing::probe_ntpd(kBin, dir_, port);
  }
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->first, 4) << lone->stderr_text();
}

}  // namespace
}  // namespace meridian
