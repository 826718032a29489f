// Address canonicalisation shared by the restrict table and the MRU table.
// A dual-stack socket reports IPv4 clients as IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d, RFC 4291 §2.5.5.2); both tables must treat such a client
// exactly like the same client arriving on an IPv4 socket, or an operator's
// `restrict 192.0.2.0 mask 255.255.255.0 …` and the rate limiter's per-address
// history could be bypassed by choosing the other socket.
#pragma once

#include <array>
#include <cstdint>

#include "core/net/address.h"

namespace meridian::access {

inline bool is_v4_mapped(const net::IpAddress& address) {
  if (address.family() != net::Family::kIPv6) return false;
  const auto& b = address.bytes();
  for (size_t i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

// IPv4-mapped IPv6 → the IPv4 address; anything else unchanged.
inline net::IpAddress canonical_address(const net::IpAddress& address) {
  if (!is_v4_mapped(address)) return address;
  const auto& b = address.bytes();
  return net::IpAddress::v4({b[12], b[13], b[14], b[15]});
}

// Multicast source addresses are never legitimate NTP clients (classic
// ntp_restrict.c ignores them before any rule is consulted): 224.0.0.0/4 and
// ff00::/8. REQUIRES: `address` is canonical.
inline bool is_multicast_source(const net::IpAddress& address) {
  const auto& b = address.bytes();
  if (address.family() == net::Family::kIPv4) return (b[0] & 0xf0) == 0xe0;
  return b[0] == 0xff;
}

}  // namespace meridian::access
