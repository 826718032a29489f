// A non-blocking UDP socket connect()ed to one peer: the kernel picks a
// random ephemeral source port at connect (Linux autobind starts at a random
// point of ip_local_port_range) and drops datagrams from any other address or
// port, so a stub resolver gets the RFC 5452 §9.2 source-port randomisation
// and stray replies never reach it. DESIGN.md §5 rules: SOCK_DGRAM,
// O_NONBLOCK set with fcntl, send/recvmsg with one iovec.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::platform {

class ConnectedUdpSocket {
 public:
  ConnectedUdpSocket() = default;
  ~ConnectedUdpSocket();
  ConnectedUdpSocket(ConnectedUdpSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ConnectedUdpSocket& operator=(ConnectedUdpSocket&& o) noexcept;
  ConnectedUdpSocket(const ConnectedUdpSocket&) = delete;
  ConnectedUdpSocket& operator=(const ConnectedUdpSocket&) = delete;

  // Opens a socket of the peer's family and connects it. kUnsupported when
  // the family is missing (no IPv6 stack), kUnavailable/kIo otherwise.
  static Result<ConnectedUdpSocket> open(const net::Endpoint& peer);

  Status send(std::span<const std::byte> data) const;
  // Non-blocking: nullopt when nothing is queued. An ICMP error the kernel
  // reported for the peer (port unreachable → ECONNREFUSED, …) is an
  // kUnavailable error. Datagrams larger than `max_size` are dropped.
  Result<std::optional<std::vector<std::byte>>> receive(size_t max_size) const;
  int fd() const { return fd_; }

 private:
  explicit ConnectedUdpSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace meridian::platform
