#include "platform/connected_udp.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/socket_address.h"

namespace meridian::platform {

namespace {

Error socket_error(const std::string& what, int err) {
  ErrorCode code = ErrorCode::kIo;
  if (err == EAFNOSUPPORT || err == EPROTONOSUPPORT || err == EINVAL)
    code = ErrorCode::kUnsupported;
  if (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH || err == EADDRNOTAVAIL ||
      err == ENETDOWN || err == EHOSTDOWN || err == EMFILE || err == ENFILE || err == ENOBUFS) {
    code = ErrorCode::kUnavailable;
  }
  if (err == EACCES || err == EPERM) code = ErrorCode::kPermissionDenied;
  return make_error(code, fmt::format("{}: {}", what, std::strerror(err)));
}

}  // namespace

ConnectedUdpSocket::~ConnectedUdpSocket() {
  if (fd_ >= 0) close(fd_);
}

ConnectedUdpSocket& ConnectedUdpSocket::operator=(ConnectedUdpSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Result<ConnectedUdpSocket> ConnectedUdpSocket::open(const net::Endpoint& peer) {
  const bool v6 = peer.address.family() == net::Family::kIPv6;
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return socket_error(v6 ? "socket(AF_INET6)" : "socket(AF_INET)", errno);
  ConnectedUdpSocket sock(fd);
  const int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return socket_error("fcntl", errno);
  // Not inherited by the programs ntpd may run.
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(peer, ss);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return socket_error(fmt::format("connect({})", peer.to_string()), errno);
  }
  return sock;
}

Status ConnectedUdpSocket::send(std::span<const std::byte> data) const {
  // sendto without an address: the connected peer (DESIGN.md §5 lists sendto).
  if (sendto(fd_, data.data(), data.size(), 0, nullptr, 0) < 0) return socket_error("send", errno);
  return {};
}

Result<std::optional<std::vector<std::byte>>> ConnectedUdpSocket::receive(size_t max_size) const {
  std::vector<std::byte> buf(max_size);
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const ssize_t n = recvmsg(fd_, &msg, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return std::optional<std::vector<std::byte>>();
    }
    return socket_error("recvmsg", errno);
  }
  if ((msg.msg_flags & MSG_TRUNC) != 0) return std::optional<std::vector<std::byte>>();
  buf.resize(static_cast<size_t>(n));
  return std::optional<std::vector<std::byte>>(std::move(buf));
}

}  // namespace meridian::platform
