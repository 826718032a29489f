// The seccomp allow-list, exercised in forked children (a filter cannot be
// removed again): a forbidden call is logged and fails with EPERM, the
// daemon's steady-state calls still work.
#include "platform/seccomp_filter.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "platform/interfaces.h"
#include "platform/random_os.h"
#include "platform/resolver.h"
#include "platform/udp_socket.h"

namespace meridian::platform {
namespace {

// Runs `body` in a child with the filter installed (reports into a pipe);
// returns (exit status, everything reported).
template <typename Body>
std::pair<int, std::string> run_confined(Body body, SeccompReport report = {}) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, "pipe failed"};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    report.fd = fds[1];
    if (!install_seccomp_filter(report)) _exit(90);
    _exit(body());
  }
  close(fds[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), text};
}

TEST(SeccompFilter, AForbiddenCallIsLoggedOnceAndFailsWithEperm) {
  auto [status, log] = run_confined([] {
    // getpriority: harmless, and nothing the daemon needs.
    for (int i = 0; i < 3; ++i) {
      errno = 0;
      if (syscall(SYS_getpriority, PRIO_PROCESS, 0) != -1 || errno != EPERM) return 1;
    }
    return 0;
  });
  EXPECT_EQ(status, 0) << log;
  const std::string expected =
      "seccomp: forbidden system call " + std::to_string(SYS_getpriority) + " (getpriority)";
  const size_t at = log.find(expected);
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_EQ(log.find(expected, at + 1), std::string::npos) << "reported once per call: " << log;
  // The Logger's prefix: "26 Nov 10:12:05 ntpd[PID]: ".
  EXPECT_NE(log.find(" ntpd["), std::string::npos) << log;
}

TEST(SeccompFilter, WithSyslogTheReportIsADaemonErrDatagram) {
  // A datagram socket standing in for /dev/log.
  const std::string path = "/tmp/meridian-seccomp-syslog-" + std::to_string(getpid());
  unlink(path.c_str());
  const int log = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  ASSERT_EQ(bind(log, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  SeccompReport report;
  report.syslog = true;
  report.syslog_path = path;
  auto [status, written] = run_confined(
      [] { return syscall(SYS_getpriority, PRIO_PROCESS, 0) == -1 && errno == EPERM ? 0 : 1; },
      report);
  EXPECT_EQ(status, 0) << written;
  EXPECT_EQ(written, "") << "nothing on the fallback descriptor";
  pollfd p{log, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 1000), 1);
  char buf[512];
  const ssize_t n = recv(log, buf, sizeof(buf), 0);
  close(log);
  unlink(path.c_str());
  ASSERT_GT(n, 0);
  const std::string datagram(buf, static_cast<size_t>(n));
  // RFC 3164 as glibc sends it: <daemon.err = 27>Mmm dd hh:mm:ss ntpd[PID]: …
  EXPECT_EQ(datagram.rfind("<27>", 0), 0u) << datagram;
  EXPECT_NE(datagram.find(" ntpd["), std::string::npos) << datagram;
  EXPECT_NE(datagram.find("]: seccomp: forbidden system call " + std::to_string(SYS_getpriority) +
                          " (getpriority)"),
            std::string::npos)
      << datagram;
}

TEST(SeccompFilter, TheDaemonsSteadyStateCallsStillWork) {
  auto [status, log] = run_confined([] {
    timespec ts{};
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return 1;
    OsRandom random;
    (void)random.next_u64();  // getrandom
    // A UDP socket on loopback, a datagram to itself, poll, receive.
    auto s = UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
    if (!s) return 2;
    const std::byte payload[4] = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
    if (!s->send_to(*s->local_endpoint(), payload)) return 3;
    const std::vector<int> fds{s->fd()};
    auto ready = wait_readable(fds, 1'000'000'000);
    if (!ready || ready->empty()) return 4;
    auto d = s->receive();
    if (!d || !*d || (*d)->data.size() != 4) return 5;
    // Files: what driftfile writes do (temp + rename) and removal.
    const std::string base = "/tmp/meridian-seccomp-test-" + std::to_string(getpid());
    std::FILE* f = std::fopen((base + ".TEMP").c_str(), "w");
    if (f == nullptr) return 6;
    std::fputs("1.000\n", f);
    std::fclose(f);
    if (std::rename((base + ".TEMP").c_str(), base.c_str()) != 0) return 7;
    // Statistics files: the base name as a hard link to the current member.
    if (link(base.c_str(), (base + ".link").c_str()) != 0) return 12;
    if (std::remove((base + ".link").c_str()) != 0) return 13;
    if (std::remove(base.c_str()) != 0) return 8;
    // Interface rescans (getifaddrs over netlink) and name resolution
    // (NSS, /etc/hosts: no traffic leaves the machine).
    auto addresses = list_local_addresses();
    if (!addresses || addresses->empty()) return 9;
    auto localhost = resolve_host("localhost", std::nullopt);
    if (!localhost || localhost->empty()) return 10;
    // A new socket bound on a loopback address, as for an address that appears later.
    if (!UdpSocket::bind({net::IpAddress::v4_loopback(), 0})) return 11;
    return 0;
  });
  EXPECT_EQ(status, 0) << log;
  EXPECT_EQ(log.find("forbidden"), std::string::npos) << log;
}

// `threads N`: workers are started after the filter. Threads can be made
// (and joined), a new process cannot (clone without CLONE_THREAD traps).
TEST(SeccompFilter, WithThreadsNewThreadsWorkButForkDoesNot) {
  SeccompReport report;
  report.threads = true;
  auto [status, log] = run_confined(
      [] {
        int value = 0;
        std::thread t([&] { value = 42; });
        t.join();
        if (value != 42) return 1;
#ifndef __SANITIZE_ADDRESS__
        errno = 0;
        const pid_t child = fork();
        if (child == 0) _exit(0);
        if (child != -1 || errno != EPERM) return 2;
#endif
        return 0;
      },
      report);
  EXPECT_EQ(status, 0) << log;
#ifndef __SANITIZE_ADDRESS__
  EXPECT_NE(log.find("(clone)"), std::string::npos) << log;
#endif
  // (In sanitizer builds the filter allows every clone, for LeakSanitizer's
  // tracer task — seccomp_filter.cc — so the fork half runs in release only.)
  // Without `threads`, not even a thread (glibc blocks signals around clone,
  // so the trap kills the process instead of failing the call).
  auto [plain, plain_log] = run_confined([] {
    try {
      std::thread t([] {});
      t.join();
    } catch (const std::system_error&) {
      return 0;
    }
    return 1;
  });
  EXPECT_NE(plain, 1) << plain_log;
}

}  // namespace
}  // namespace meridian::platform
