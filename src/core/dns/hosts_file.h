// /etc/hosts (hosts(5)) as a table: "ADDRESS CANONICAL [ALIAS...]" lines,
// '#' starts a comment. Consulted before DNS, as glibc's default
// nsswitch.conf ("hosts: files dns") does.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/address.h"

namespace meridian::dns {

class HostsTable {
 public:
  // Parses hosts(5) text. Lines that do not start with an IPv4/IPv6 literal,
  // or name no host, are skipped (counted in skipped_lines()); so are
  // addresses with a zone ("fe80::1%eth0": an IpAddress carries no zone).
  // Names that are not valid host names are ignored.
  static HostsTable parse(std::string_view text);

  // Every address listed for `name` (canonical name or alias, case-insensitive,
  // a trailing dot ignored), in file order without duplicates, restricted to
  // `only` when given. Empty when the name is not listed.
  std::vector<net::IpAddress> lookup(std::string_view name,
                                     std::optional<net::Family> only = std::nullopt) const;

  size_t size() const { return entries_.size(); }
  size_t skipped_lines() const { return skipped_lines_; }

 private:
  struct Entry {
    std::string name;  // canonical form (canonical_host_name)
    net::IpAddress address;
  };
  std::vector<Entry> entries_;
  size_t skipped_lines_ = 0;
};

}  // namespace meridian::dns
