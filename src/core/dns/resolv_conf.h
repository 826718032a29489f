// resolv.conf(5) for our stub resolver, and the list of names a lookup
// tries (the search list).
//
// Supported, as glibc reads them:
//   nameserver ADDR      IPv4 or IPv6 literal; at most kMaxNameservers, in
//                        order; addresses with a zone ("fe80::1%eth0") are
//                        skipped (an IpAddress carries no zone)
//   search D1 D2 ...     search list (at most kMaxSearchDomains)
//   domain D             search list of one domain; the last of
//                        search/domain wins
//   options timeout:N attempts:N ndots:N   (clamped as glibc does)
// Comments start with '#' or ';'. Everything else (sortlist, other options,
// the RES_OPTIONS/LOCALDOMAIN environment, a default domain taken from the
// host name) is ignored. No nameserver line means the local machine
// (127.0.0.1), as resolv.conf(5) specifies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/net/address.h"

namespace meridian::dns {

constexpr size_t kMaxNameservers = 3;    // glibc MAXNS
constexpr size_t kMaxSearchDomains = 6;  // classic MAXDNSRCH
constexpr int kMaxTimeoutS = 30;         // glibc RES_MAXRETRANS
constexpr int kMaxAttempts = 5;          // glibc RES_MAXRETRY
constexpr int kMaxNdots = 15;            // glibc RES_MAXNDOTS

struct ResolverConfig {
  std::vector<net::IpAddress> nameservers;  // never empty after parse_resolv_conf
  int timeout_s = 5;                        // per query and server, 1 … kMaxTimeoutS
  int attempts = 2;                         // rounds over all servers, 1 … kMaxAttempts
  int ndots = 1;                            // 0 … kMaxNdots
  std::vector<std::string> search;          // canonical domain names
};

ResolverConfig parse_resolv_conf(std::string_view text);

// The names to query for `name` (a canonical host name), in order, as glibc's
// res_search: an absolute name (trailing dot) only as given; a name with at
// least `ndots` dots as given first, then with each search domain appended;
// a name with fewer dots with each search domain first, then as given.
// Names that would exceed 255 octets are left out.
std::vector<std::string> search_names(std::string_view name, const ResolverConfig& config);

}  // namespace meridian::dns
