#include "daemon/server_loop.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>

#include "core/control/local_clock_peer.h"
#include "core/server/interface_filter.h"
#include "platform/random_os.h"

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

// serve(): up to kRxBatch requests are read (one recvmsg each, DESIGN.md §5)
// before any is answered, and at most kRxRounds batches per socket and
// wakeup, so timers and the other sockets still get their turn. Reading a
// batch first keeps the replies' sendmsg calls back to back (the kernel's
// send path stays hot, and a client busy reading them is not put to sleep
// and woken again between two replies).
constexpr size_t kRxBatch = 32;
constexpr int kRxRounds = 8;
// Room for kRxBatch NTP requests and their MACs plus one datagram of the
// largest size; a batch ends early when less than that is left.
constexpr size_t kRxSlot = 128;
constexpr size_t kRxBufferSize = kRxBatch * kRxSlot + platform::kMaxDatagramSize;

uint32_t refid_from_text(const std::string& s) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    v = (v << 8) | (i < s.size() ? static_cast<uint8_t>(s[i]) : 0u);
  }
  return v;
}

// Tells the kernel (through the clock backend) whether we are synchronised
// and how good the time is, so adjtimex/ntptime users and the kernel's
// 11-minute RTC sync see it: synchronised = a system peer is selected;
// maximum error = root delay/2 + root dispersion (grown by Φ = 15 ppm since
// the reference time); estimated error = system jitter. Skipped with
// `disable kernel` or `disable ntp` and for the readonly clock; a refusal
// (e.g. no CAP_SYS_TIME) is logged once, then at debug level.
void report_synchronisation(platform::Clock& clock, const engine::ClientEngine& client,
                            const config::Config& config, Logger& log, bool& refusal_logged) {
  for (const char* flag : {"kernel", "ntp"}) {
    if (auto it = config.system_flags.find(flag); it != config.system_flags.end() && !it->second)
      return;
  }
  if (clock.name() == "readonly") return;
  const auto sys = client.system(static_cast<double>(platform::read_monotonic_ns()) * 1e-9);
  const bool synchronised = sys.system_peer.has_value() && sys.server.synchronised();
  double max_error_s = 16;  // the kernel's "unknown" (NTP_PHASE_LIMIT)
  if (synchronised) {
    const double age_s = std::max(0.0, (clock.now() - sys.server.reference_time).to_seconds());
    max_error_s = sys.server.root_delay_s / 2 + sys.server.root_dispersion_s + 15e-6 * age_s;
  }
  const double est_error_s = synchronised ? sys.system_jitter_s : 0;
  if (auto st = clock.report_synchronisation(synchronised, max_error_s, est_error_s); !st) {
    if (!refusal_logged) {
      log.warning(fmt::format("cannot report synchronisation status to the kernel: {}",
                              st.error().message));
      refusal_logged = true;
    } else {
      log.debug(st.error().message);
    }
  }
}

}  // namespace

struct ServerLoop::RxBatch {
  std::unique_ptr<std::byte[]> buffer{new std::byte[kRxBufferSize]};  // not zeroed: untouched
  std::array<platform::DatagramView, kRxBatch> datagrams;
  // Where handle() writes a reply: an NTS reply is as long as its request.
  std::unique_ptr<std::byte[]> reply{new std::byte[platform::kMaxDatagramSize]};
};

void install_signal_handlers(SignalFlags& flags) {
  g_flags = &flags;
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  // Restart interrupted blocking calls (a syslog send waiting on a full
  // /dev/log queue must not fail, or glibc drops the line and reconnects,
  // which the dropped privileges may not allow). poll() still returns EINTR
  // whatever the flag, so the loop sees the signal at once.
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = on_reload;
  sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, nullptr);
}

ServerLoop::ServerLoop(const config::Config& config, const LoopSettings& settings,
                       platform::Clock& clock, server::ServerCore& core, Logger& log)
    : config_(config), settings_(settings), clock_(clock), core_(core), log_(log) {
  platform::OsRandom random;
  control_ = std::make_unique<control::ControlResponder>(
      std::array<uint64_t, 2>{random.next_u64(), random.next_u64()});
  struct utsname names {};
  if (uname(&names) == 0) {
    processor_ = names.machine;
    system_name_ = fmt::format("{}/{}", names.sysname, names.release);
  }
}

ServerLoop::~ServerLoop() = default;

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
    auto s = platform::UdpSocket::bind(net::Endpoint{w.any, settings_.port}, settings_.reuse_port);
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
  tell_client_our_addresses();
}

void ServerLoop::tell_client_our_addresses() {
  if (client_ == nullptr) return;
  std::vector<net::IpAddress> own;
  for (const auto& a : addresses_) own.push_back(a.address);
  client_->set_own_addresses(own);
}

void ServerLoop::refresh_view() {
  update_view();
  if (view_hook_) view_hook_();
}

void ServerLoop::update_view() {
  // The local clock driver (`server 127.127.1.0` + `fudge … stratum N`)
  // makes us a synchronised island; otherwise, until the client side
  // synchronises us, we tell clients not to use us.
  const double now_s = static_cast<double>(platform::read_monotonic_ns()) * 1e-9;
  if (client_ != nullptr) {
    const auto sys = client_->system(now_s);
    if (sys.server.synchronised()) {
      core_.set_view(sys.server);
      last_synchronised_s_ = now_s;
      return;
    }
  }
  // `tos orphan N`: when no upstream has been usable for `orphanwait`
  // seconds (default 300, counted from start or from the loss), serve our
  // clock at stratum N so an island network keeps a common time. The refid
  // is 127.0.0.1 (what classic ntpd shows for an orphan parent). A local
  // clock driver, if configured, takes precedence.
  const double orphan_wait_s = config_.tos.orphanwait_s.value_or(300);
  if (config_.tos.orphan && config_.local_clocks.empty() &&
      now_s - last_synchronised_s_ >= orphan_wait_s) {
    if (!orphan_)
      log_.notice(fmt::format("orphan mode: serving at stratum {}", *config_.tos.orphan));
    orphan_ = true;
    core_.set_view(
        server::local_clock_view(static_cast<uint8_t>(std::clamp(*config_.tos.orphan, 1, 15)),
                                 0x7f000001, clock_.precision_log2(), clock_.now()));
    return;
  }
  orphan_ = false;
  if (!config_.local_clocks.empty()) {
    const auto& lc = config_.local_clocks.front();
    // Like the classic daemon, we are one stratum below the driver we follow:
    // `fudge 127.127.1.0 stratum 10` serves stratum 11 (default 5 → 6, the
    // "synchronised to local net at stratum 6" of ntpstat). The refid is the
    // driver's address 127.127.1.U (classic ntpq shows LOCAL(U)), or its text
    // (LOCL, or `fudge refid`) when the driver claims stratum 0.
    const uint32_t refid =
        lc.stratum == 0
            ? refid_from_text(lc.refid.value_or("LOCL"))
            : net::IpAddress::v4({127, 127, 1, static_cast<uint8_t>(std::clamp(lc.unit, 0, 255))})
                  .v4_value();
    core_.set_view(server::local_clock_view(static_cast<uint8_t>(std::clamp(lc.stratum + 1, 1, 15)),
                                            refid, clock_.precision_log2(), clock_.now()));
  } else {
    core_.set_view(server::ServerView::unsynchronised(clock_.precision_log2()));
  }
}

void ServerLoop::serve(const platform::UdpSocket& socket) {
  if (!rx_batch_) rx_batch_ = std::make_unique<RxBatch>();
  RxBatch& b = *rx_batch_;
  const std::span<std::byte> buffer(b.buffer.get(), kRxBufferSize);
  for (int round = 0; round < kRxRounds; ++round) {
    size_t n = 0;
    size_t used = 0;
    while (n < kRxBatch && buffer.size() - used >= platform::kMaxDatagramSize) {
      auto got = socket.receive_into(buffer.subspan(used), b.datagrams[n]);
      if (!got) {
        log_.debug(got.error().message);
        break;
      }
      if (!*got) break;
      // The next one starts after this one, 16-byte aligned.
      used += (b.datagrams[n].data.size() + 15) & ~size_t{15};
      ++n;
    }
    if (n == 0) return;
    // One monotonic read per batch is precise enough for rate limiting.
    const double now_s = static_cast<double>(platform::read_monotonic_ns()) * 1e-9;
    for (size_t i = 0; i < n; ++i) handle(socket, b.datagrams[i], now_s);
    if (n < kRxBatch && buffer.size() - used >= platform::kMaxDatagramSize) return;  // drained
  }
}

void ServerLoop::handle(const platform::UdpSocket& socket, const platform::DatagramView& d,
                        double now_s) {
  const time::NtpTime rx =
      d.kernel_rx_time ? clock_.from_kernel_realtime(*d.kernel_rx_time) : clock_.now();
  // `interface` rules: only looked up when there are any (the common case
  // pays nothing per packet).
  if (!config_.interfaces.empty() && d.local) {
    std::string_view ifname;
    for (const auto& a : addresses_) {
      if (a.interface_index == d.interface_index) {
        ifname = a.interface_name;
        break;
      }
    }
    if (server::interface_action(config_.interfaces, *d.local, ifname) !=
        config::InterfaceRule::Action::kListen) {
      return;
    }
  }
  if (!d.data.empty() && (std::to_integer<unsigned>(d.data[0]) & 7) == 6) {
    handle_control(socket, d);
    return;
  }
  // Replies to our own requests arrive on the associations' sockets
  // (handle_reply); a server reply here is at best stray, at worst forged
  // by someone who guessed a request's origin timestamp: the server core
  // drops it (mode 4 is not a request).
  static_assert(platform::kMaxDatagramSize >= server::ServerCore::kMaxReplySize);
  const std::span<std::byte> space(rx_batch_->reply.get(), platform::kMaxDatagramSize);
  const size_t length = core_.handle_into(d.data, d.from, rx, clock_.now(), now_s, space);
  if (length == 0) return;
  const std::span<const std::byte> reply = space.first(length);
  const Status sent =
      d.local ? socket.send_from(*d.local, d.from, reply) : socket.send_to(d.from, reply);
  if (!sent)
    log_.debug(fmt::format("reply to {} failed: {}", d.from.to_string(), sent.error().message));
}

void ServerLoop::handle_control(const platform::UdpSocket& socket,
                                const platform::DatagramView& d) {
  const access::AccessDecision decision = core_.control_access(d.from);
  if (!decision.served()) return;  // noquery / ignore: silence, as classic
  const double now_s = static_cast<double>(platform::read_monotonic_ns()) * 1e-9;
  control::ControlSnapshot snap;
  snap.server = core_.view();
  if (client_ != nullptr) {
    snap.system = client_->system(now_s);
    snap.peers = client_->peers(now_s);
  }
  snap.local_clock =
      !config_.local_clocks.empty() && !(snap.system && snap.system->server.synchronised());
  // The local clock driver as the classic pseudo-association LOCAL(U).
  for (const auto& lc : config_.local_clocks) {
    snap.peers.push_back(control::local_clock_peer(
        {.unit = lc.unit,
         .stratum = lc.stratum,
         .refid = refid_from_text(lc.refid.value_or("LOCL")),
         .precision = static_cast<int8_t>(clock_.precision_log2()),
         .started_s = started_s_,
         .now_s = now_s,
         .system_peer = snap.local_clock && &lc == &config_.local_clocks.front()}));
  }
  snap.clock = clock_.now();
  snap.now_s = now_s;
  if (d.local) snap.local_address = *d.local;
  if (auto local = socket.local_endpoint()) snap.local_port = local->port;
  snap.version = fmt::format("ntpd Meridian {}", MERIDIAN_VERSION);
  snap.processor = processor_;
  snap.system_name = system_name_;
  snap.stats = statistics(now_s);
  const auto responses = control_->handle(d.data, d.from, decision, snap, &core_.limiter().mru());
  for (const auto& r : responses) {
    const Status sent = d.local ? socket.send_from(*d.local, d.from, r) : socket.send_to(d.from, r);
    if (!sent) {
      log_.debug(
          fmt::format("mode 6 reply to {} failed: {}", d.from.to_string(), sent.error().message));
      return;
    }
  }
}

control::ServerStatistics ServerLoop::statistics(double now_s) const {
  using server::Outcome;
  control::ServerStatistics st;
  st.uptime_s = now_s - started_s_;
  st.reset_s = st.uptime_s;
  st.received = core_.received();
  st.current_version = core_.current_version();
  st.old_version = core_.old_version();
  st.bad_format = core_.count(Outcome::kDroppedMalformed);
  st.bad_auth = core_.count(Outcome::kDroppedAuth) + core_.count(Outcome::kKissDeny);
  st.declined = core_.count(Outcome::kDroppedMode);
  st.restricted = core_.count(Outcome::kDroppedRestricted);
  st.limited = core_.count(Outcome::kDroppedRateLimited) + core_.count(Outcome::kKissRate);
  st.kod_sent = core_.count(Outcome::kKissRate);
  st.processed = core_.count(Outcome::kReplied) + core_.count(Outcome::kKissRate) +
                 core_.count(Outcome::kKissDeny);
  if (statistics_source_) statistics_source_(st);
  return st;
}

int ServerLoop::run(SignalFlags& flags) {
  std::vector<int> fds;
  for (const auto& s : sockets_) fds.push_back(s.fd());
  next_rescan_ns_ = platform::read_monotonic_ns() + kRescanInterval;
  next_view_refresh_ns_ = platform::read_monotonic_ns() + kViewRefreshInterval;
  while (!flags.stop) {
    if (flags.reload) {
      flags.reload = 0;
      if (reload_hook_) reload_hook_();
    }
    const int64_t now = platform::read_monotonic_ns();
    if (now >= next_rescan_ns_) {
      rescan_interfaces();
      // Also refresh the kernel's sync status about every minute, so a lost
      // system peer is reported (STA_UNSYNC) even without clock updates.
      if (client_ != nullptr)
        report_synchronisation(clock_, *client_, config_, log_, sync_refusal_logged_);
      next_rescan_ns_ = now + kRescanInterval;
    }
    if (now >= next_view_refresh_ns_) {
      refresh_view();
      next_view_refresh_ns_ = now + kViewRefreshInterval;
    }
    for (auto& p : periodic_) {
      if (now < p.next_ns) continue;
      if (p.next_ns != 0) p.task();
      p.next_ns = now + p.interval_ns;
    }
    const int64_t tick_due = tick_hook_ ? tick_hook_(now) : now + kSecond;
    int64_t client_due = now + kSecond;
    if (client_ != nullptr) {
      run_upstreams(static_cast<double>(now) * 1e-9);
      run_key_exchanges(static_cast<double>(now) * 1e-9);
      run_client(static_cast<double>(now) * 1e-9);
      if (stop_) break;
      double due_s = client_->next_wakeup_s();
      if (upstreams_ != nullptr && lookups_ != nullptr) {
        due_s = std::min({due_s, upstreams_->next_lookup_s(), lookups_->next_deadline_s()});
      }
      client_due = static_cast<int64_t>(std::min(due_s, 1e9) * 1e9);
      // A handshake runs on a thread of its own: look for its end often.
      if (key_exchanges_ != nullptr && key_exchanges_->busy())
        client_due = std::min<int64_t>(client_due, now + kSecond / 20);
    }
    close_unused_association_sockets();  // a reload or the pool upkeep may have removed some
    std::vector<int> wait_fds = fds;
    std::vector<size_t> association_ids;  // wait_fds[sockets_.size() + k] is association_ids[k]
    for (const auto& [id, socket] : association_sockets_) {
      wait_fds.push_back(socket.fd());
      association_ids.push_back(id);
    }
    if (lookups_ != nullptr) {
      for (int fd : lookups_->fds()) wait_fds.push_back(fd);
    }
    const int64_t wait = std::max<int64_t>(
        0, std::min({next_rescan_ns_, next_view_refresh_ns_, client_due, tick_due, now + kSecond}) -
               now);
    auto ready = platform::wait_readable(wait_fds, wait);
    if (!ready) {
      log_.error(fmt::format("poll failed: {}", ready.error().message));
      return 1;
    }
    for (size_t i : *ready) {
      if (i >= sockets_.size() + association_ids.size()) {
        lookups_->on_ready(static_cast<double>(platform::read_monotonic_ns()) * 1e-9);
        continue;
      }
      if (i >= sockets_.size()) {
        const size_t id = association_ids[i - sockets_.size()];
        for (int n = 0; n < 16; ++n) {  // bounded drain (a server sends one reply per request)
          const auto it = association_sockets_.find(id);
          if (it == association_sockets_.end()) break;
          auto d = it->second.receive();
          if (!d) {
            log_.debug(d.error().message);
            break;
          }
          if (!*d) break;
          handle_reply(id, **d);
        }
        if (stop_) break;
        continue;
      }
      serve(sockets_[i]);  // bounded drain, then let timers run
    }
    if (stop_) break;
  }
  if (!stop_) log_.notice("exiting on signal");
  return exit_status_;
}

void ServerLoop::apply(const std::vector<engine::Action>& actions) {
  for (const auto& action : actions) {
    bool write_failed = false;
    if (const auto* send = std::get_if<engine::SendRequest>(&action)) {
      // From the association's own socket (random port), not the listening
      // one: RFC 9109. A classic server's `restrict … ntpport` rules, which
      // match source port 123 only, no longer see our requests as such.
      send_request(*send);
    } else if (const auto* step = std::get_if<engine::StepClock>(&action)) {
      const Status st = clock_.step(time::NtpDuration::from_seconds(step->by_s));
      if (st) {
        log_.notice(fmt::format("time stepped by {:+.6f} s", step->by_s));
      } else {
        log_.debug(fmt::format("cannot step the clock: {}", st.error().message));
      }
      write_failed = !st;
      report_clock_write(st);
    } else if (const auto* freq = std::get_if<engine::SetFrequency>(&action)) {
      const Status st = clock_.set_frequency(freq->ppm);
      if (!st) log_.debug(fmt::format("cannot set the clock frequency: {}", st.error().message));
      write_failed = !st;
      report_clock_write(st);
      // Every clock update ends with SetFrequency: report the new status.
      if (client_ != nullptr)
        report_synchronisation(clock_, *client_, config_, log_, sync_refusal_logged_);
    } else if (const auto* ev = std::get_if<engine::LogEvent>(&action)) {
      log_event(*ev);
    } else if (const auto* arm = std::get_if<engine::ArmLeap>(&action)) {
      if (auto st = clock_.arm_leap(arm->kind); !st) {
        log_.error(fmt::format("cannot {} the leap second: {}",
                               arm->kind == leap::LeapKind::kNone ? "disarm" : "arm",
                               st.error().message));
      }
    } else if (const auto* ke = std::get_if<engine::KeyExchange>(&action)) {
      if (key_exchanges_ != nullptr) {
        key_exchanges_->start(*ke);
      } else if (client_ != nullptr) {
        std::vector<engine::Action> follow_up;
        client_->on_key_exchange(
            ke->association,
            make_error(ErrorCode::kUnsupported, "NTS-KE is not available in this process"),
            static_cast<double>(platform::read_monotonic_ns()) * 1e-9, follow_up);
        for (const auto& f : follow_up) {
          if (const auto* line = std::get_if<engine::LogEvent>(&f)) log_event(*line);
        }
      }
    } else if (const auto* panic = std::get_if<engine::Panic>(&action)) {
      log_.error(
          fmt::format("offset {:+.3f} s exceeds the panic threshold; set the clock manually "
                      "or start with -g. Exiting.",
                      panic->offset_s));
      exit_status_ = 1;
      stop_ = true;
    }
    if (write_failed && update_hook_) {
      // -q: the clock could not be set (logged by the client): fail.
      exit_status_ = 1;
      stop_ = true;
    }
    if (!stop_ && update_hook_ && update_hook_(action)) stop_ = true;
    if (stop_) break;  // -q done or panic: the rest of the batch must not run
  }
  refresh_view();
  if (client_observer_)
    client_observer_(static_cast<double>(platform::read_monotonic_ns()) * 1e-9, actions);
}

void ServerLoop::report_clock_write(const Status& result) {
  if (client_ == nullptr) {
    if (!result) log_.error(result.error().message);
    return;
  }
  std::vector<engine::Action> follow_up;  // log lines on a change of state
  client_->on_clock_write(result, follow_up);
  for (const auto& a : follow_up) {
    if (const auto* ev = std::get_if<engine::LogEvent>(&a)) log_event(*ev);
  }
}

void ServerLoop::log_event(const engine::LogEvent& ev) {
  switch (ev.level) {
    case engine::LogEvent::Level::kError:
      log_.error(ev.text);
      break;
    case engine::LogEvent::Level::kWarning:
      log_.warning(ev.text);
      break;
    case engine::LogEvent::Level::kNotice:
      log_.notice(ev.text);
      break;
    case engine::LogEvent::Level::kInfo:
      log_.info(ev.text);
      break;
  }
}

}  // namespace meridian::daemon
