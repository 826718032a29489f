#include "daemon/server_loop.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/server/interface_filter.h"

namespace meridian::daemon {

namespace {

SignalFlags* g_flags = nullptr;  // the one global: signal handlers need it

void on_stop(int) {
  if (g_flags != nullptr) g_flags->stop = 1;
}
void on_reload(int) {
  if (g_flags != nullptr) g_flags->reload = 1;
}

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kRescanInterval = 60 * kSecond;  // notice new/removed addresses
constexpr int64_t kViewRefreshInterval = 16 * kSecond;

uint32_t refid_from_text(const std::string& s) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    v = (v << 8) | (i < s.size() ? static_cast<uint8_t>(s[i]) : 0u);
  }
  return v;
}

}  // namespace

void install_signal_handlers(SignalFlags& flags) {
  g_flags = &flags;
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = on_reload;
  sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, nullptr);
}

ServerLoop::ServerLoop(const config::Config& config, const LoopSettings& settings,
                       platform::Clock& clock, server::ServerCore& core, Logger& log)
    : config_(config), settings_(settings), clock_(clock), core_(core), log_(log) {}

Status ServerLoop::open() {
  struct Wildcard {
    net::Family family;
    net::IpAddress any;
  };
  const Wildcard wildcards[] = {{net::Family::kIPv4, net::IpAddress::v4({0, 0, 0, 0})},
                                {net::Family::kIPv6, net::IpAddress::v6({})}};
  std::string last_error;
  for (const auto& w : wildcards) {
    if (settings_.family && *settings_.family != w.family) continue;
    auto s = platform::UdpSocket::bind(net::Endpoint{w.any, settings_.port});
    if (!s) {
      // No IPv6 stack (ipv6.disable=1) is not fatal: log once, serve IPv4.
      log_.warning(fmt::format("cannot listen on {}: {}",
                               net::Endpoint{w.any, settings_.port}.to_string(),
                               s.error().message));
      last_error = s.error().message;
      continue;
    }
    log_.info(fmt::format("listening on {}", s->local_endpoint()->to_string()));
    sockets_.push_back(std::move(*s));
  }
  if (sockets_.empty())
    return make_error(ErrorCode::kUnavailable, "no socket could be bound: " + last_error);
  rescan_interfaces();
  refresh_view();
  return {};
}

std::vector<net::Endpoint> ServerLoop::bound() const {
  std::vector<net::Endpoint> out;
  for (const auto& s : sockets_) {
    if (auto e = s.local_endpoint()) out.push_back(*e);
  }
  return out;
}

void ServerLoop::rescan_interfaces() {
  auto list = platform::list_local_addresses();
  if (!list) {
    log_.warning(fmt::format("interface scan failed: {}", list.error().message));
    return;
  }
  for (const auto& a : *list) {
    if (std::find(addresses_.begin(), addresses_.end(), a) == addresses_.end()) {
      const auto action = server::interface_action(config_.interfaces, a.address, a.interface_name);
      log_.info(fmt::format(
          "{} {} on {}", action == config::InterfaceRule::Action::kListen ? "serving" : "ignoring",
          a.address.to_string(), a.interface_name));
    }
  }
  for (const auto& a : addresses_) {
    if (std::find(list->begin(), list->end(), a) == list->end()) {
      log_.info(fmt::format("address {} on {} went away", a.address.to_string(), a.interface_name));
    }
  }
  addresses_ = std::move(*list);
}

void ServerLoop::refresh_view() {
  // The local clock driver (`server 127.127.1.0` + `fudge … stratum N`)
  // makes us a synchronised island; otherwise, until the client side
  // synchronises us, we tell clients not to use us.
  if (!config_.local_clocks.empty()) {
    const auto& lc = config_.local_clocks.front();
    const uint32_t refid = refid_from_text(lc.refid.value_or("LOCL"));
    // Like the classic daemon, we are one stratum below the driver we follow:
    // `fudge 127.127.1.0 stratum 10` serves stratum 11 (default 5 → 6, the
    // "synchronised to local net at stratum 6" of ntpstat).
    core_.set_view(server::local_clock_view(static_cast<uint8_t>(std::clamp(lc.stratum + 1, 1, 15)),
                                            refid, clock_.precision_log2(), clock_.now()));
  } else {
    core_.set_view(server::ServerView::unsynchronised(clock_.precision_log2()));
  }
}

void ServerLoop::handle(const platform::UdpSocket& socket, const platform::Datagram& d) {
  const time::NtpTime rx =
      d.kernel_rx_time ? clock_.from_kernel_realtime(*d.kernel_rx_time) : clock_.now();
  std::string_view ifname;
  for (const auto& a : addresses_) {
    if (a.interface_index == d.interface_index) {
      ifname = a.interface_name;
      break;
    }
  }
  if (d.local && server::interface_action(config_.interfaces, *d.local, ifname) !=
                     config::InterfaceRule::Action::kListen) {
    return;
  }
  const double now_s = static_cast<double>(platform::read_monotonic_ns()) * 1e-9;
  auto reply = core_.handle(d.data, d.from, rx, clock_.now(), now_s);
  if (!reply) return;
  const Status sent =
      d.local ? socket.send_from(*d.local, d.from, *reply) : socket.send_to(d.from, *reply);
  if (!sent)
    log_.debug(fmt::format("reply to {} failed: {}", d.from.to_string(), sent.error().message));
}

int ServerLoop::run(SignalFlags& flags) {
  std::vector<int> fds;
  for (const auto& s : sockets_) fds.push_back(s.fd());
  next_rescan_ns_ = platform::read_monotonic_ns() + kRescanInterval;
  next_view_refresh_ns_ = platform::read_monotonic_ns() + kViewRefreshInterval;
  while (!flags.stop) {
    const int64_t now = platform::read_monotonic_ns();
    if (now >= next_rescan_ns_) {
      rescan_interfaces();
      next_rescan_ns_ = now + kRescanInterval;
    }
    if (now >= next_view_refresh_ns_) {
      refresh_view();
      next_view_refresh_ns_ = now + kViewRefreshInterval;
    }
    const int64_t wait = std::min({next_rescan_ns_, next_view_refresh_ns_, now + kSecond}) - now;
    auto ready = platform::wait_readable(fds, wait);
    if (!ready) {
      log_.error(fmt::format("poll failed: {}", ready.error().message));
      return 1;
    }
    for (size_t i : *ready) {
      for (int n = 0; n < 256; ++n) {  // bounded drain, then let timers run
        auto d = sockets_[i].receive();
        if (!d) {
          log_.debug(d.error().message);
          break;
        }
        if (!*d) break;
        handle(sockets_[i], **d);
      }
    }
  }
  log_.notice("exiting on signal");
  return 0;
}

}  // namespace meridian::daemon
