#include "platform/interfaces.h"

#include <fmt/format.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "platform/socket_address.h"

namespace meridian::platform {

namespace {

int prefix_length(const sockaddr* mask) {
  if (mask == nullptr) return 0;
  net::Endpoint e;
  if (!from_sockaddr(mask, e)) return 0;
  const size_t n = e.address.family() == net::Family::kIPv4 ? 4 : 16;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) bits += __builtin_popcount(e.address.bytes()[i]);
  return bits;
}

}  // namespace

Result<std::vector<LocalAddress>> list_local_addresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) < 0) {
    return make_error(ErrorCode::kIo, fmt::format("getifaddrs: {}", std::strerror(errno)));
  }
  std::vector<LocalAddress> out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    net::Endpoint e;
    if (!from_sockaddr(i->ifa_addr, e)) continue;
    out.push_back(LocalAddress{i->ifa_name, static_cast<int>(if_nametoindex(i->ifa_name)),
                               e.address, prefix_length(i->ifa_netmask)});
  }
  freeifaddrs(list);
  return out;
}

}  // namespace meridian::platform
