// The batched UDP path of the multi-threaded server (`threads N`, DESIGN.md
// §5: opt-in, so it may use SO_REUSEPORT, recvmmsg/sendmmsg and a reuseport
// steering program). Not used by the default single-threaded daemon.
//
// Steering: every listening address has one SO_REUSEPORT group. The main
// thread's socket joins first (index 0), then one socket per worker
// (indices 1..N). A classic BPF program attached to the group sends every
// datagram whose first byte says mode 3 (client request) to worker
// 1 + hash(source address) mod N, and everything else (mode 6 from ntpq,
// replies to our own client requests, mode 1/2/4/5/7 and runts) to the main
// thread's socket. The source port is not hashed: the MRU list and the rate
// limiter key on the address alone, so one client always lands on the same
// worker and each worker's limiter needs no lock.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::platform {

// The worker a client address is steered to (0-based), as the BPF program
// computes it; exposed so tests can predict it.
uint32_t steering_worker(const net::IpAddress& source, uint32_t workers);

// Attaches the steering program to the SO_REUSEPORT group of `fd` (a bound
// socket of `family`), for a group holding the main socket then `workers`
// worker sockets, in that order.
Status attach_steering(int fd, net::Family family, uint32_t workers);

// Fixed buffers for one batch: nothing is allocated per packet.
class PacketBatch {
 public:
  static constexpr size_t kBatch = 32;
  static constexpr size_t kBuffer = 1024;  // longer datagrams are dropped (MSG_TRUNC)

  struct Received {
    net::Endpoint from;
    std::optional<net::IpAddress> local;  // destination address (pktinfo)
    std::span<const std::byte> data;
    std::optional<std::timespec> kernel_rx_time;  // CLOCK_REALTIME
  };

  PacketBatch();
  PacketBatch(const PacketBatch&) = delete;
  PacketBatch& operator=(const PacketBatch&) = delete;

  // recvmmsg without blocking; returns how many datagrams arrived (0: none).
  Result<size_t> receive(int fd);
  // The i-th datagram of the last receive(); false when it cannot be used
  // (truncated, unknown address family).
  bool get(size_t i, Received& out) const;
  // A buffer for the reply to the i-th datagram, then queue(i, length)
  // (sent back to its source, from the address it was sent to).
  std::span<std::byte> reply_buffer(size_t i) { return replies_[i]; }
  void queue(size_t i, size_t length);
  // sendmmsg of every queued reply; returns how many the kernel took.
  Result<size_t> send(int fd);

 private:
  std::array<std::array<std::byte, kBuffer>, kBatch> buffers_;
  std::array<std::array<std::byte, kBuffer>, kBatch>
      replies_;  // NTS replies are as long as requests
  std::array<sockaddr_storage, kBatch> names_;
  std::array<iovec, kBatch> iov_;
  std::array<mmsghdr, kBatch> msgs_;
  struct alignas(cmsghdr) Control {
    std::array<char, 256> bytes;
  };
  std::array<Control, kBatch> control_;
  // Outgoing.
  std::array<iovec, kBatch> out_iov_;
  std::array<mmsghdr, kBatch> out_msgs_;
  std::array<Control, kBatch> out_control_;
  size_t received_ = 0;
  size_t queued_ = 0;
};

}  // namespace meridian::platform
