// The statistics recorder: engine views and server counters in, classic
// lines out, stamped with (and rotated by) the daemon's clock.
#include "daemon/stats_recorder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/config/file_source.h"
#include "core/config/parser.h"
#include "core/stats/calendar.h"
#include "core/stats/record_parser.h"
#include "tests/support/process.h"

namespace meridian::daemon {
namespace {

std::vector<std::string> lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

class StatsRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir();
    log_ = std::make_unique<Logger>(dir_ + "/ntpd.log", false, 0);
    platform::VirtualClockOptions o;
    o.monotonic_ns = [this] { return mono_ns_; };
    clock_ = std::make_unique<platform::VirtualClock>(o);
  }
  void TearDown() override {
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  config::Config parse(const std::string& text) {
    config::MemoryFileSource files;
    return config::parse_config_text(text, "ntp.conf", files);
  }
  std::string day_member(const std::string& name) {
    const auto d = stats::civil_from_mjd(stats::mjd_of(clock_->now()));
    return fmt::format("{}/{}.{:04}{:02}{:02}", dir_, name, d.year, d.month, d.day);
  }

  std::string dir_;
  std::unique_ptr<Logger> log_;
  int64_t mono_ns_ = 1'000'000'000;
  std::unique_ptr<platform::VirtualClock> clock_;
};

engine::PeerView peer_with_sample(double time_s) {
  engine::PeerView p;
  p.options.endpoint = {net::IpAddress::v4({127, 0, 0, 1}), 12345};
  p.state.reach = 1;
  p.state.filter = source::FilterOutput{.offset_s = -0.000125,
                                        .delay_s = 0.00005,
                                        .dispersion_s = 0.0078,
                                        .jitter_s = 0.00001,
                                        .time_s = time_s};
  return p;
}

TEST_F(StatsRecorderTest, WritesPeerAndLoopLinesStampedByTheDaemonClock) {
  const config::Config c =
      parse(fmt::format("statsdir {}\nstatistics loopstats peerstats\n", dir_));
  StatsRecorder rec(c, *clock_, *log_, 1.0);
  ASSERT_TRUE(rec.enabled());
  engine::SystemView sys;
  sys.system_peer = 0;
  sys.offset_s = -0.000125;
  sys.discipline.frequency_ppm = -30.25;
  sys.discipline.poll_log2 = 6;
  std::vector<engine::PeerView> peers = {peer_with_sample(1.5)};
  rec.observe(sys, peers, 2.0);
  rec.observe(sys, peers, 2.5);  // nothing new
  peers[0].state.filter->time_s = 3.5;
  rec.observe(sys, peers, 4.0);

  const auto peer_lines = lines(day_member("peerstats"));
  ASSERT_EQ(peer_lines.size(), 2u);
  const auto loop_lines = lines(dir_ + "/loopstats");  // through the link
  ASSERT_EQ(loop_lines.size(), 2u);
  const int64_t mjd = stats::mjd_of(clock_->now());
  for (const auto& l : peer_lines) {
    auto p = stats::parse_peerstats(l);
    ASSERT_TRUE(p) << p.error().message << ": " << l;
    EXPECT_EQ(p->stamp.mjd, mjd);
    EXPECT_EQ(p->record.address.to_string(), "127.0.0.1");  // no port, as classic
    EXPECT_NEAR(p->record.offset_s, -0.000125, 1e-9);
    EXPECT_NEAR(p->record.dispersion_s, 0.0078, 1e-9);
  }
  auto l = stats::parse_loopstats(loop_lines[0]);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_NEAR(l->record.frequency_ppm, -30.25, 1e-3);
  EXPECT_NEAR(l->record.offset_s, -0.000125, 1e-9);
  // The stamp is the virtual clock's reading (it does not move here).
  const time::NtpTime now = clock_->now();
  EXPECT_NEAR(l->stamp.seconds,
              static_cast<double>(stats::seconds_of_day(now)) +
                  static_cast<double>(now.fraction()) / 4294967296.0,
              0.001);
}

// The daemon's clock decides the member: a virtual clock half a second
// before midnight writes to that day's file, one second later to the next
// day's, and the link follows.
TEST_F(StatsRecorderTest, RotatesWhenTheDaemonClockPassesMidnight) {
  const time::NtpTime real = platform::read_realtime();
  const double to_midnight =
      static_cast<double>(stats::kSecondsPerDay - stats::seconds_of_day(real)) -
      static_cast<double>(real.fraction()) / 4294967296.0;
  platform::VirtualClockOptions o;
  o.initial_offset_s = to_midnight - 0.5;
  o.monotonic_ns = [this] { return mono_ns_; };
  clock_ = std::make_unique<platform::VirtualClock>(o);
  const int64_t day1 = stats::mjd_of(clock_->now());
  const std::string member1 = day_member("peerstats");

  StatsRecorder rec(parse(fmt::format("statsdir {}\nstatistics peerstats\n", dir_)), *clock_, *log_,
                    0);
  engine::SystemView sys;
  std::vector<engine::PeerView> peers = {peer_with_sample(1.0)};
  rec.observe(sys, peers, 1.0);
  mono_ns_ += 1'000'000'000;
  ASSERT_EQ(stats::mjd_of(clock_->now()), day1 + 1);
  const std::string member2 = day_member("peerstats");
  peers[0].state.filter->time_s = 2.0;
  rec.observe(sys, peers, 2.0);

  ASSERT_NE(member1, member2);
  const auto first = lines(member1);
  const auto second = lines(member2);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  auto a = stats::parse_peerstats(first[0]);
  auto b = stats::parse_peerstats(second[0]);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->stamp.mjd, day1);
  EXPECT_NEAR(a->stamp.seconds, 86399.5, 0.002);
  EXPECT_EQ(b->stamp.mjd, day1 + 1);
  EXPECT_NEAR(b->stamp.seconds, 0.5, 0.002);
  EXPECT_EQ(lines(dir_ + "/peerstats"), second);  // the link moved
}

TEST_F(StatsRecorderTest, SysstatsLinesCoverTheTimeSinceThePreviousLine) {
  const config::Config c =
      parse(fmt::format("statsdir {}\nfilegen sysstats file sys type pid nolink enable\n", dir_));
  StatsRecorder rec(c, *clock_, *log_, 0);
  control::ServerStatistics totals;
  totals.uptime_s = 3600;
  totals.received = 40;
  totals.current_version = 38;
  totals.old_version = 2;
  totals.processed = 39;
  totals.restricted = 1;
  rec.record_sysstats(totals, 3600);
  totals.uptime_s = 7200;
  totals.received = 100;
  totals.processed = 97;
  rec.record_sysstats(totals, 7200);
  const auto out = lines(fmt::format("{}/sys.#{}", dir_, getpid()));
  ASSERT_EQ(out.size(), 2u);
  auto first = stats::parse_sysstats(out[0]);
  auto second = stats::parse_sysstats(out[1]);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->record.since_reset_s, 3600u);
  EXPECT_EQ(first->record.received, 40u);
  EXPECT_EQ(first->record.restricted, 1u);
  EXPECT_EQ(second->record.since_reset_s, 3600u);
  EXPECT_EQ(second->record.received, 60u);
  EXPECT_EQ(second->record.processed, 58u);
  EXPECT_EQ(second->record.restricted, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/sys"));  // nolink
}

TEST_F(StatsRecorderTest, AReloadCanEnableStatisticsWithoutRepeatingOldSamples) {
  StatsRecorder rec(parse(fmt::format("statsdir {}\n", dir_)), *clock_, *log_, 0);
  EXPECT_FALSE(rec.enabled());
  engine::SystemView sys;
  std::vector<engine::PeerView> peers = {peer_with_sample(1)};
  rec.observe(sys, peers, 2);
  rec.reconfigure(parse(fmt::format("statsdir {}\nstatistics peerstats\n", dir_)));
  EXPECT_TRUE(rec.enabled());
  rec.observe(sys, peers, 3);  // the sample of t = 1 was seen before the reload
  EXPECT_TRUE(lines(day_member("peerstats")).empty());
  peers[0].state.filter->time_s = 4;
  rec.observe(sys, peers, 5);
  EXPECT_EQ(lines(day_member("peerstats")).size(), 1u);
  // And off again: the file is closed, nothing more is written.
  rec.reconfigure(parse(fmt::format("statsdir {}\n", dir_)));
  peers[0].state.filter->time_s = 6;
  rec.observe(sys, peers, 7);
  EXPECT_EQ(lines(day_member("peerstats")).size(), 1u);
}

TEST_F(StatsRecorderTest, NothingEnabledNothingWritten) {
  StatsRecorder rec(parse(fmt::format("statsdir {}\n", dir_)), *clock_, *log_, 0);
  EXPECT_FALSE(rec.enabled());
  engine::SystemView sys;
  std::vector<engine::PeerView> peers = {peer_with_sample(1)};
  rec.observe(sys, peers, 2);
  rec.record_sysstats({}, 3600);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_))
    files += e.path() != dir_ + "/ntpd.log";
  EXPECT_EQ(files, 0u);
}

}  // namespace
}  // namespace meridian::daemon
