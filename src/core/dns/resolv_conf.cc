#include "core/dns/resolv_conf.h"

#include <algorithm>
#include <charconv>

#include "core/dns/name.h"
#include "core/dns/text_lines.h"

namespace meridian::dns {

namespace {

// "name:N" with N a non-negative decimal; clamped to [lo, hi].
bool option_value(std::string_view option, std::string_view key, int lo, int hi, int& out) {
  if (option.size() <= key.size() || option.substr(0, key.size()) != key) return false;
  option.remove_prefix(key.size());
  unsigned v = 0;
  const auto [p, ec] = std::from_chars(option.data(), option.data() + option.size(), v);
  if (ec == std::errc::result_out_of_range)
    v = static_cast<unsigned>(hi);
  else if (ec != std::errc() || p != option.data() + option.size())
    return true;  // ignored
  out = static_cast<int>(
      std::clamp<unsigned>(v, static_cast<unsigned>(lo), static_cast<unsigned>(hi)));
  return true;
}

void set_search(const std::vector<std::string_view>& fields, ResolverConfig& config) {
  config.search.clear();
  for (size_t i = 1; i < fields.size() && config.search.size() < kMaxSearchDomains; ++i) {
    auto domain = canonical_host_name(fields[i]);
    if (domain) config.search.push_back(std::move(*domain));
  }
}

}  // namespace

ResolverConfig parse_resolv_conf(std::string_view text) {
  ResolverConfig config;
  for_each_line(text, [&](std::string_view line) {
    const auto fields = split_fields(line, "#;");
    if (fields.empty()) return;
    const std::string_view keyword = fields[0];
    if (keyword == "nameserver" && fields.size() >= 2) {
      const auto address = net::IpAddress::parse(fields[1]);
      if (address && config.nameservers.size() < kMaxNameservers) {
        config.nameservers.push_back(*address);
      }
    } else if (keyword == "search" || keyword == "domain") {
      set_search(keyword == "domain" && fields.size() > 2
                     ? std::vector<std::string_view>(fields.begin(), fields.begin() + 2)
                     : fields,
                 config);
    } else if (keyword == "options") {
      for (size_t i = 1; i < fields.size(); ++i) {
        (void)(option_value(fields[i], "timeout:", 1, kMaxTimeoutS, config.timeout_s) ||
               option_value(fields[i], "attempts:", 1, kMaxAttempts, config.attempts) ||
               option_value(fields[i], "ndots:", 0, kMaxNdots, config.ndots));
      }
    }
  });
  if (config.nameservers.empty()) config.nameservers.push_back(net::IpAddress::v4_loopback());
  return config;
}

std::vector<std::string> search_names(std::string_view name, const ResolverConfig& config) {
  std::vector<std::string> out;
  const bool absolute = !name.empty() && name.back() == '.';
  auto base = canonical_host_name(name);
  if (!base) return out;
  if (absolute) {
    out.push_back(std::move(*base));
    return out;
  }
  const auto dots = static_cast<int>(std::count(base->begin(), base->end(), '.'));
  std::vector<std::string> searched;
  for (const auto& domain : config.search) {
    auto joined = canonical_host_name(*base + "." + domain);
    if (joined && std::find(searched.begin(), searched.end(), *joined) == searched.end()) {
      searched.push_back(std::move(*joined));
    }
  }
  if (dots >= config.ndots) out.push_back(*base);
  for (auto& s : searched) {
    if (s != *base) out.push_back(std::move(s));
  }
  if (dots < config.ndots) out.push_back(std::move(*base));
  return out;
}

}  // namespace meridian::dns
