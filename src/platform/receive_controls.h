// The ancillary data ntpd's UDP sockets ask the kernel for, read from one
// received message: the software receive timestamp (SO_TIMESTAMPING, or
// SCM_TIMESTAMPNS) and the destination address and interface (IP_PKTINFO,
// IPV6_PKTINFO). One reader for the single-datagram and the batched paths.
#pragma once

#include <sys/socket.h>

#include <ctime>
#include <optional>

#include "core/net/address.h"

namespace meridian::platform {

struct ReceiveControls {
  std::optional<net::IpAddress> local;          // destination address (pktinfo)
  int interface_index = 0;                      // arrival interface (pktinfo), 0 if unknown
  std::optional<std::timespec> kernel_rx_time;  // CLOCK_REALTIME, software timestamp
};

// REQUIRES: msg is a message recvmsg/recvmmsg filled in (msg_control and
// msg_controllen as the kernel left them).
ReceiveControls read_receive_controls(msghdr& msg);

}  // namespace meridian::platform
