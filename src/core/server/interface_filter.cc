#include "core/server/interface_filter.h"

namespace meridian::server {

bool prefix_matches(const net::IpAddress& prefix, int prefix_len, const net::IpAddress& address) {
  if (prefix.family() != address.family()) return false;
  const int max_bits = address.family() == net::Family::kIPv4 ? 32 : 128;
  int bits = prefix_len < 0 ? 0 : (prefix_len > max_bits ? max_bits : prefix_len);
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<uint8_t>(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
    if ((prefix.bytes()[i] & mask) != (address.bytes()[i] & mask)) return false;
  }
  return true;
}

config::InterfaceRule::Action interface_action(const std::vector<config::InterfaceRule>& rules,
                                               const net::IpAddress& local,
                                               std::string_view interface_name) {
  using Match = config::InterfaceRule::Match;
  auto action = config::InterfaceRule::Action::kListen;
  for (const auto& r : rules) {
    bool matches = false;
    switch (r.match) {
      case Match::kAll:
        matches = true;
        break;
      case Match::kIpv4:
        matches = local.family() == net::Family::kIPv4;
        break;
      case Match::kIpv6:
        matches = local.family() == net::Family::kIPv6;
        break;
      case Match::kWildcard:
        matches = false;
        break;  // the wildcard socket is an implementation detail
      case Match::kName:
        matches = !interface_name.empty() && r.name == interface_name;
        break;
      case Match::kPrefix:
        matches = prefix_matches(r.address, r.prefix_len, local);
        break;
    }
    if (matches) action = r.action;
  }
  return action;
}

}  // namespace meridian::server
