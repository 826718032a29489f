// The address position of server/restrict/interface lines: an IPv4 or IPv6
// literal, a bracketed IPv6 literal ("[::1]"), an optional CIDR suffix
// ("10.0.0.0/8", "fe80::/10"), or a host name. Plus mask arithmetic.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::config::internal {

struct AddressSpec {
  std::optional<net::IpAddress> address;  // set for literals
  std::string host;                       // set for host names
  std::optional<int> prefix_len;          // "/N" when written
  std::string text;                       // as written, brackets removed, no "/N"
};

// Errors (kMalformed) carry a message fit for "FILE:LINE: <directive>: <message>".
Result<AddressSpec> parse_address_spec(std::string_view token, bool allow_prefix);

int family_bits(net::Family family);  // 32 or 128
net::IpAddress prefix_mask(net::Family family, int prefix_len);
// The prefix length of a contiguous mask (ones then zeros); nullopt otherwise.
std::optional<int> mask_prefix_length(const net::IpAddress& mask);
net::IpAddress apply_mask(const net::IpAddress& address, const net::IpAddress& mask);
// The number of one bits (a specificity measure that also works for odd masks).
int mask_ones(const net::IpAddress& mask);

}  // namespace meridian::config::internal
