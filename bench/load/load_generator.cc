// meridian-bench-load: the benchmark's NTP load generator (bench/README.md).
//
//   meridian-bench-load --server ADDR:PORT [--mode closed|open] [--window W]
//                       [--rate R] [--seconds S] [--max-requests N]
//                       [--ports K] [--sources N] [--timeout-ms T]
//                       [--expect-replies N] [--server-pid PID]
//                       [--nts-ke PORT --nts-ca FILE [--nts-host NAME]]
//
// Sends 48-byte mode-3 (client) requests from K sockets (K source ports) to
// one IPv4 server and validates every reply: it must come from the server's
// address and port, be at least 48 bytes, mode 4, and its origin timestamp
// must equal the transmit timestamp of a request we sent and have not yet
// seen answered. A transmit timestamp is the request's sequence number (low
// 32 bits) and a keyed hash of it (high 32 bits, random key per run), so a
// forged or corrupted origin is rejected (a chance of 2^-32), even one that
// would name another outstanding request. A reply with stratum 0 is a
// kiss-o'-death: valid, but counted apart (kod=).
//
//   closed  keep W requests outstanding (a reply or a timeout frees a slot):
//           the server's throughput;
//   open    send at a fixed R requests/s whatever comes back: loss at R and
//           latency at R.
//
// --sources N (> 1) sends from N distinct loopback addresses 127.1.0.0 + i
// (IPv4 only; set per packet with IP_PKTINFO, every 127/8 address is local),
// so a server's per-client state (MRU list, rate limiter) holds N entries.
//
// --nts-ke PORT (closed loop only): every request is an NTS request (RFC 8915
// §5.7) from one of W client associations (W = --window), each with its own
// NTS-KE session with the server's NTS-KE port (our platform client, TLS 1.3,
// certificate verified against --nts-ca for --nts-host, default the server's
// address), done before the measurement starts. A request spends one cookie
// and carries a fresh UID, placeholders to refill the jar to eight, and the
// authenticator; a reply must, on top of the checks above, echo the UID and
// carry an authenticator that verifies under the session's S2C key, and its
// cookies refill the jar (bench/load/nts_flows.h). NAKs and replies that fail
// the NTS checks count as invalid.
//
// --server-pid PID: the server's CPU time (all threads, schedstat) over the
// sending phase, reported as server_cpu_s (excludes the NTS-KE phase).
//
// Bounded: stops after --seconds S (default 3, at most 3600) or
// --max-requests N requests, whichever first; then waits at most the reply
// timeout for stragglers. Requests without a reply by then are lost. Loopback
// (127.0.0.0/8) servers only.
//
// Output: one line of key=value pairs (rates per second of the sending
// phase, latency percentiles in microseconds, send to receive in this
// process). Exit status 0; 3 if --expect-replies N is given and fewer than N
// valid replies arrived or any reply was invalid; 2 usage; 1 socket errors.
#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "nts_flows.h"
#include "server_cpu.h"

namespace {

constexpr int kBatch = 32;
constexpr size_t kRing = size_t{1} << 20;  // tracked requests (power of 2)
constexpr size_t kHistUs = 200000;         // latency histogram: 1 µs buckets to 200 ms

[[noreturn]] void usage_exit(const std::string& why) {
  fmt::print(stderr, "meridian-bench-load: {}\n", why);
  fmt::print(stderr,
             "usage: meridian-bench-load --server ADDR:PORT [--mode closed|open] [--window W]\n"
             "         [--rate R] [--seconds S] [--max-requests N] [--ports K] [--sources N]\n"
             "         [--timeout-ms T] [--expect-replies N] [--server-pid PID]\n"
             "         [--nts-ke PORT --nts-ca FILE [--nts-host NAME]]\n");
  std::exit(2);
}

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

struct Slot {
  uint64_t seq = UINT64_MAX;
  int64_t sent_ns = 0;
  bool answered = false;
  int64_t flow = -1;  // NTS mode: the association that sent it
};

struct Options {
  sockaddr_in server{};
  bool open = false;
  uint64_t window = 64;
  double rate = 10000;
  double seconds = 3;
  uint64_t max_requests = UINT64_MAX;
  int ports = 8;
  uint32_t sources = 1;
  int64_t timeout_ns = 200'000'000;
  int64_t expect_replies = -1;
  int server_pid = 0;
  uint16_t nts_ke_port = 0;  // 0: plain NTP
  std::string nts_ca;
  std::string nts_host;
  std::string server_text;  // the address as given
};

double number(const std::string& opt, const std::string& v, double lo, double hi) {
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(d >= lo && d <= hi)) {
    usage_exit(fmt::format("{} {}: expected a number in {}..{}", opt, v, lo, hi));
  }
  return d;
}

Options parse(int argc, char** argv) {
  Options o;
  bool have_server = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage_exit(fmt::format("{}: missing value or unknown option", a));
    const std::string v = argv[++i];
    if (a == "--server") {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) usage_exit("--server: expected ADDR:PORT");
      const std::string host = v.substr(0, colon);
      o.server_text = host;
      o.server.sin_family = AF_INET;
      if (inet_pton(AF_INET, host.c_str(), &o.server.sin_addr) != 1) {
        usage_exit("--server: expected an IPv4 address");
      }
      if ((ntohl(o.server.sin_addr.s_addr) >> 24) != 127) {
        usage_exit("--server: loopback (127.0.0.0/8) only");
      }
      o.server.sin_port =
          htons(static_cast<uint16_t>(number("--server port", v.substr(colon + 1), 1, 65535)));
      have_server = true;
    } else if (a == "--mode") {
      if (v != "closed" && v != "open") usage_exit("--mode: closed or open");
      o.open = v == "open";
    } else if (a == "--window") {
      o.window = static_cast<uint64_t>(number(a, v, 1, 65536));
    } else if (a == "--rate") {
      o.rate = number(a, v, 1, 1e8);
    } else if (a == "--seconds") {
      o.seconds = number(a, v, 0.01, 3600);
    } else if (a == "--max-requests") {
      o.max_requests = static_cast<uint64_t>(number(a, v, 1, 1e12));
    } else if (a == "--ports") {
      o.ports = static_cast<int>(number(a, v, 1, 64));
    } else if (a == "--sources") {
      o.sources = static_cast<uint32_t>(number(a, v, 1, 1 << 20));
    } else if (a == "--timeout-ms") {
      o.timeout_ns = static_cast<int64_t>(number(a, v, 1, 10000) * 1e6);
    } else if (a == "--expect-replies") {
      o.expect_replies = static_cast<int64_t>(number(a, v, 0, 1e12));
    } else if (a == "--server-pid") {
      o.server_pid = static_cast<int>(number(a, v, 1, 1 << 30));
    } else if (a == "--nts-ke") {
      o.nts_ke_port = static_cast<uint16_t>(number(a, v, 1, 65535));
    } else if (a == "--nts-ca") {
      o.nts_ca = v;
    } else if (a == "--nts-host") {
      o.nts_host = v;
    } else {
      usage_exit(fmt::format("unknown option {}", a));
    }
  }
  if (!have_server) usage_exit("--server is required");
  if (o.nts_ke_port != 0) {
    if (o.open) usage_exit("--nts-ke: closed loop only (one request per association at a time)");
    if (o.nts_ca.empty()) usage_exit("--nts-ke needs --nts-ca FILE");
    if (o.sources > 1) usage_exit("--nts-ke: one source address (--sources 1)");
  }
  return o;
}

void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
// The transmit timestamp of request `seq`: seq's low 32 bits, and above them
// 32 bits of a keyed hash of those (splitmix64 finaliser).
uint64_t stamp(uint64_t seq, uint64_t key) {
  const uint64_t lo = seq & 0xffffffffULL;
  uint64_t z = lo ^ key;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (z & 0xffffffff00000000ULL) | lo;
}

uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

class Generator {
 public:
  Generator(const Options& o, std::unique_ptr<meridian::bench::NtsFlows> nts)
      : o_(o), nts_(std::move(nts)), ring_(kRing), hist_(kHistUs + 1, 0) {
    if (getrandom(&key_, sizeof key_, 0) != static_cast<ssize_t>(sizeof key_))
      key_ = 0x9e3779b97f4a7c15ULL;
  }

  bool open_sockets() {
    for (int i = 0; i < o_.ports; ++i) {
      const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      if (fd < 0) return fail("socket");
      const int buf = 4 << 20;
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
      sockaddr_in local{};
      local.sin_family = AF_INET;
      // With many source addresses the socket takes replies to any of them.
      local.sin_addr.s_addr = htonl(o_.sources > 1 ? INADDR_ANY : INADDR_LOOPBACK);
      if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return fail("bind");
      fds_.push_back(fd);
      pfds_.push_back({fd, POLLIN, 0});
    }
    return true;
  }

  int run() {
    const int64_t server_cpu0 = o_.server_pid ? meridian::bench::server_cpu_ns(o_.server_pid) : 0;
    const int64_t start = now_ns();
    cpu0_s_ = cpu_seconds();
    const int64_t end = start + static_cast<int64_t>(o_.seconds * 1e9);
    int64_t t = start;
    while (t < end && next_ < o_.max_requests) {
      uint64_t want = 0;
      int64_t wait_ns = 10'000'000;
      if (o_.open) {
        const auto due = static_cast<uint64_t>(static_cast<double>(t - start) * 1e-9 * o_.rate) + 1;
        want = due > next_ ? due - next_ : 0;
        if (want == 0) {
          const auto next_at =
              start + static_cast<int64_t>(static_cast<double>(next_) / o_.rate * 1e9);
          wait_ns = std::max<int64_t>(0, next_at - t);
        }
      } else {
        want = inflight_ < o_.window ? o_.window - inflight_ : 0;
        if (nts_) want = std::min<uint64_t>(want, nts_->free_count());
      }
      want = std::min(want, o_.max_requests - next_);
      if (want > 0) {
        if (!send_requests(want, t)) return 1;
        wait_ns = 0;
      }
      receive(wait_ns);
      t = now_ns();
      expire(t, false);
    }
    const int64_t send_end = now_ns();
    if (o_.server_pid) server_cpu_ns_ = meridian::bench::server_cpu_ns(o_.server_pid) - server_cpu0;
    // Stragglers: wait at most the reply timeout for what is outstanding.
    const int64_t drain_end = send_end + o_.timeout_ns;
    for (int i = 0; i < 100000 && inflight_ > 0; ++i) {
      const int64_t t2 = now_ns();
      if (t2 >= drain_end) break;
      receive(std::min<int64_t>(drain_end - t2, 10'000'000));
      expire(now_ns(), false);
    }
    expire(now_ns(), true);
    report(static_cast<double>(send_end - start) * 1e-9);
    if (o_.expect_replies >= 0 &&
        (static_cast<int64_t>(valid_) < o_.expect_replies || invalid_ > 0)) {
      return 3;
    }
    return 0;
  }

 private:
  bool fail(const char* what) {
    fmt::print(stderr, "meridian-bench-load: {}: {}\n", what, std::strerror(errno));
    return false;
  }

  bool send_requests(uint64_t want, int64_t t) {
    std::array<std::array<uint8_t, 48>, kBatch> pkts{};
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> msgs{};
    std::array<std::array<uint8_t, CMSG_SPACE(sizeof(in_pktinfo))>, kBatch> ctl{};
    std::array<std::vector<std::byte>, kBatch> nts_requests;
    std::array<int64_t, kBatch> flows{};
    while (want > 0) {
      // Never reuse a ring slot whose request is still outstanding.
      if (next_ - oldest_ + kBatch >= kRing) expire(t, false, next_ + kBatch - kRing);
      auto n = static_cast<unsigned>(std::min<uint64_t>(want, kBatch));
      for (unsigned i = 0; i < n; ++i) {
        const uint64_t seq = next_ + i;
        auto& p = pkts[i];
        p.fill(0);
        p[0] = 0x23;  // LI 0, version 4, mode 3
        p[2] = 6;     // poll 64 s
        p[3] = static_cast<uint8_t>(-20);
        put_u64(p.data() + 40, stamp(seq, key_));
        iov[i] = {p.data(), p.size()};
        flows[i] = -1;
        if (nts_) {
          if (!nts_request(p, nts_requests[i], flows[i])) {
            n = i;  // no live association left for this one
            break;
          }
          iov[i] = {nts_requests[i].data(), nts_requests[i].size()};
        }
        msgs[i].msg_hdr = {};
        msgs[i].msg_hdr.msg_name = &o_.server;
        msgs[i].msg_hdr.msg_namelen = sizeof o_.server;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        if (o_.sources > 1) {
          msgs[i].msg_hdr.msg_control = ctl[i].data();
          msgs[i].msg_hdr.msg_controllen = ctl[i].size();
          cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr);
          c->cmsg_level = IPPROTO_IP;
          c->cmsg_type = IP_PKTINFO;
          c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
          in_pktinfo pi{};
          pi.ipi_spec_dst.s_addr = htonl(0x7f010000U + static_cast<uint32_t>(seq % o_.sources));
          std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
        }
      }
      if (n == 0) return true;
      const int fd = fds_[static_cast<size_t>(sock_++ % fds_.size())];
      int s = sendmmsg(fd, msgs.data(), n, 0);
      if (s < 0) {
        if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) return fail("sendmmsg");
        ++send_blocked_;  // socket buffer full: try again after receiving
        s = 0;
      }
      // NTS: an association whose request did not leave is free again (its
      // cookie is spent; the next reply's placeholders refill the jar).
      for (auto i = static_cast<unsigned>(s); i < n; ++i) {
        if (flows[i] >= 0) nts_->release(static_cast<size_t>(flows[i]));
      }
      if (s == 0) return true;
      for (int i = 0; i < s; ++i) {
        Slot& slot = ring_[(next_ + static_cast<uint64_t>(i)) & (kRing - 1)];
        slot.seq = next_ + static_cast<uint64_t>(i);
        slot.sent_ns = t;
        slot.answered = false;
        slot.flow = flows[static_cast<size_t>(i)];
      }
      next_ += static_cast<uint64_t>(s);
      inflight_ += static_cast<uint64_t>(s);
      want -= static_cast<uint64_t>(s);
      if (static_cast<unsigned>(s) < n) return true;
    }
    return true;
  }

  // The NTS request for the 48-byte header `p` from a free association;
  // false when none is left.
  bool nts_request(const std::array<uint8_t, 48>& p, std::vector<std::byte>& out, int64_t& flow) {
    std::array<std::byte, 48> header{};
    std::memcpy(header.data(), p.data(), p.size());
    for (;;) {
      flow = nts_->acquire();
      if (flow < 0) return false;
      auto request = nts_->make_request(static_cast<size_t>(flow), header);
      if (request) {
        out = std::move(*request);
        return true;
      }
      // the flow had no cookie: it is retired; try the next
    }
  }

  void receive(int64_t wait_ns) {
    timespec ts{static_cast<time_t>(wait_ns / 1000000000), static_cast<long>(wait_ns % 1000000000)};
    const int r = ppoll(pfds_.data(), pfds_.size(), &ts, nullptr);
    if (r <= 0) return;
    // NTS replies are as long as their requests: a cookie and placeholders of
    // ~100 bytes each.
    std::array<std::array<uint8_t, 2048>, kBatch> bufs;
    std::array<sockaddr_in, kBatch> from{};
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> msgs{};
    for (auto& pfd : pfds_) {
      if (!(pfd.revents & POLLIN)) continue;
      for (int round = 0; round < 64; ++round) {
        for (size_t i = 0; i < kBatch; ++i) {
          iov[i] = {bufs[i].data(), bufs[i].size()};
          msgs[i].msg_hdr = {};
          msgs[i].msg_hdr.msg_name = &from[i];
          msgs[i].msg_hdr.msg_namelen = sizeof from[i];
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
        const int n = recvmmsg(pfd.fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        const int64_t t = now_ns();
        for (size_t i = 0; i < static_cast<size_t>(n); ++i)
          check(bufs[i].data(), msgs[i].msg_len, from[i], t);
        if (n < kBatch) break;
      }
    }
  }

  void check(const uint8_t* p, unsigned len, const sockaddr_in& from, int64_t t) {
    if (from.sin_addr.s_addr != o_.server.sin_addr.s_addr || from.sin_port != o_.server.sin_port ||
        len < 48 || (p[0] & 7) != 4) {
      ++invalid_;
      return;
    }
    const uint64_t origin = get_u64(p + 24);
    if (stamp(origin, key_) != origin) {
      ++invalid_;  // an origin we never sent
      return;
    }
    // The full sequence number: the latest one sent with these low 32 bits.
    uint64_t seq = (next_ & ~0xffffffffULL) | (origin & 0xffffffffULL);
    if (seq >= next_) {
      if (seq < (uint64_t{1} << 32)) {
        ++invalid_;
        return;
      }
      seq -= uint64_t{1} << 32;
    }
    if (seq < oldest_ || ring_[seq & (kRing - 1)].seq != seq) {
      ++late_;  // answered after we gave up on it (counted lost)
      return;
    }
    Slot& slot = ring_[seq & (kRing - 1)];
    if (slot.answered) {
      ++duplicate_;
      return;
    }
    if (slot.flow >= 0 && !nts_reply_ok(slot, p, len)) return;
    slot.answered = true;
    --inflight_;
    ++valid_;
    if (p[1] == 0) ++kod_;
    const int64_t us = (t - slot.sent_ns) / 1000;
    ++hist_[static_cast<size_t>(std::clamp<int64_t>(us, 0, kHistUs))];
  }

  // RFC 8915 §5.7 checks of a reply whose origin matched `slot`'s request:
  // our UID echoed, the authenticator verifies under S2C. A NAK answers the
  // request (the association is then retired) but is an error here, as is
  // anything else that fails; those leave the request outstanding.
  bool nts_reply_ok(Slot& slot, const uint8_t* p, unsigned len) {
    const auto flow = static_cast<size_t>(slot.flow);
    const auto bytes = std::as_bytes(std::span<const uint8_t>(p, len));
    const auto verdict = nts_->on_reply(flow, bytes);
    if (verdict == meridian::nts::ReplyVerdict::kOk) {
      nts_->release(flow);
      return true;
    }
    ++invalid_;
    if (verdict == meridian::nts::ReplyVerdict::kNak) {
      slot.answered = true;
      --inflight_;
      nts_->release(flow);
    }
    return false;
  }

  // Retires answered requests and those older than the timeout (lost);
  // `all` retires everything; `upto` forces retirement below that sequence.
  void expire(int64_t t, bool all, uint64_t upto = 0) {
    while (oldest_ < next_) {
      Slot& slot = ring_[oldest_ & (kRing - 1)];
      if (!slot.answered) {
        if (!all && oldest_ >= upto && t - slot.sent_ns < o_.timeout_ns) break;
        ++lost_;
        --inflight_;
        if (slot.flow >= 0) nts_->release(static_cast<size_t>(slot.flow));
      }
      ++oldest_;
    }
  }

  double percentile_us(double q) const {
    if (valid_ == 0) return 0;
    const auto target = static_cast<uint64_t>(q * static_cast<double>(valid_ - 1)) + 1;
    uint64_t cum = 0;
    for (size_t i = 0; i < hist_.size(); ++i) {
      cum += hist_[i];
      if (cum >= target) return static_cast<double>(i);
    }
    return static_cast<double>(kHistUs);
  }

  static double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  }

  void report(double secs) const {
    const double loss =
        next_ ? static_cast<double>(next_ - valid_) / static_cast<double>(next_) : 0;
    fmt::print(
        "mode={} window={} rate={:.0f} ports={} sources={} seconds={:.3f} sent={} replies={} "
        "kod={} "
        "invalid={} late={} duplicate={} lost={} send_blocked={} send_rate={:.0f} "
        "reply_rate={:.0f} "
        "loss={:.5f} p50_us={:.0f} p99_us={:.0f} cpu_s={:.3f}",
        o_.open ? "open" : "closed", o_.window, o_.open ? o_.rate : 0.0, o_.ports, o_.sources, secs,
        next_, valid_, kod_, invalid_, late_, duplicate_, lost_, send_blocked_,
        static_cast<double>(next_) / secs, static_cast<double>(valid_) / secs, loss,
        percentile_us(0.50), percentile_us(0.99), cpu_seconds() - cpu0_s_);
    if (o_.server_pid)
      fmt::print(" server_cpu_s={:.4f}", static_cast<double>(server_cpu_ns_) * 1e-9);
    if (nts_) {
      const auto& c = nts_->counters();
      fmt::print(
          " nts_flows={} nts_ke={} nts_ke_s={:.3f} nts_authentic={} nts_nak={} nts_bad_auth={} "
          "nts_malformed={} nts_not_ours={} nts_retired={} nts_cookies_received={}",
          nts_->size(), c.key_exchanges, nts_->key_exchange_seconds(), c.authentic, c.naks,
          c.bad_auth, c.malformed, c.not_ours, c.retired, c.cookies_received);
    }
    fmt::print("\n");
  }

  Options o_;
  std::unique_ptr<meridian::bench::NtsFlows> nts_;  // null: plain NTP
  double cpu0_s_ = 0;                               // our CPU when run() started
  int64_t server_cpu_ns_ = 0;
  uint64_t key_ = 0;
  std::vector<Slot> ring_;
  std::vector<uint64_t> hist_;
  std::vector<int> fds_;
  std::vector<pollfd> pfds_;
  uint64_t sock_ = 0;
  uint64_t next_ = 0;    // next sequence number = requests sent
  uint64_t oldest_ = 0;  // oldest sequence number still tracked
  uint64_t inflight_ = 0;
  uint64_t valid_ = 0, kod_ = 0, invalid_ = 0, late_ = 0, duplicate_ = 0, lost_ = 0;
  uint64_t send_blocked_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::unique_ptr<meridian::bench::NtsFlows> nts;
  if (o.nts_ke_port != 0) {
    meridian::bench::NtsFlowOptions f;
    f.server_address = o.server_text;
    f.ke_port = o.nts_ke_port;
    f.ntp_port = ntohs(o.server.sin_port);
    f.host = o.nts_host;
    f.ca_file = o.nts_ca;
    f.flows = o.window;
    auto pool = meridian::bench::NtsFlows::create(f);
    if (!pool) {
      fmt::print(stderr, "meridian-bench-load: {}\n", pool.error().message);
      return 1;
    }
    nts = std::move(*pool);
  }
  Generator g(o, std::move(nts));
  if (!g.open_sockets()) return 1;
  return g.run();
}
