#include "platform/resolver.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>

#include "platform/socket_address.h"

namespace meridian::platform {

Result<std::vector<net::IpAddress>> resolve_host(std::string_view host,
                                                 std::optional<net::Family> only) {
  // Literals need no resolver at all (and never block).
  std::string name(host);
  if (name.size() > 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  if (auto literal = net::IpAddress::parse(name)) {
    if (only && literal->family() != *only) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: address family excluded by -4/-6", name));
    }
    return std::vector<net::IpAddress>{*literal};
  }
  addrinfo hints{};
  hints.ai_family = !only ? AF_UNSPEC : (*only == net::Family::kIPv4 ? AF_INET : AF_INET6);
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    return make_error(ErrorCode::kUnavailable, fmt::format("{}: {}", name, gai_strerror(rc)));
  }
  std::vector<net::IpAddress> out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    net::Endpoint e;
    if (from_sockaddr(ai->ai_addr, e) &&
        std::find(out.begin(), out.end(), e.address) == out.end()) {
      out.push_back(e.address);
    }
  }
  freeaddrinfo(res);
  if (out.empty())
    return make_error(ErrorCode::kUnavailable, fmt::format("{}: no addresses", name));
  return out;
}

}  // namespace meridian::platform
