// ntpd's leapfile directive end to end (virtual clock): a good file is
// loaded (its published hash verified) and shown in mode 6 as tai/leapsec/
// expire; a file whose hash does not match is refused with FILE:LINE.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;
using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;

// tzdata 2025b's leap-seconds.list without its comments (not hashed).
std::string real_leap_file() {
  std::string s = "#$\t3960835200\n#@\t3991593600\n";
  const char* rows[] = {"2272060800 10", "2287785600 11", "2303683200 12", "2335219200 13",
                        "2366755200 14", "2398291200 15", "2429913600 16", "2461449600 17",
                        "2492985600 18", "2524521600 19", "2571782400 20", "2603318400 21",
                        "2634854400 22", "2698012800 23", "2776982400 24", "2840140800 25",
                        "2871676800 26", "2918937600 27", "2950473600 28", "2982009600 29",
                        "3029443200 30", "3076704000 31", "3124137600 32", "3345062400 33",
                        "3439756800 34", "3550089600 35", "3644697600 36", "3692217600 37"};
  for (const char* r : rows) s += std::string(r) + "\n";
  return s + "#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e\n";
}

class LeapfileNtpd : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }
  std::unique_ptr<Process> start(const std::string& leapfile_text, uint16_t port,
                                 const std::string& offset = "315360000") {
    testing::write_file(dir_ + "/leap-seconds.list", leapfile_text);
    const std::string conf = dir_ + "/ntp.conf";
    testing::write_file(
        conf,
        fmt::format("restrict default noquery\nrestrict 127.0.0.1\n"
                    "server 127.0.0.1 port {}\n"  // silent: the client side is what loads the file
                    "leapfile {}/leap-seconds.list\n",
                    testing::free_udp_port(), dir_));
    auto p = std::make_unique<Process>(
        std::vector<std::string>{kBin + "/ntpd", "-n", "-c", conf, "--port", std::to_string(port),
                                 "--clock", "virtual", "--virtual-offset", offset},
        dir_);
    EXPECT_TRUE(p->wait_for_stderr("ready: ", 10)) << p->stderr_text();
    return p;
  }
  std::string dir_;
};

TEST_F(LeapfileNtpd, GoodFileLoadedAndShownInReadvar) {
  const uint16_t port = testing::free_udp_port();
  auto d = start(real_leap_file(), port);
  EXPECT_TRUE(d->wait_for_stderr("27 leap seconds, last 2017-01-01, TAI-UTC 37 s", 5))
      << d->stderr_text();
  Completed rv = testing::run_command(
      {kBin + "/ntpq", "-c", "rv 0 tai,leapsec,expire", fmt::format("127.0.0.1:{}", port)}, dir_,
      20);
  ASSERT_EQ(rv.status, 0) << rv.err;
  EXPECT_NE(rv.out.find("tai=37"), std::string::npos) << rv.out;
  // The virtual clock runs 10 years ahead: the file (expiring 2026-06-28) has expired.
  EXPECT_TRUE(d->wait_for_stderr(
      "leapfile " + dir_ + "/leap-seconds.list: leap second file expired on 2026-06-28", 5))
      << d->stderr_text();
  EXPECT_NE(rv.out.find("2017-01-01T00:00Z"), std::string::npos) << rv.out;
  EXPECT_NE(rv.out.find("2026-06-28T00:00Z"), std::string::npos) << rv.out;
}

TEST_F(LeapfileNtpd, WrongHashIsRefusedWithFileAndLine) {
  const uint16_t port = testing::free_udp_port();
  std::string text = real_leap_file();
  text.replace(text.find("3991593600"), 10, "3991593601");  // the expiry is hashed
  auto d = start(text, port);
  EXPECT_TRUE(d->wait_for_stderr(fmt::format("{}/leap-seconds.list:31: hash mismatch", dir_), 5))
      << d->stderr_text();
  EXPECT_NE(d->stderr_text().find("leapfile not used"), std::string::npos);
  Completed rv = testing::run_command(
      {kBin + "/ntpq", "-c", "rv 0 tai", fmt::format("127.0.0.1:{}", port)}, dir_, 20);
  EXPECT_EQ(rv.out.find("tai=37"), std::string::npos) << rv.out;
}

// The virtual clock set 4 s before 2017-01-01T00:00:00Z (a real leap in
// the file): the engine arms the clock (file authoritative), the virtual
// clock repeats 23:59:59 as the kernel does, and the engine disarms after.
TEST_F(LeapfileNtpd, VirtualClockInsertsTheLeapSecond) {
  const uint16_t port = testing::free_udp_port();
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const double unix_now = std::chrono::duration<double>(now).count();
  const double leap_unix = 3692217600.0 - 2208988800.0;  // NTP → Unix seconds
  const double offset = leap_unix - 4.0 - unix_now;
  auto d = start(real_leap_file(), port, fmt::format("{:.6f}", offset));
  EXPECT_TRUE(d->wait_for_stderr("leap second (insert) armed for the end of the UTC day", 5))
      << d->stderr_text();
  EXPECT_TRUE(
      d->wait_for_stderr("leap second inserted at the end of the UTC day (by the clock)", 15))
      << d->stderr_text();
  // The clock repeated one second: it now reads 1 s less than true time would.
  // Bracket the ntpq query in time: on a loaded machine starting ntpq alone
  // can take half a second.
  const auto before = std::chrono::system_clock::now().time_since_epoch();
  Completed rv = testing::run_command(
      {kBin + "/ntpq", "-c", "rv 0 clock", fmt::format("127.0.0.1:{}", port)}, dir_, 20);
  const auto after = std::chrono::system_clock::now().time_since_epoch();
  // Virtual time after the leap: true time + offset − 1 s.
  const double earliest = std::chrono::duration<double>(before).count() + offset - 1.0;
  const double latest = std::chrono::duration<double>(after).count() + offset - 1.0;
  ASSERT_EQ(rv.status, 0) << rv.err;
  const auto at = rv.out.find("clock=");
  ASSERT_NE(at, std::string::npos) << rv.out;
  const double clock_ntp =
      static_cast<double>(std::stoul(rv.out.substr(at + 6, 8), nullptr, 16)) +
      static_cast<double>(std::stoul(rv.out.substr(at + 15, 8), nullptr, 16)) / 4294967296.0;
  // 0.2 s of slack each side for the virtual clock's own rate and rounding;
  // a clock that had not repeated the second would read 1 s later.
  EXPECT_GE(clock_ntp - 2208988800.0, earliest - 0.2) << rv.out;
  EXPECT_LE(clock_ntp - 2208988800.0, latest + 0.2) << rv.out;
}

}  // namespace
}  // namespace meridian
