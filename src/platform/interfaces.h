// The host's local addresses and interface names (getifaddrs), for
// `interface listen|ignore|drop` rules and the periodic rescan.
#pragma once

#include <string>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::platform {

struct LocalAddress {
  std::string interface_name;  // "lo", "eth0"
  int interface_index = 0;
  net::IpAddress address;
  int prefix_len = 0;
  friend bool operator==(const LocalAddress&, const LocalAddress&) = default;
};

Result<std::vector<LocalAddress>> list_local_addresses();

}  // namespace meridian::platform
