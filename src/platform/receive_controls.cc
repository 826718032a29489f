#include "platform/receive_controls.h"

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

namespace meridian::platform {

ReceiveControls read_receive_controls(msghdr& msg) {
  ReceiveControls out;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
      scm_timestamping ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      if (ts.ts[0].tv_sec != 0 || ts.ts[0].tv_nsec != 0) out.kernel_rx_time = ts.ts[0];
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      std::timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      out.kernel_rx_time = ts;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi{};
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      std::array<uint8_t, 4> b{};
      std::memcpy(b.data(), &pi.ipi_addr, 4);
      out.local = net::IpAddress::v4(b);
      out.interface_index = pi.ipi_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi{};
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      std::array<uint8_t, 16> b{};
      std::memcpy(b.data(), &pi.ipi6_addr, 16);
      out.local = net::IpAddress::v6(b);
      out.interface_index = static_cast<int>(pi.ipi6_ifindex);
    }
  }
  return out;
}

}  // namespace meridian::platform
