#include "core/dns/hosts_file.h"

#include <algorithm>

#include "core/dns/name.h"
#include "core/dns/text_lines.h"

namespace meridian::dns {

HostsTable HostsTable::parse(std::string_view text) {
  HostsTable table;
  for_each_line(text, [&](std::string_view line) {
    const auto fields = split_fields(line, "#");
    if (fields.empty()) return;
    const auto address = net::IpAddress::parse(fields[0]);
    if (!address || fields.size() < 2) {
      ++table.skipped_lines_;
      return;
    }
    for (size_t i = 1; i < fields.size(); ++i) {
      if (auto name = canonical_host_name(fields[i])) {
        table.entries_.push_back(Entry{std::move(*name), *address});
      }
    }
  });
  return table;
}

std::vector<net::IpAddress> HostsTable::lookup(std::string_view name,
                                               std::optional<net::Family> only) const {
  std::vector<net::IpAddress> out;
  const auto canonical = canonical_host_name(name);
  if (!canonical) return out;
  for (const auto& e : entries_) {
    if (e.name != *canonical || (only && e.address.family() != *only)) continue;
    if (std::find(out.begin(), out.end(), e.address) == out.end()) out.push_back(e.address);
  }
  return out;
}

}  // namespace meridian::dns
