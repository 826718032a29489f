#include "daemon/client_setup.h"

#include <fmt/format.h>

#include <algorithm>

#include "platform/resolver.h"

namespace meridian::daemon {

namespace {

constexpr uint16_t kNtpPort = 123;

source::AssociationOptions association_options(const config::AssociationConfig& a,
                                               const net::IpAddress& address) {
  source::AssociationOptions o;
  o.endpoint = net::Endpoint{address, a.port.value_or(kNtpPort)};
  o.name = a.host;
  o.iburst = a.iburst;
  o.burst = a.burst;
  o.prefer = a.prefer;
  o.noselect = a.noselect;
  o.true_ticker = a.true_ticker;
  o.from_pool = a.kind == config::AssociationKind::kPool;
  o.minpoll = std::clamp(a.minpoll.value_or(source::kDefaultMinPoll), 3, 17);
  o.maxpoll = std::clamp(a.maxpoll.value_or(source::kDefaultMaxPoll), o.minpoll, 17);
  o.version = static_cast<uint8_t>(std::clamp(a.version.value_or(4), 1, 4));
  return o;
}

}  // namespace

engine::ClientConfig build_client_config(const config::Config& config, const Options& options,
                                         int8_t precision, std::optional<double> drift_ppm,
                                         Logger& log) {
  engine::ClientConfig c;
  c.precision = precision;
  const int maxclock = config.tos.maxclock.value_or(10);
  int pooled = 0;
  for (const auto& a : config.associations) {
    if (a.kind == config::AssociationKind::kPeer) {
      log.warning(fmt::format("{}:{}: symmetric peers are not supported yet; using {} as a server",
                              a.where.file, a.where.line, a.host));
    }
    auto addrs = platform::resolve_host(a.host, options.family);
    if (!addrs) {
      log.error(fmt::format("{}:{}: cannot resolve {}: {}", a.where.file, a.where.line, a.host,
                            addrs.error().message));
      continue;
    }
    // A `server` name uses its first address (classic); a `pool` takes
    // several, up to `tos maxclock` in all.
    for (const auto& address : *addrs) {
      if (a.kind == config::AssociationKind::kPool && pooled >= maxclock) break;
      c.servers.push_back(association_options(a, address));
      if (a.kind != config::AssociationKind::kPool) break;
      ++pooled;
    }
  }
  if (config.tos.minsane) c.select.minsane = *config.tos.minsane;
  if (config.tos.minclock) c.select.minclock = *config.tos.minclock;
  if (config.tos.maxclock) c.select.maxclock = *config.tos.maxclock;
  if (config.tos.maxdist_s) c.select.maxdist_s = *config.tos.maxdist_s;
  auto& d = c.discipline;
  if (config.tinker.step_s) d.step_threshold_s = *config.tinker.step_s;
  if (config.tinker.stepout_s) d.stepout_s = *config.tinker.stepout_s;
  if (config.tinker.panic_s) d.panic_threshold_s = *config.tinker.panic_s;
  d.slew_only = options.slew_only;
  d.allow_big_first_step =
      options.allow_big_first_step;  // -q does not imply -g (classic: ntpd -gq)
  d.initial_frequency_ppm = drift_ppm;
  if (auto it = config.system_flags.find("ntp"); it != config.system_flags.end()) {
    c.discipline_clock = it->second;
  }
  return c;
}

}  // namespace meridian::daemon
