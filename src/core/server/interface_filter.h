// `interface listen|ignore|drop …` rules (ntp.conf(5)): the last rule that
// matches a local address decides; with no match the address is served.
// Meridian receives on wildcard sockets, so "ignore" and "drop" both mean
// that requests arriving on that address are dropped unanswered.
#pragma once

#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/net/address.h"

namespace meridian::server {

bool prefix_matches(const net::IpAddress& prefix, int prefix_len, const net::IpAddress& address);

config::InterfaceRule::Action interface_action(const std::vector<config::InterfaceRule>& rules,
                                               const net::IpAddress& local,
                                               std::string_view interface_name);

}  // namespace meridian::server
