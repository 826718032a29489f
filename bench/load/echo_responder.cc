// meridian-bench-echo: the benchmark's syscall-limit reference server.
//
// The least work a UDP NTP server can do per request on Linux: one
// recvmmsg() per batch of up to 64 requests, one clock_gettime() per batch,
// the reply written in place (mode 4, stratum 1, origin = the request's
// transmit timestamp, receive = transmit = now; extension fields dropped),
// and one sendmmsg() back. No access control, no rate limiting, no logging,
// no statistics: anything a real server does on top of this is the cost the
// benchmark table shows (bench/README.md). Not a time server to deploy.
//
// Bounded: exits after --seconds S (default 600) or on SIGTERM/SIGINT; the
// receive timeout is 100 ms so both are noticed promptly.
//
// --bad-origin makes every reply carry a wrong origin timestamp: the load
// generator must then reject every reply (the smoke test that proves the
// generator's validation can fail, tests/bench).
//
// --keep-extensions sends the request's extension fields back after the
// reply header. An NTS request then comes back with its own UID (echoed, as a
// server would) but with the client's authenticator, which does not verify
// under the server-to-client key: the generator's NTS mode must reject every
// such reply (tests/bench/smoke_nts.sh).
#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr int kBatch = 64;
constexpr size_t kBuf = 2048;
constexpr uint64_t kNtpUnixDelta = 2208988800ULL;

[[noreturn]] void usage_exit() {
  fmt::print(stderr,
             "usage: meridian-bench-echo --port N [--address A] [--seconds S] [--bad-origin]\n"
             "         [--keep-extensions]\n");
  std::exit(2);
}

void put_ntp_time(uint8_t* p, const timespec& ts) {
  const uint64_t secs = static_cast<uint64_t>(ts.tv_sec) + kNtpUnixDelta;
  const uint64_t frac = (static_cast<uint64_t>(ts.tv_nsec) << 32) / 1000000000ULL;
  const uint64_t v = (secs << 32) | (frac & 0xffffffffULL);
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = "127.0.0.1";
  long port = -1;
  double seconds = 600;
  bool bad_origin = false;
  bool keep_extensions = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_exit();
      return argv[++i];
    };
    if (a == "--port") {
      port = std::strtol(value().c_str(), nullptr, 10);
    } else if (a == "--address") {
      address = value();
    } else if (a == "--seconds") {
      seconds = std::strtod(value().c_str(), nullptr);
    } else if (a == "--bad-origin") {
      bad_origin = true;
    } else if (a == "--keep-extensions") {
      keep_extensions = true;
    } else {
      usage_exit();
    }
  }
  if (port < 1 || port > 65535 || !(seconds > 0 && seconds <= 86400)) usage_exit();

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    fmt::print(stderr, "meridian-bench-echo: socket: {}\n", std::strerror(errno));
    return 1;
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &sin.sin_addr) != 1) usage_exit();
  const int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    fmt::print(stderr, "meridian-bench-echo: bind {}:{}: {}\n", address, port,
               std::strerror(errno));
    return 1;
  }

  static std::array<std::array<uint8_t, kBuf>, kBatch> bufs;
  std::array<sockaddr_in, kBatch> peers{};
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  std::array<mmsghdr, kBatch> out{};

  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  uint64_t answered = 0;
  uint64_t ignored = 0;
  while (!g_stop) {
    timespec mono{};
    clock_gettime(CLOCK_MONOTONIC, &mono);
    const double elapsed = static_cast<double>(mono.tv_sec - start.tv_sec) +
                           static_cast<double>(mono.tv_nsec - start.tv_nsec) * 1e-9;
    if (elapsed >= seconds) break;
    for (int i = 0; i < kBatch; ++i) {
      iov[static_cast<size_t>(i)] = {bufs[static_cast<size_t>(i)].data(), kBuf};
      msgs[static_cast<size_t>(i)].msg_hdr = {};
      msgs[static_cast<size_t>(i)].msg_hdr.msg_name = &peers[static_cast<size_t>(i)];
      msgs[static_cast<size_t>(i)].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      msgs[static_cast<size_t>(i)].msg_hdr.msg_iov = &iov[static_cast<size_t>(i)];
      msgs[static_cast<size_t>(i)].msg_hdr.msg_iovlen = 1;
    }
    // MSG_WAITFORONE: block for the first datagram, then take what is queued.
    const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;  // timeout (EAGAIN) or EINTR: check the deadline
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    int m = 0;
    for (int i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>(i);
      uint8_t* p = bufs[k].data();
      const unsigned len = msgs[k].msg_len;
      const unsigned mode = p[0] & 7U;
      if (len < 48 || (mode != 3 && mode != 1)) {
        ++ignored;
        continue;
      }
      p[0] = static_cast<uint8_t>((p[0] & 0x38U) | 4U);  // LI 0, request's version, mode 4
      p[1] = 1;                                          // stratum 1
      p[3] = static_cast<uint8_t>(-20);                  // precision ~1 µs
      std::memset(p + 4, 0, 8);                          // root delay, root dispersion
      std::memcpy(p + 12, "ECHO", 4);                    // refid
      put_ntp_time(p + 16, now);                         // reference time
      std::memcpy(p + 24, p + 40, 8);                    // origin = request's transmit
      if (bad_origin) p[31] = static_cast<uint8_t>(p[31] ^ 0x5a);
      put_ntp_time(p + 32, now);  // receive
      put_ntp_time(p + 40, now);  // transmit
      iov[k].iov_len = keep_extensions ? len : 48;
      out[static_cast<size_t>(m)].msg_hdr = msgs[k].msg_hdr;
      out[static_cast<size_t>(m)].msg_hdr.msg_namelen = msgs[k].msg_hdr.msg_namelen;
      ++m;
    }
    int done = 0;
    for (int tries = 0; done < m && tries < 4; ++tries) {
      const int s = sendmmsg(fd, out.data() + done, static_cast<unsigned>(m - done), 0);
      if (s <= 0) break;
      done += s;
    }
    answered += static_cast<uint64_t>(done);
  }
  fmt::print("meridian-bench-echo: answered={} ignored={}\n", answered, ignored);
  close(fd);
  return 0;
}
