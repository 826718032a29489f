// meridian-test-relay: a man in the middle for the NTS interop tests
// (tests/interop/nts_lib.sh). Listens on one IPv4 address and forwards
//   UDP --udp-port (NTP) to --to, each request and reply possibly with one
//       byte inverted (see tests/support/nts_tamper.h), and
//   TCP --tcp-port (NTS-KE) to --to, untouched (TLS passes through, so the
//       client still sees the server's certificate for its name).
// Only for loopback and the tests' own network namespaces; exits after
// --seconds (default 60). Prints its counters on SIGUSR1 and at exit as one
// line starting "relay: ".
//   meridian-test-relay --listen ADDR --to ADDR [--udp-port P] [--tcp-port P]
//     [--flip-reply-byte N | --flip-reply-nts-tag] [--flip-request-byte N |
//     --flip-request-nts-tag] [--seconds S]
// N < 0 counts from the end of the datagram (-1 = its last byte).
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/nts_tamper.h"

namespace {

using meridian::testing::TamperRule;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_report = 0;
void on_stop(int) { g_stop = 1; }
void on_report(int) { g_report = 1; }

constexpr size_t kMaxUdpClients = 64;
constexpr size_t kMaxTcpPairs = 32;

struct Options {
  in_addr listen{};
  in_addr to{};
  uint16_t udp_port = 0;
  uint16_t tcp_port = 0;
  TamperRule request;
  TamperRule reply;
  double seconds = 60;
};

struct Counters {
  unsigned long requests = 0, replies = 0, flipped_requests = 0, flipped_replies = 0;
  unsigned long tcp_connections = 0, tcp_bytes = 0;
};

struct UdpClient {
  sockaddr_in peer{};
  int upstream = -1;  // connected to --to:udp-port
};

struct TcpPair {
  int a = -1, b = -1;  // a: the client's connection, b: ours to the server
  bool a_eof = false, b_eof = false;
};

sockaddr_in endpoint(in_addr a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_addr = a;
  s.sin_port = htons(port);
  return s;
}

sockaddr* as_sockaddr(sockaddr_in& s) { return reinterpret_cast<sockaddr*>(&s); }

int bound_socket(int type, sockaddr_in at) {
  const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, as_sockaddr(at), sizeof(at)) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int connected_socket(int type, sockaddr_in to) {
  const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, as_sockaddr(to), sizeof(to)) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::optional<TamperRule> parse_offset(const char* v) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n < -65536 || n > 65536) return std::nullopt;
  return TamperRule{TamperRule::Where::kOffset, n};
}

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  bool have_listen = false, have_to = false;
  for (int i = 1; i < argc; ++i) {
    const std::string opt = argv[i];
    if (opt == "--flip-reply-nts-tag") {
      o.reply = TamperRule{TamperRule::Where::kNtsTag, 0};
      continue;
    }
    if (opt == "--flip-request-nts-tag") {
      o.request = TamperRule{TamperRule::Where::kNtsTag, 0};
      continue;
    }
    if (i + 1 >= argc) {
      fmt::print(stderr, "meridian-test-relay: {} needs a value\n", opt);
      return std::nullopt;
    }
    const char* v = argv[++i];
    bool ok = true;
    if (opt == "--listen") {
      ok = have_listen = inet_pton(AF_INET, v, &o.listen) == 1;
    } else if (opt == "--to") {
      ok = have_to = inet_pton(AF_INET, v, &o.to) == 1;
    } else if (opt == "--udp-port" || opt == "--tcp-port") {
      const int p = std::atoi(v);
      ok = p > 0 && p < 65536;
      (opt == "--udp-port" ? o.udp_port : o.tcp_port) = static_cast<uint16_t>(p);
    } else if (opt == "--flip-reply-byte" || opt == "--flip-request-byte") {
      const auto rule = parse_offset(v);
      ok = rule.has_value();
      if (ok) (opt == "--flip-reply-byte" ? o.reply : o.request) = *rule;
    } else if (opt == "--seconds") {
      o.seconds = std::atof(v);
      ok = o.seconds > 0 && o.seconds <= 3600;
    } else {
      fmt::print(stderr, "meridian-test-relay: unknown option {}\n", opt);
      return std::nullopt;
    }
    if (!ok) {
      fmt::print(stderr, "meridian-test-relay: bad value for {}: {}\n", opt, v);
      return std::nullopt;
    }
  }
  if (!have_listen || !have_to || (o.udp_port == 0 && o.tcp_port == 0)) {
    fmt::print(stderr,
               "usage: meridian-test-relay --listen ADDR --to ADDR [--udp-port P] [--tcp-port P]"
               " [--flip-reply-byte N|--flip-reply-nts-tag] [--flip-request-byte N|"
               "--flip-request-nts-tag] [--seconds S]\n");
    return std::nullopt;
  }
  return o;
}

std::string address_text(in_addr a) {
  std::array<char, INET_ADDRSTRLEN> b{};
  inet_ntop(AF_INET, &a, b.data(), b.size());
  return b.data();
}

std::string text(const sockaddr_in& s) {
  return fmt::format("{}:{}", address_text(s.sin_addr), ntohs(s.sin_port));
}

void report(const Counters& c) {
  fmt::print(
      "relay: counters: udp requests={} replies={} flipped_requests={} flipped_replies={} "
      "tcp connections={} bytes={}\n",
      c.requests, c.replies, c.flipped_requests, c.flipped_replies, c.tcp_connections, c.tcp_bytes);
  std::fflush(stdout);
}

class Relay {
 public:
  explicit Relay(const Options& o) : o_(o) {}

  bool open() {
    if (o_.udp_port != 0) {
      udp_ = bound_socket(SOCK_DGRAM, endpoint(o_.listen, o_.udp_port));
      if (udp_ < 0) return failed("bind UDP");
    }
    if (o_.tcp_port != 0) {
      tcp_ = bound_socket(SOCK_STREAM, endpoint(o_.listen, o_.tcp_port));
      if (tcp_ < 0 || listen(tcp_, 16) < 0) return failed("bind/listen TCP");
    }
    return true;
  }

  void run() {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<long>(o_.seconds * 1000));
    while (!g_stop && std::chrono::steady_clock::now() < deadline) {
      if (g_report) {
        g_report = 0;
        report(counters_);
      }
      poll_once();
    }
    report(counters_);
  }

 private:
  bool failed(const char* what) {
    fmt::print(stderr, "meridian-test-relay: {}: {}\n", what, std::strerror(errno));
    return false;
  }

  void poll_once() {
    // on_request may add a client: only the ones polled here are read below
    const size_t polled_clients = clients_.size();
    std::vector<pollfd> fds;
    if (udp_ >= 0) fds.push_back({udp_, POLLIN, 0});
    if (tcp_ >= 0) fds.push_back({tcp_, POLLIN, 0});
    for (const auto& c : clients_) fds.push_back({c.upstream, POLLIN, 0});
    for (const auto& p : pairs_) {
      fds.push_back({p.a, static_cast<short>(p.a_eof ? 0 : POLLIN), 0});
      fds.push_back({p.b, static_cast<short>(p.b_eof ? 0 : POLLIN), 0});
    }
    if (poll(fds.data(), fds.size(), 100) <= 0) return;
    size_t i = 0;
    if (udp_ >= 0 && fds[i++].revents) on_request();
    if (tcp_ >= 0 && fds[i++].revents) on_accept();
    for (size_t c = 0; c < polled_clients; ++c) {
      if (fds[i++].revents) on_reply(clients_[c]);
    }
    std::vector<TcpPair> open_pairs;
    for (auto& p : pairs_) {
      const short ra = fds[i++].revents, rb = fds[i++].revents;
      if (ra && !p.a_eof) p.a_eof = !pump(p.a, p.b);
      if (rb && !p.b_eof) p.b_eof = !pump(p.b, p.a);
      if (p.a_eof && p.b_eof) {
        close(p.a);
        close(p.b);
      } else {
        open_pairs.push_back(p);
      }
    }
    pairs_ = std::move(open_pairs);
  }

  void on_request() {
    std::array<std::byte, 2048> buf{};
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    const ssize_t n = recvfrom(udp_, buf.data(), buf.size(), 0, as_sockaddr(from), &len);
    if (n <= 0) return;
    ++counters_.requests;
    UdpClient* client = nullptr;
    for (auto& c : clients_) {
      if (c.peer.sin_addr.s_addr == from.sin_addr.s_addr && c.peer.sin_port == from.sin_port)
        client = &c;
    }
    if (client == nullptr) {
      if (clients_.size() >= kMaxUdpClients) return;  // bounded: drop
      const int up = connected_socket(SOCK_DGRAM, endpoint(o_.to, o_.udp_port));
      if (up < 0) return;
      clients_.push_back({from, up});
      client = &clients_.back();
      fmt::print("relay: new UDP client {}\n", text(from));
    }
    const std::span<std::byte> packet(buf.data(), static_cast<size_t>(n));
    if (tamper(packet, o_.request)) ++counters_.flipped_requests;
    send(client->upstream, packet.data(), packet.size(), 0);
  }

  void on_reply(UdpClient& c) {
    std::array<std::byte, 2048> buf{};
    const ssize_t n = recv(c.upstream, buf.data(), buf.size(), 0);
    if (n <= 0) return;
    ++counters_.replies;
    const std::span<std::byte> packet(buf.data(), static_cast<size_t>(n));
    if (tamper(packet, o_.reply)) ++counters_.flipped_replies;
    sendto(udp_, packet.data(), packet.size(), 0, as_sockaddr(c.peer), sizeof(c.peer));
  }

  void on_accept() {
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    const int a = accept4(tcp_, as_sockaddr(from), &len, SOCK_CLOEXEC);
    if (a < 0) return;
    const int b = pairs_.size() < kMaxTcpPairs
                      ? connected_socket(SOCK_STREAM, endpoint(o_.to, o_.tcp_port))
                      : -1;
    if (b < 0) {
      close(a);
      return;
    }
    ++counters_.tcp_connections;
    pairs_.push_back({a, b, false, false});
    fmt::print("relay: TCP connection from {}\n", text(from));
  }

  // Copies what `from` has to `to`; false at end of stream or error (then
  // `to` gets our end of stream too).
  bool pump(int from, int to) {
    std::array<char, 16384> buf{};
    const ssize_t n = recv(from, buf.data(), buf.size(), 0);
    if (n <= 0) {
      shutdown(to, SHUT_WR);
      return false;
    }
    counters_.tcp_bytes += static_cast<unsigned long>(n);
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = send(to, buf.data() + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
      if (w <= 0) return false;
      done += w;
    }
    return true;
  }

  Options o_;
  int udp_ = -1, tcp_ = -1;
  std::vector<UdpClient> clients_;
  std::vector<TcpPair> pairs_;
  Counters counters_;
};

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse(argc, argv);
  if (!options) return 2;
  std::signal(SIGTERM, on_stop);
  std::signal(SIGINT, on_stop);
  std::signal(SIGUSR1, on_report);
  std::signal(SIGPIPE, SIG_IGN);
  Relay relay(*options);
  if (!relay.open()) return 1;
  fmt::print("relay: listening on {} (udp {}, tcp {}) -> {}\n", address_text(options->listen),
             options->udp_port, options->tcp_port, address_text(options->to));
  std::fflush(stdout);
  relay.run();
  return 0;
}
