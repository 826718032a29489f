#include "platform/socket_address.h"

#include <netinet/in.h>

#include <cstring>

namespace meridian::platform {

socklen_t to_sockaddr(const net::Endpoint& e, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(out));
  if (e.address.family() == net::Family::kIPv4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(e.port);
    std::memcpy(&sin->sin_addr, e.address.bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(e.port);
  std::memcpy(&sin6->sin6_addr, e.address.bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

bool from_sockaddr(const sockaddr* sa, net::Endpoint& out) {
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, sa, sizeof(sin));
    std::array<uint8_t, 4> b{};
    std::memcpy(b.data(), &sin.sin_addr, 4);
    out = net::Endpoint{net::IpAddress::v4(b), ntohs(sin.sin_port)};
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, sa, sizeof(sin6));
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), &sin6.sin6_addr, 16);
    out = net::Endpoint{net::IpAddress::v6(b), ntohs(sin6.sin6_port)};
    return true;
  }
  return false;
}

}  // namespace meridian::platform
