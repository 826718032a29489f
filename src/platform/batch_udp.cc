#include "platform/batch_udp.h"

#include <fmt/format.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "platform/receive_controls.h"
#include "platform/socket_address.h"

namespace meridian::platform {

namespace {

constexpr uint32_t kGoldenRatio = 2654435761u;  // Knuth's multiplicative hash

uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

Error os_error(const std::string& what) {
  return make_error(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(errno)));
}

}  // namespace

uint32_t steering_worker(const net::IpAddress& source, uint32_t workers) {
  const auto bytes = source.bytes();
  uint32_t a = 0;
  if (source.family() == net::Family::kIPv4) {
    a = be32(bytes.data());
  } else {
    for (size_t i = 0; i < 16; i += 4) a ^= be32(bytes.data() + i);
  }
  a *= kGoldenRatio;
  a >>= 16;
  return workers == 0 ? 0 : a % workers;
}

Status attach_steering(int fd, net::Family family, uint32_t workers) {
  if (workers == 0) return make_error(ErrorCode::kInvalidArgument, "no workers to steer to");
  // A = payload byte 0 (the kernel pulls the UDP header before running the
  // program); negative SKF_NET_OFF offsets read the IP header.
  std::vector<sock_filter> code;
  code.push_back(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0));
  code.push_back(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 7));
  code.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, 1, 0));
  code.push_back(BPF_STMT(BPF_RET | BPF_K, 0));  // not a client request: the main thread
  if (family == net::Family::kIPv4) {
    code.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(SKF_NET_OFF + 12)));
  } else {
    // Source address: IPv6 header bytes 8..23, folded by xor.
    code.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(SKF_NET_OFF + 8)));
    for (int off : {12, 16, 20}) {
      code.push_back(BPF_STMT(BPF_MISC | BPF_TAX, 0));
      code.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(SKF_NET_OFF + off)));
      code.push_back(BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0));
    }
  }
  code.push_back(BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, kGoldenRatio));
  code.push_back(BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16));
  code.push_back(BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers));
  code.push_back(BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1));
  code.push_back(BPF_STMT(BPF_RET | BPF_A, 0));
  sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0) {
    return os_error("SO_ATTACH_REUSEPORT_CBPF");
  }
  return {};
}

PacketBatch::PacketBatch() {
  for (size_t i = 0; i < kBatch; ++i) {
    iov_[i] = iovec{buffers_[i].data(), buffers_[i].size()};
    msgs_[i] = mmsghdr{};
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &names_[i];
    msgs_[i].msg_hdr.msg_control = control_[i].bytes.data();
  }
}

Result<size_t> PacketBatch::receive(int fd) {
  received_ = 0;
  queued_ = 0;
  for (size_t i = 0; i < kBatch; ++i) {
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_controllen = control_[i].bytes.size();
    msgs_[i].msg_hdr.msg_flags = 0;
  }
  const int n = recvmmsg(fd, msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED ||
        errno == EHOSTUNREACH || errno == ENETUNREACH) {
      return size_t{0};
    }
    return os_error("recvmmsg");
  }
  received_ = static_cast<size_t>(n);
  return received_;
}

bool PacketBatch::get(size_t i, Received& out) const {
  if (i >= received_) return false;
  const msghdr& m = msgs_[i].msg_hdr;
  if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) return false;
  if (!from_sockaddr(reinterpret_cast<const sockaddr*>(&names_[i]), out.from)) return false;
  out.data = std::span<const std::byte>(buffers_[i].data(), msgs_[i].msg_len);
  // The CMSG macros take a non-const header.
  const ReceiveControls controls = read_receive_controls(const_cast<msghdr&>(m));
  out.local = controls.local;
  out.kernel_rx_time = controls.kernel_rx_time;
  return true;
}

void PacketBatch::queue(size_t i, size_t length) {
  if (i >= received_ || queued_ >= kBatch || length > replies_[i].size()) return;
  const size_t q = queued_++;
  out_iov_[q] = iovec{replies_[i].data(), length};
  msghdr& m = out_msgs_[q].msg_hdr;
  m = msghdr{};
  m.msg_name = &names_[i];  // back to the source
  m.msg_namelen = msgs_[i].msg_hdr.msg_namelen;
  m.msg_iov = &out_iov_[q];
  m.msg_iovlen = 1;
  // From the address the request was sent to (wildcard sockets, multi-homed hosts).
  Received r;
  if (!get(i, r) || !r.local) return;
  m.msg_control = out_control_[q].bytes.data();
  cmsghdr* c = nullptr;
  if (r.local->family() == net::Family::kIPv4) {
    m.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi{};
    std::memcpy(&pi.ipi_spec_dst, r.local->bytes().data(), 4);
    std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
  } else {
    m.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo pi{};
    std::memcpy(&pi.ipi6_addr, r.local->bytes().data(), 16);
    std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
  }
}

Result<size_t> PacketBatch::send(int fd) {
  size_t sent = 0;
  // A full socket buffer or a per-message error stops sendmmsg early: skip
  // the message it stopped at (UDP: a lost reply), bounded by the batch.
  while (sent < queued_) {
    const int n =
        sendmmsg(fd, out_msgs_.data() + sent, static_cast<unsigned>(queued_ - sent), MSG_DONTWAIT);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      ++sent;  // drop the one that failed
      continue;
    }
    sent += static_cast<size_t>(n);
  }
  const size_t total = queued_;
  queued_ = 0;
  return total;
}

}  // namespace meridian::platform
