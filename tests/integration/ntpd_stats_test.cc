// Statistics files written by a real client ntpd synchronising from a real
// server ntpd on loopback, with virtual clocks set a few seconds before a UTC
// midnight; every line is parsed back and checked.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/stats/calendar.h"
#include "core/stats/record_parser.h"
#include "platform/clock.h"
#include "tests/support/ntpd_harness.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

std::string day_suffix(int64_t mjd) {
  const stats::CivilDate d = stats::civil_from_mjd(mjd);
  return fmt::format(".{:04}{:02}{:02}", d.year, d.month, d.day);
}

ino_t inode(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

class NtpdStats : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

// Waits (≤ timeout_s) until each file has at least one line.
bool wait_for_lines(const std::vector<std::string>& files, double timeout_s) {
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < timeout_s) {
    bool all = true;
    for (const auto& f : files) all = all && !read_lines(f).empty();
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// A client runs a few seconds before the server's (virtual) midnight, then
// a second client run after it appends to the next day's files. (A filter
// hands out a new sample only when it has the smallest delay of its stages,
// so how many lines one run writes after iburst is chance; each run's first
// sample and first clock update are certain. Rotation inside one run is
// tested with a virtual clock in tests/daemon/stats_recorder_test.cc.)
TEST_F(NtpdStats, LoopAndPeerStatisticsOnBothSidesOfAVirtualMidnight) {
  const std::string stats_dir = dir_ + "/stats";
  std::filesystem::create_directory(stats_dir);
  // The server's virtual clock starts 10 s before the host's next UTC midnight
  // (time for run 1 even on a slow machine).
  const int64_t now_s = platform::read_realtime().seconds_since_1900();
  const int64_t to_midnight = stats::kSecondsPerDay - now_s % stats::kSecondsPerDay;
  const double offset_s = static_cast<double>(to_midnight) - 10.0;
  const auto midnight = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const int64_t day1 = stats::mjd_of(time::NtpTime::from_parts(now_s + to_midnight - 10, 0));
  const int64_t day2 = day1 + 1;
  const uint16_t server_port = testing::free_udp_port();
  auto server =
      testing::start_ntpd(kBin, dir_, "server", "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n",
                          server_port, offset_s, 0);
  const std::string conf =
      fmt::format("statsdir {}\nstatistics loopstats peerstats\nserver 127.0.0.1 port {} iburst\n",
                  stats_dir, server_port);
  const std::string peer1 = stats_dir + "/peerstats" + day_suffix(day1);
  const std::string loop1 = stats_dir + "/loopstats" + day_suffix(day1);
  const std::string peer2 = stats_dir + "/peerstats" + day_suffix(day2);
  const std::string loop2 = stats_dir + "/loopstats" + day_suffix(day2);

  // Run 1, before midnight: 0.25 s ahead of the server (it steps), +20 ppm.
  {
    auto client = testing::start_ntpd(kBin, dir_, "client1", conf, testing::free_udp_port(),
                                      offset_s + 0.25, 20);
    EXPECT_TRUE(wait_for_lines({peer1, loop1}, 4)) << client->stderr_text();
    client->signal(SIGTERM);
    ASSERT_EQ(client->wait(5), 0) << client->stderr_text();
    EXPECT_EQ(client->stderr_text().find("statistics file"), std::string::npos)
        << client->stderr_text();
  }
  // Run 2, once the server's clock has passed midnight: 0.1 s behind it.
  std::this_thread::sleep_until(midnight + std::chrono::milliseconds(300));
  {
    auto client = testing::start_ntpd(kBin, dir_, "client2", conf, testing::free_udp_port(),
                                      offset_s - 0.1, 20);
    EXPECT_TRUE(wait_for_lines({peer2, loop2}, 4)) << client->stderr_text();
    client->signal(SIGTERM);
    ASSERT_EQ(client->wait(5), 0) << client->stderr_text();
  }

  // The base names now link to day 2's members; day 1's lost their link.
  EXPECT_EQ(inode(stats_dir + "/peerstats"), inode(peer2));
  EXPECT_EQ(inode(stats_dir + "/loopstats"), inode(loop2));
  struct stat st {};
  ASSERT_EQ(stat(peer1.c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);

  for (int64_t day : {day1, day2}) {
    const auto peer_lines = read_lines(stats_dir + "/peerstats" + day_suffix(day));
    ASSERT_FALSE(peer_lines.empty()) << day;
    for (const auto& line : peer_lines) {
      auto p = stats::parse_peerstats(line);
      ASSERT_TRUE(p) << p.error().message << ": " << line;
      EXPECT_EQ(p->stamp.mjd, day) << line;
      if (day == day1) {  // the last seconds of day 1, the first of day 2
        EXPECT_GT(p->stamp.seconds, 86380) << line;
      } else {
        EXPECT_LT(p->stamp.seconds, 30) << line;
      }
      EXPECT_EQ(p->record.address.to_string(), "127.0.0.1") << line;
      EXPECT_EQ(p->record.status & 0x8000, 0x8000) << line;  // configured
      EXPECT_EQ(p->record.status & 0x1000, 0x1000) << line;  // reachable
      EXPECT_GE(p->record.delay_s, 0) << line;
      EXPECT_LT(p->record.delay_s, 0.1) << line;
    }
    // Each run's first sample is recorded as measured, before its step:
    // −0.25 s (run 1, ahead of its server), +0.1 s (run 2, behind it).
    auto first = stats::parse_peerstats(peer_lines.front());
    ASSERT_TRUE(first);
    EXPECT_NEAR(first->record.offset_s, day == day1 ? -0.25 : 0.1, 0.01) << peer_lines.front();

    const auto loop_lines = read_lines(stats_dir + "/loopstats" + day_suffix(day));
    ASSERT_FALSE(loop_lines.empty()) << day;
    for (const auto& line : loop_lines) {
      auto l = stats::parse_loopstats(line);
      ASSERT_TRUE(l) << l.error().message << ": " << line;
      EXPECT_EQ(l->stamp.mjd, day) << line;
      // Stepped: what is left to correct is small; the frequency and poll
      // are within the discipline's ranges.
      EXPECT_LT(std::fabs(l->record.offset_s), 0.005) << line;
      EXPECT_LE(std::fabs(l->record.frequency_ppm), 500) << line;
      EXPECT_GE(l->record.jitter_s, 0) << line;
      EXPECT_GE(l->record.poll_log2, 3) << line;
      EXPECT_LE(l->record.poll_log2, 17) << line;
    }
  }
}

// SIGHUP with statistics added: the sets are opened without a restart. (The
// reload also adds a server line, whose new association's first sample is
// certain to be recorded.)
TEST_F(NtpdStats, AReloadEnablesStatistics) {
  const std::string stats_dir = dir_ + "/stats";
  std::filesystem::create_directory(stats_dir);
  const std::string local = "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n";
  const uint16_t a = testing::free_udp_port();
  const uint16_t b = testing::free_udp_port();
  auto server_a = testing::start_ntpd(kBin, dir_, "a", local, a);
  auto server_b = testing::start_ntpd(kBin, dir_, "b", local, b);
  auto client =
      testing::start_ntpd(kBin, dir_, "client", fmt::format("server 127.0.0.1 port {} iburst\n", a),
                          testing::free_udp_port(), 0.05, 0);
  for (int i = 0; i < 50 && client->stderr_text().find("synchronised to") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(client->stderr_text().find("synchronised to"), std::string::npos)
      << client->stderr_text();
  EXPECT_TRUE(std::filesystem::is_empty(stats_dir));

  testing::write_file(dir_ + "/client.conf",
                      fmt::format("statsdir {}\nstatistics peerstats\n"
                                  "server 127.0.0.1 port {} iburst\nserver 127.0.0.1 port {} "
                                  "iburst\n",
                                  stats_dir, a, b));
  client->signal(SIGHUP);
  EXPECT_TRUE(wait_for_lines({stats_dir + "/peerstats"}, 5)) << client->stderr_text();
  for (const auto& line : read_lines(stats_dir + "/peerstats")) {
    auto p = stats::parse_peerstats(line);
    ASSERT_TRUE(p) << p.error().message << ": " << line;
    EXPECT_EQ(p->record.address.to_string(), "127.0.0.1");
    EXPECT_LT(std::fabs(p->record.offset_s), 0.01) << line;  // synchronised by then
  }
  EXPECT_TRUE(client->running()) << client->stderr_text();
}

TEST_F(NtpdStats, AnUnwritableStatsdirIsLoggedOnceAndTheDaemonRuns) {
  const uint16_t server_port = testing::free_udp_port();
  auto server = testing::start_ntpd(
      kBin, dir_, "server", "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n", server_port);
  const std::string conf = fmt::format(
      "statsdir {}/missing\nstatistics loopstats peerstats\nserver 127.0.0.1 port {} iburst\n",
      dir_, server_port);
  const uint16_t client_port = testing::free_udp_port();
  auto client = testing::start_ntpd(kBin, dir_, "client", conf, client_port, 0.1, 0);
  // Several samples (each one a line that cannot be written) later, the
  // client is synchronised and serving stratum 4.
  std::optional<std::pair<int, double>> seen;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    seen = testing::probe_ntpd(kBin, dir_, client_port);
    if (seen && seen->first == 4 && std::chrono::steady_clock::now() - t0 > std::chrono::seconds(5))
      break;
  }
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->first, 4);
  ASSERT_TRUE(client->running()) << client->stderr_text();
  const std::string err = client->stderr_text();
  size_t warnings = 0;
  for (size_t p = err.find("cannot open statistics file"); p != std::string::npos;
       p = err.find("cannot open statistics file", p + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 2u) << err;  // loopstats and peerstats, once each
}

}  // namespace
}  // namespace meridian
