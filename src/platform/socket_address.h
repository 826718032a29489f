// Conversions between net::Endpoint and the OS's sockaddr structures.
#pragma once

#include <sys/socket.h>

#include "core/net/address.h"

namespace meridian::platform {

socklen_t to_sockaddr(const net::Endpoint& e, sockaddr_storage& out);
// Returns false for families other than AF_INET/AF_INET6.
bool from_sockaddr(const sockaddr* sa, net::Endpoint& out);

}  // namespace meridian::platform
