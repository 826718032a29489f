// Plain non-blocking UDP sockets for IPv4 and IPv6 (DESIGN.md §5: SOCK_DGRAM,
// O_NONBLOCK via fcntl, recvmsg with one iovec). Each received datagram
// carries the kernel's software receive timestamp (SO_TIMESTAMPING) when the
// kernel provides one, and the local address it arrived on (IP_PKTINFO /
// IPV6_RECVPKTINFO).
#pragma once

#include <cstddef>
#include <ctime>
#include <optional>
#include <span>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::platform {

// The largest datagram we receive whole (larger than any NTP, NTS or mode 6
// datagram we accept); a longer one is dropped (MSG_TRUNC).
inline constexpr size_t kMaxDatagramSize = 4096;

struct Datagram {
  net::Endpoint from;
  std::optional<net::IpAddress> local;  // destination address (pktinfo)
  int interface_index = 0;              // arrival interface (pktinfo), 0 if unknown
  std::vector<std::byte> data;
  std::optional<std::timespec> kernel_rx_time;  // CLOCK_REALTIME, software timestamp
};

// The same, its bytes in a buffer the caller owns (receive_into): the
// server's per-request path allocates nothing.
struct DatagramView {
  net::Endpoint from;
  std::optional<net::IpAddress> local;
  int interface_index = 0;
  std::span<const std::byte> data;
  std::optional<std::timespec> kernel_rx_time;
};

class UdpSocket {
 public:
  UdpSocket() = default;
  ~UdpSocket();
  UdpSocket(UdpSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UdpSocket& operator=(UdpSocket&& o) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Opens and binds to `local` (port 0 = any free port). IPv6 sockets are
  // IPV6_V6ONLY. Fails with kUnavailable for EADDRINUSE, kPermissionDenied
  // for EACCES (privileged port), kUnsupported when the family is missing.
  // `reuse_port` sets SO_REUSEPORT first (the `threads` fast path shares the
  // port between the main thread's socket and the workers').
  static Result<UdpSocket> bind(const net::Endpoint& local, bool reuse_port = false);
  // Opens a socket of `peer`'s family and connect()s it: the kernel binds it
  // to a random ephemeral port (Linux randomises UDP autobind) and from then
  // on delivers only datagrams from exactly `peer`'s address and port
  // (RFC 9109 §3: one port per association, replies only from the server).
  // Receive timestamps and pktinfo are on, as for bound sockets. Needs no
  // privilege. Errors as for bind; an unreachable peer is kUnavailable.
  static Result<UdpSocket> connect(const net::Endpoint& peer);

  // Sends to the connected peer (sockets made by connect()).
  Status send(std::span<const std::byte> data) const;

  Status send_to(const net::Endpoint& to, std::span<const std::byte> data) const;
  // Sends with `from` as the source address (IP_PKTINFO / IPV6_PKTINFO), so a
  // wildcard-bound server answers from the address the request was sent to.
  Status send_from(const net::IpAddress& from, const net::Endpoint& to,
                   std::span<const std::byte> data) const;
  // Non-blocking; an empty optional means nothing is queued.
  Result<std::optional<Datagram>> receive() const;
  // Non-blocking, one recvmsg into `buffer` (the datagram's bytes stay there;
  // out.data points at them). Returns false when nothing is queued (or the
  // datagram was dropped: longer than `buffer`, or of an unknown family).
  // REQUIRES: buffer.size() >= kMaxDatagramSize, so what receive() accepts
  // is accepted here too.
  Result<bool> receive_into(std::span<std::byte> buffer, DatagramView& out) const;
  // The bound local endpoint (useful after binding port 0).
  Result<net::Endpoint> local_endpoint() const;
  int fd() const { return fd_; }

 private:
  explicit UdpSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Waits until one of `fds` is readable or `timeout_ns` passes (poll()).
// Returns the indices of readable fds; empty on timeout. EINTR counts as a
// timeout so callers re-check their signal flags.
Result<std::vector<size_t>> wait_readable(std::span<const int> fds, int64_t timeout_ns);

}  // namespace meridian::platform
