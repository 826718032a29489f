#include "platform/udp_socket.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "platform/receive_controls.h"
#include "platform/socket_address.h"

namespace meridian::platform {

namespace {

// Control buffer sized for everything we enable (pktinfo + timestamps) with room to spare.
constexpr size_t kControlBuffer = 512;

Error socket_error(const std::string& what, int err) {
  ErrorCode code = ErrorCode::kIo;
  if (err == EADDRINUSE) code = ErrorCode::kUnavailable;
  if (err == EACCES || err == EPERM) code = ErrorCode::kPermissionDenied;
  if (err == EAFNOSUPPORT || err == EINVAL || err == EPROTONOSUPPORT || err == EADDRNOTAVAIL) {
    code = ErrorCode::kUnsupported;
  }
  return make_error(code, fmt::format("{}: {}", what, std::strerror(err)));
}

void enable_option(int fd, int level, int name, int value) {
  // Best effort: a kernel without the option still works, only less precisely.
  (void)setsockopt(fd, level, name, &value, sizeof(value));
}

// A non-blocking datagram socket of `family` with pktinfo and kernel receive
// timestamps enabled (DESIGN.md §5: plain SOCK_DGRAM, O_NONBLOCK via fcntl).
Result<int> open_datagram_socket(net::Family family) {
  const bool v6 = family == net::Family::kIPv6;
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return socket_error(v6 ? "socket(AF_INET6)" : "socket(AF_INET)", errno);
  const int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    const int err = errno;
    close(fd);
    return socket_error("fcntl", err);
  }
  if (v6) {
    enable_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    enable_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
  } else {
    enable_option(fd, IPPROTO_IP, IP_PKTINFO, 1);
  }
  const int ts_flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &ts_flags, sizeof(ts_flags)) < 0) {
    enable_option(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);  // older kernels
  }
  return fd;
}

}  // namespace

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Result<UdpSocket> UdpSocket::bind(const net::Endpoint& local, bool reuse_port) {
  auto fd = open_datagram_socket(local.address.family());
  if (!fd) return fd.error();
  UdpSocket sock(*fd);
  if (reuse_port) {
    const int one = 1;
    if (setsockopt(*fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
      return socket_error("SO_REUSEPORT", errno);
  }
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(local, ss);
  if (::bind(*fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return socket_error(fmt::format("bind({})", local.to_string()), errno);
  }
  return sock;
}

Result<UdpSocket> UdpSocket::connect(const net::Endpoint& peer) {
  auto fd = open_datagram_socket(peer.address.family());
  if (!fd) return fd.error();
  UdpSocket sock(*fd);
  // Not inherited by programs ntpd may run.
  (void)fcntl(*fd, F_SETFD, FD_CLOEXEC);
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(peer, ss);
  if (::connect(*fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    const int err = errno;
    Error e = socket_error(fmt::format("connect({})", peer.to_string()), err);
    if (err == ENETUNREACH || err == EHOSTUNREACH || err == EADDRNOTAVAIL)
      e.code = ErrorCode::kUnavailable;
    return e;
  }
  return sock;
}

Status UdpSocket::send(std::span<const std::byte> data) const {
  // sendto without an address: the connected peer (DESIGN.md §5 lists sendto).
  if (sendto(fd_, data.data(), data.size(), 0, nullptr, 0) < 0) return socket_error("send", errno);
  return {};
}

Status UdpSocket::send_to(const net::Endpoint& to, std::span<const std::byte> data) const {
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(to, ss);
  const ssize_t n = sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
  if (n < 0) return socket_error(fmt::format("sendto({})", to.to_string()), errno);
  return {};
}

Status UdpSocket::send_from(const net::IpAddress& from, const net::Endpoint& to,
                            std::span<const std::byte> data) const {
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(to, ss);
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  alignas(cmsghdr) std::array<char, kControlBuffer> control{};
  msghdr msg{};
  msg.msg_name = &ss;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  cmsghdr* c = nullptr;
  if (from.family() == net::Family::kIPv4) {
    msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi{};
    std::memcpy(&pi.ipi_spec_dst, from.bytes().data(), 4);
    std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
  } else {
    msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo pi{};
    std::memcpy(&pi.ipi6_addr, from.bytes().data(), 16);
    std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
  }
  if (sendmsg(fd_, &msg, 0) < 0) {
    return socket_error(fmt::format("sendmsg({} -> {})", from.to_string(), to.to_string()), errno);
  }
  return {};
}

Result<std::optional<Datagram>> UdpSocket::receive() const {
  std::array<std::byte, kMaxDatagramSize> buf;
  DatagramView v;
  auto got = receive_into(buf, v);
  if (!got) return got.error();
  if (!*got) return std::optional<Datagram>();
  Datagram d;
  d.from = v.from;
  d.local = v.local;
  d.interface_index = v.interface_index;
  d.data.assign(v.data.begin(), v.data.end());
  d.kernel_rx_time = v.kernel_rx_time;
  return std::optional<Datagram>(std::move(d));
}

Result<bool> UdpSocket::receive_into(std::span<std::byte> buffer, DatagramView& out) const {
  alignas(cmsghdr) std::array<char, kControlBuffer> control;
  sockaddr_storage from{};
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof(from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  const ssize_t n = recvmsg(fd_, &msg, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
    // ICMP errors (port unreachable) surface here on some kernels; treat as "nothing".
    if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) return false;
    return socket_error("recvmsg", errno);
  }
  if (!from_sockaddr(reinterpret_cast<sockaddr*>(&from), out.from)) return false;
  if (msg.msg_flags & MSG_TRUNC) return false;  // oversized: drop
  out.data = std::span<const std::byte>(buffer.data(), static_cast<size_t>(n));
  const ReceiveControls controls = read_receive_controls(msg);
  out.local = controls.local;
  out.interface_index = controls.interface_index;
  out.kernel_rx_time = controls.kernel_rx_time;
  return true;
}

Result<net::Endpoint> UdpSocket::local_endpoint() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    return socket_error("getsockname", errno);
  }
  net::Endpoint e;
  if (!from_sockaddr(reinterpret_cast<sockaddr*>(&ss), e)) {
    return make_error(ErrorCode::kIo, "getsockname: unexpected address family");
  }
  return e;
}

Result<std::vector<size_t>> wait_readable(std::span<const int> fds, int64_t timeout_ns) {
  std::vector<pollfd> pfds;
  pfds.reserve(fds.size());
  for (int fd : fds) pfds.push_back(pollfd{fd, POLLIN, 0});
  const int64_t ms = timeout_ns <= 0 ? 0 : (timeout_ns + 999'999) / 1'000'000;
  const int n = poll(pfds.data(), pfds.size(), static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
  std::vector<size_t> ready;
  if (n < 0) {
    if (errno == EINTR) return ready;
    return socket_error("poll", errno);
  }
  for (size_t i = 0; i < pfds.size(); ++i) {
    if (pfds[i].revents & (POLLIN | POLLERR)) ready.push_back(i);
  }
  return ready;
}

}  // namespace meridian::platform
