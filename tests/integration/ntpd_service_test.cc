// ntpd as a system service (issue #8): -u privilege drop and the seccomp
// filter seen from /proc, daemonising with the final pid in the pidfile,
// pidfile removal after the drop, and sd_notify on a test NOTIFY_SOCKET.
// Virtual clocks on loopback; the tests run as root (as in CI).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include <utime.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/support/capabilities.h"
#include "tests/support/ci_skip.h"
#include "tests/support/ntpd_harness.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;
constexpr const char* kLocalClock = "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n";

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// /proc/PID/status as key → value (tabs kept between the values).
std::map<std::string, std::string> proc_status(pid_t pid) {
  std::map<std::string, std::string> out;
  std::ifstream f(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(f, line);) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t v = line.find_first_not_of(" \t", colon + 1);
    const size_t last = line.find_last_not_of(" \t");
    out[line.substr(0, colon)] = v == std::string::npos ? "" : line.substr(v, last + 1 - v);
  }
  return out;
}

// Polls `text()` until it contains `needle` (≤ timeout_s).
template <typename Text>
bool wait_for(Text text, const std::string& needle, double timeout_s = 5) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (text().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A process that is not our child (a daemon): gone, or a zombie nobody reaped.
bool wait_gone(pid_t pid, double timeout_s) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    const std::string stat = slurp(fmt::format("/proc/{}/stat", pid));
    const size_t paren = stat.rfind(')');
    if (stat.empty() || (paren != std::string::npos && stat.substr(paren + 2, 1) == "Z"))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

std::string repeat_ids(unsigned id) { return fmt::format("{0}\t{0}\t{0}\t{0}", id); }

class NtpdService : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir();
    // The user may traverse (not list) the test directory; run/ is its own.
    chmod(dir_.c_str(), 0711);
    const passwd* pw = getpwnam("nobody");
    ASSERT_NE(pw, nullptr);
    nobody_uid_ = pw->pw_uid;
    nobody_gid_ = pw->pw_gid;
    run_dir_ = dir_ + "/run";
    mkdir(run_dir_.c_str(), 0755);
    ASSERT_EQ(chown(run_dir_.c_str(), nobody_uid_, nobody_gid_), 0);
    config_ = dir_ + "/ntp.conf";
    testing::write_file(config_, kLocalClock);
    port_ = testing::free_udp_port();
  }

  std::vector<std::string> ntpd_args(const std::vector<std::string>& extra) const {
    std::vector<std::string> a{kBin + "/ntpd",        "-c",      config_,  "--port",
                               std::to_string(port_), "--clock", "virtual"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // CAP_NET_BIND_SERVICE, and CAP_SYS_TIME only where the bounding set has it
  // (ctest removes it: then ntpd warns and carries on).
  static std::string expected_caps() {
    const auto sys_time = testing::sys_time_in_bounding_set();
    return sys_time.value_or(false) ? "0000000002000400" : "0000000000000400";
  }

  std::string dir_, run_dir_, config_;
  uint16_t port_ = 0;
  uid_t nobody_uid_ = 0;
  gid_t nobody_gid_ = 0;
};

TEST_F(NtpdService, DropsRootToTheTimeCapabilitiesUnderSeccompAndStillServes) {
  if (geteuid() != 0) MERIDIAN_SKIP_OUTSIDE_CI("needs root");
  const std::string pidfile = run_dir_ + "/ntpd.pid";
  Process ntpd(ntpd_args({"-n", "-u", "nobody", "-p", pidfile}), dir_);
  ASSERT_TRUE(wait_for([&] { return ntpd.stderr_text(); }, "seccomp filter active"))
      << ntpd.stderr_text();
  auto st = proc_status(ntpd.pid());
  EXPECT_EQ(st["Uid"], repeat_ids(nobody_uid_));
  EXPECT_EQ(st["Gid"], repeat_ids(nobody_gid_));
  EXPECT_EQ(st["Groups"], std::to_string(nobody_gid_));
  EXPECT_EQ(st["CapEff"], expected_caps());
  EXPECT_EQ(st["CapPrm"], expected_caps());
  EXPECT_EQ(st["CapInh"], "0000000000000000");
  EXPECT_EQ(st["CapAmb"], "0000000000000000");
  EXPECT_EQ(st["NoNewPrivs"], "1");
  EXPECT_EQ(st["Seccomp"], "2");
  EXPECT_EQ(slurp(pidfile), fmt::format("{}\n", ntpd.pid()));
  // Still a time server: the local clock driver at stratum 2 serves 3.
  auto probe = testing::probe_ntpd(kBin, dir_, port_);
  ASSERT_TRUE(probe.has_value()) << ntpd.stderr_text();
  EXPECT_EQ(probe->first, 3);
  ntpd.signal(SIGTERM);
  EXPECT_EQ(ntpd.wait(5), 0) << ntpd.stderr_text();
  EXPECT_FALSE(exists(pidfile)) << "pidfile left behind";
  EXPECT_EQ(ntpd.stderr_text().find("forbidden system call"), std::string::npos)
      << ntpd.stderr_text();
}

TEST_F(NtpdService, NoSeccompTurnsTheFilterOff) {
  if (geteuid() != 0) MERIDIAN_SKIP_OUTSIDE_CI("needs root");
  Process ntpd(ntpd_args({"-n", "-u", "nobody", "--no-seccomp"}), dir_);
  ASSERT_TRUE(wait_for([&] { return ntpd.stderr_text(); }, "seccomp filter off"))
      << ntpd.stderr_text();
  auto st = proc_status(ntpd.pid());
  EXPECT_EQ(st["Seccomp"], "0");
  EXPECT_EQ(st["NoNewPrivs"], "1");  // the drop sets it on its own
  EXPECT_EQ(st["Uid"], repeat_ids(nobody_uid_));
  ASSERT_TRUE(testing::probe_ntpd(kBin, dir_, port_).has_value()) << ntpd.stderr_text();
  ntpd.signal(SIGTERM);
  EXPECT_EQ(ntpd.wait(5), 0) << ntpd.stderr_text();
}

TEST_F(NtpdService, WithoutDashUSeccompIsStillOn) {
  Process ntpd(ntpd_args({"-n"}), dir_);
  ASSERT_TRUE(wait_for([&] { return ntpd.stderr_text(); }, "seccomp filter active"))
      << ntpd.stderr_text();
  EXPECT_EQ(proc_status(ntpd.pid())["Seccomp"], "2");
  ASSERT_TRUE(testing::probe_ntpd(kBin, dir_, port_).has_value()) << ntpd.stderr_text();
  ntpd.signal(SIGINT);
  EXPECT_EQ(ntpd.wait(5), 0) << ntpd.stderr_text();
}

TEST_F(NtpdService, APidfileTheUserCannotRemoveIsEmptiedAtExit) {
  if (geteuid() != 0) MERIDIAN_SKIP_OUTSIDE_CI("needs root");
  const std::string pidfile = dir_ + "/ntpd.pid";  // dir_ is root's, 0711
  Process ntpd(ntpd_args({"-n", "-u", "nobody", "-p", pidfile}), dir_);
  ASSERT_TRUE(wait_for([&] { return ntpd.stderr_text(); }, "seccomp filter active"))
      << ntpd.stderr_text();
  EXPECT_EQ(slurp(pidfile), fmt::format("{}\n", ntpd.pid()));
  ntpd.signal(SIGTERM);
  EXPECT_EQ(ntpd.wait(5), 0) << ntpd.stderr_text();
  ASSERT_TRUE(exists(pidfile));
  EXPECT_EQ(slurp(pidfile), "") << "no stale pid may be left";
  EXPECT_NE(ntpd.stderr_text().find("emptied"), std::string::npos) << ntpd.stderr_text();
}

TEST_F(NtpdService, UnknownUserIsAClearStartUpError) {
  const auto c = testing::run_command(ntpd_args({"-n", "-u", "no-such-user-meridian"}), dir_, 10);
  EXPECT_EQ(c.status, 1);
  EXPECT_NE(c.err.find("unknown user \"no-such-user-meridian\""), std::string::npos) << c.err;
}

TEST_F(NtpdService, DaemonisesWithTheFinalPidLoggingToItsLogfileAfterTheDrop) {
  if (geteuid() != 0) MERIDIAN_SKIP_OUTSIDE_CI("needs root");
  const std::string pidfile = run_dir_ + "/ntpd.pid";
  const std::string logfile = dir_ + "/ntpd.log";  // root's: opened before the drop
  Process starter(ntpd_args({"-u", "nobody", "-p", pidfile, "-l", logfile}), dir_);
  ASSERT_EQ(starter.wait(5), 0) << starter.stderr_text();  // the parent returns at once
  ASSERT_TRUE(wait_for([&] { return slurp(logfile); }, "seccomp filter active")) << slurp(logfile);
  const pid_t pid = static_cast<pid_t>(std::stol(slurp(pidfile)));
  // Kill the daemon whatever happens below.
  struct Reaper {
    pid_t pid;
    ~Reaper() { kill(pid, SIGKILL); }
  } reaper{pid};
  EXPECT_NE(pid, starter.pid()) << "the pidfile must hold the daemon's pid, not the starter's";
  // A new session, "/" as working directory, no terminal nor caller's files.
  const std::string stat = slurp(fmt::format("/proc/{}/stat", pid));
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string state, ppid, pgrp, session;
  fields >> state >> ppid >> pgrp >> session;
  EXPECT_EQ(session, std::to_string(pid)) << stat;
  char target[256] = {};
  ASSERT_GT(readlink(fmt::format("/proc/{}/cwd", pid).c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "/");
  for (int fd : {0, 1, 2}) {
    char link[256] = {};
    ASSERT_GT(readlink(fmt::format("/proc/{}/fd/{}", pid, fd).c_str(), link, sizeof(link) - 1), 0);
    EXPECT_STREQ(link, "/dev/null") << "fd " << fd;
  }
  EXPECT_EQ(proc_status(pid)["Uid"], repeat_ids(nobody_uid_));
  EXPECT_EQ(proc_status(pid)["Seccomp"], "2");
  ASSERT_TRUE(testing::probe_ntpd(kBin, dir_, port_).has_value()) << slurp(logfile);
  kill(pid, SIGTERM);
  ASSERT_TRUE(wait_gone(pid, 5)) << slurp(logfile);
  EXPECT_FALSE(exists(pidfile));
  const std::string log = slurp(logfile);
  // Lines after the drop reach the logfile, with the daemon's pid.
  EXPECT_NE(log.find(fmt::format("ntpd[{}]: exiting on signal", pid)), std::string::npos) << log;
  EXPECT_EQ(log.find("forbidden system call"), std::string::npos) << log;
}

// A bound AF_UNIX datagram socket: systemd's notification socket or /dev/log.
class DatagramSink {
 public:
  explicit DatagramSink(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    bound_ = bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~DatagramSink() {
    close(fd_);
    unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // The next message within timeout_s, or nullopt.
  std::optional<std::string> next(double timeout_s) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout_s * 1000)) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }
  // Reads messages until one contains `needle` (≤ timeout_s); all seen so far.
  std::optional<std::string> until(const std::string& needle, double timeout_s,
                                   std::string* seen = nullptr) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
      auto m = next(0.2);
      if (!m) continue;
      if (seen != nullptr) *seen += *m + "\n--\n";
      if (m->find(needle) != std::string::npos) return m;
    }
    return std::nullopt;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST_F(NtpdService, NotifiesReadyStatusWatchdogAndStoppingAfterTheDrop) {
  if (geteuid() != 0) MERIDIAN_SKIP_OUTSIDE_CI("needs root");
  // root's socket in root's directory: reachable after the drop only
  // because ntpd connects to it at start-up.
  const std::string path = dir_ + "/notify";
  DatagramSink manager(path);
  ASSERT_TRUE(manager.bound());
  Process ntpd(ntpd_args({"-n", "-u", "nobody"}), dir_,
               {"NOTIFY_SOCKET=" + path, "WATCHDOG_USEC=600000"});
  std::string seen;
  auto ready = manager.until("READY=1", 5, &seen);
  ASSERT_TRUE(ready.has_value()) << seen << ntpd.stderr_text();
  EXPECT_NE(ready->find(fmt::format("MAINPID={}", ntpd.pid())), std::string::npos) << *ready;
  EXPECT_NE(ready->find("STATUS=synchronised to local clock at stratum 3"), std::string::npos)
      << *ready;
  // READY comes once the daemon is confined and serving.
  EXPECT_EQ(proc_status(ntpd.pid())["Seccomp"], "2");
  // WatchdogSec=0.6 s: pings every 0.3 s, so ≥ 4 in 2 s.
  int pings = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2)) {
    auto m = manager.next(0.5);
    if (m && *m == "WATCHDOG=1") ++pings;
  }
  EXPECT_GE(pings, 4);
  EXPECT_LE(pings, 12);
  // SIGHUP: the configuration is re-read as nobody, under seccomp, between
  // RELOADING=1 (with MONOTONIC_USEC, for Type=notify-reload) and READY=1.
  ntpd.signal(SIGHUP);
  auto reloading = manager.until("RELOADING=1", 5);
  ASSERT_TRUE(reloading.has_value()) << ntpd.stderr_text();
  EXPECT_NE(reloading->find("\nMONOTONIC_USEC="), std::string::npos) << *reloading;
  EXPECT_TRUE(manager.until("READY=1", 5).has_value()) << ntpd.stderr_text();
  EXPECT_TRUE(wait_for([&] { return ntpd.stderr_text(); }, "reloaded ")) << ntpd.stderr_text();
  ntpd.signal(SIGTERM);
  EXPECT_TRUE(manager.until("STOPPING=1", 5).has_value()) << ntpd.stderr_text();
  EXPECT_EQ(ntpd.wait(5), 0) << ntpd.stderr_text();
  EXPECT_EQ(ntpd.stderr_text().find("forbidden system call"), std::string::npos)
      << ntpd.stderr_text();
}

TEST_F(NtpdService, StatusFollowsTheClientAddedByAReloadToSynchronisation) {
  const uint16_t server_port = testing::free_udp_port();
  auto server = testing::start_ntpd(kBin, dir_, "server", kLocalClock, server_port);
  // No server lines at start: a pure, unsynchronised server.
  testing::write_file(config_, "");
  const std::string path = dir_ + "/notify";
  DatagramSink manager(path);
  ASSERT_TRUE(manager.bound());
  Process client(ntpd_args({"-n", "--clock-offset", "0.1"}), dir_, {"NOTIFY_SOCKET=" + path});
  auto ready = manager.until("READY=1", 5);
  ASSERT_TRUE(ready.has_value()) << client.stderr_text();
  EXPECT_NE(ready->find("STATUS=unsynchronised"), std::string::npos) << *ready;
  // The reload creates the client engine; the status follows it.
  testing::write_file(config_, fmt::format("server 127.0.0.1 port {} iburst\n", server_port));
  client.signal(SIGHUP);
  std::string seen;
  auto synced = manager.until("STATUS=synchronised to 127.0.0.1 at stratum 4, offset", 15, &seen);
  EXPECT_TRUE(synced.has_value()) << seen << client.stderr_text();
  client.signal(SIGTERM);
  EXPECT_EQ(client.wait(5), 0) << client.stderr_text();
}

TEST_F(NtpdService, LogsToSyslogAsDaemonNtpdAfterTheDrop) {
  if (geteuid() != 0) MERIDIAN_SKIP_OUTSIDE_CI("needs root");
  if (!exists("/usr/bin/unshare")) MERIDIAN_SKIP_OUTSIDE_CI("needs unshare (util-linux)");
  // A private /dev in a mount namespace of its own: /dev/null, and a test
  // socket as /dev/log. Nothing outside the namespace sees it.
  const std::string dev = dir_ + "/dev";
  ASSERT_EQ(mkdir(dev.c_str(), 0755), 0);
  ASSERT_EQ(mknod((dev + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  DatagramSink syslog(dev + "/log");
  ASSERT_TRUE(syslog.bound());
  // Writable for all, as /dev/log is: glibc reconnects after a failed send.
  ASSERT_EQ(chmod((dev + "/log").c_str(), 0666), 0);
  const std::string pidfile = run_dir_ + "/ntpd.pid";
  std::string command = fmt::format("mount --bind {} /dev && exec", dev);
  for (const auto& a : ntpd_args({"-u", "nobody", "-p", pidfile})) command += " " + a;
  Process starter(
      {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", command}, dir_);
  ASSERT_EQ(starter.wait(5), 0) << starter.stderr_text();
  std::string seen;
  const auto confined = syslog.until("seccomp filter active", 5, &seen);
  const std::string pid_text = slurp(pidfile);
  ASSERT_FALSE(pid_text.empty()) << seen;
  const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
  struct Reaper {
    pid_t pid;
    ~Reaper() { kill(pid, SIGKILL); }
  } reaper{pid};
  ASSERT_TRUE(confined.has_value()) << seen;
  // RFC 3164 as glibc's syslog() sends it: <facility*8+severity>, ident ntpd
  // with the daemon's pid. daemon = 3: notice = <29>, info = <30>.
  EXPECT_EQ(confined->rfind("<30>", 0), 0u) << *confined;
  EXPECT_NE(confined->find(fmt::format(" ntpd[{}]: seccomp filter active", pid)), std::string::npos)
      << *confined;
  EXPECT_NE(seen.find("<29>"), std::string::npos) << seen;
  EXPECT_NE(seen.find(fmt::format("ntpd[{}]: running as user nobody", pid)), std::string::npos)
      << seen;
  kill(pid, SIGTERM);
  std::string after;
  EXPECT_TRUE(syslog.until(fmt::format("ntpd[{}]: exiting on signal", pid), 5, &after).has_value())
      << "seen after SIGTERM:\n"
      << after << "before:\n"
      << seen;
  EXPECT_TRUE(wait_gone(pid, 5));
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(NtpdService, TheDriftFileStaysWritableAfterTheDrop) {
  if (geteuid() != 0) MERIDIAN_SKIP_OUTSIDE_CI("needs root");
  const uint16_t server_port = testing::free_udp_port();
  auto server = testing::start_ntpd(kBin, dir_, "server", kLocalClock, server_port);
  // Classic layout gone wrong: a root-owned directory (dir_, 0711) holding
  // root's drift file. ntpd hands the file over and rewrites it in place.
  const std::string drift = dir_ + "/ntp.drift";
  testing::write_file(drift, "0.000\n");
  const utimbuf old_times{1'000'000'000, 1'000'000'000};
  ASSERT_EQ(utime(drift.c_str(), &old_times), 0);
  testing::write_file(
      config_, fmt::format("driftfile {}\nserver 127.0.0.1 port {} iburst\n", drift, server_port));
  Process client(
      ntpd_args({"-n", "-u", "nobody", "--clock-offset", "0.1", "--clock-freq-ppm", "20"}), dir_);
  // Synchronised: serving stratum 4 (the server's 3 + 1).
  std::optional<std::pair<int, double>> seen;
  for (int i = 0; i < 50 && !(seen && seen->first == 4); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    seen = testing::probe_ntpd(kBin, dir_, port_);
  }
  ASSERT_TRUE(seen && seen->first == 4) << client.stderr_text();
  client.signal(SIGTERM);
  EXPECT_EQ(client.wait(5), 0) << client.stderr_text();
  struct stat st {};
  ASSERT_EQ(stat(drift.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody_uid_);
  EXPECT_GT(st.st_mtime, old_times.modtime) << "the drift file was not rewritten\n"
                                            << client.stderr_text();
  double ppm = 1e9;
  std::istringstream(slurp(drift)) >> ppm;
  EXPECT_LT(std::abs(ppm), 500) << slurp(drift);
  EXPECT_EQ(client.stderr_text().find("cannot write"), std::string::npos) << client.stderr_text();
}

}  // namespace
}  // namespace meridian
