#include "tools/ntpdate/query.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "core/auth/client_auth.h"
#include "core/source/exchange.h"
#include "platform/udp_socket.h"

namespace meridian::ntpdate {

namespace {

using platform::UdpSocket;

constexpr int64_t kNs = 1'000'000'000;

int64_t seconds_to_ns(double s) { return static_cast<int64_t>(std::llround(s * 1e9)); }

struct Exchange {
  ServerOutcome outcome;
  UdpSocket* socket = nullptr;
  int sent = 0;
  int64_t next_send_ns = 0;
  std::optional<int64_t> deadline_ns;  // set while a request is in flight
  source::PendingRequest pending;
  bool done = false;
};

// Binds one socket of the family: port 123 first unless told otherwise.
Result<UdpSocket> bind_source(net::Family family, bool try_port_123, Output& out) {
  const net::IpAddress any =
      family == net::Family::kIPv4 ? net::IpAddress::v4({0, 0, 0, 0}) : net::IpAddress::v6({});
  if (try_port_123) {
    auto s = UdpSocket::bind(net::Endpoint{any, 123});
    if (s) return s;
    if (s.error().code == ErrorCode::kUnavailable) {
      // The classic ntpdate gave up here ("the NTP socket is in use,
      // exiting"). The reply reaches any source port, so carry on.
      out.error("port 123 is in use (another NTP daemon?); using an unprivileged source port");
    } else if (s.error().code != ErrorCode::kPermissionDenied) {
      return s.error();
    }
    // EACCES: not root; an unprivileged port is exactly what -u would use.
  }
  return UdpSocket::bind(net::Endpoint{any, 0});
}

void trace_reply(Output& out, const Exchange& x, const wire::NtpHeader& h,
                 const source::Evaluation& e) {
  out.plain(fmt::format("receive({}): leap {}, version {}, mode {}, stratum {}, refid {}",
                        x.outcome.endpoint.address.to_string(), static_cast<int>(h.leap), h.version,
                        static_cast<int>(h.mode), h.stratum,
                        h.stratum <= 1 ? wire::refid_to_ascii(h.reference_id)
                                       : fmt::format("{:08x}", h.reference_id)));
  if (e.verdict == source::Verdict::kAccepted) {
    out.plain(fmt::format(
        "  offset {:+.6f} s, delay {:.5f} s, dispersion {:.5f} s, root distance {:.6f} s",
        e.sample.offset_s, e.sample.delay_s, e.sample.dispersion_s, e.sample.root_distance_s()));
  } else {
    out.plain(fmt::format("  rejected: {}", source::describe(e.verdict)));
  }
}

// With -a, a reply counts only if it carries a valid MAC under our key (the
// rules of ntpd's `server ... key N`, auth/client_auth.h). Anything else (no
// MAC, crypto-NAK, another key id, bad digest) is ignored like a spoofed
// packet, so the genuine reply can still arrive before the timeout.
bool reply_authentic(const platform::Datagram& d, const QueryParams& params, Exchange& x,
                     Output& out) {
  const auth::ClientAuth v =
      auth::verify_reply(d.data, *params.key_id, *params.keys, *params.mac_engine);
  if (v == auth::ClientAuth::kOk) return true;
  ++x.outcome.auth_failures;
  if (params.debug) {
    out.plain(fmt::format("receive({}): authentication failed: {}",
                          x.outcome.endpoint.address.to_string(), auth::to_string(v)));
  }
  return false;
}

// Vets one datagram from x's server and records what it tells us.
void handle_reply(Exchange& x, const platform::Datagram& d, platform::Clock& clock,
                  const QueryParams& params, int64_t now_ns, Output& out) {
  const time::NtpTime t4 =
      d.kernel_rx_time ? clock.from_kernel_realtime(*d.kernel_rx_time) : clock.now();
  auto header = wire::parse_header(d.data);
  if (!header) {
    if (params.debug)
      out.plain(fmt::format("receive({}): {}", d.from.address.to_string(), header.error().message));
    return;
  }
  if (!x.deadline_ns) return;  // nothing in flight: late or unsolicited
  if (params.key_id && !reply_authentic(d, params, x, out)) return;
  source::Evaluation e =
      source::evaluate_reply(*header, x.pending, t4.to_timestamp(), clock.precision_log2());
  // Classic ntpdate (clock_select): a server whose reference time is unset
  // or more than NTP_MAXAGE (1 day) before its transmit time is not
  // suitable — stricter than ntpd, which follows RFC 5905's test 6 alone.
  constexpr double kMaxReferenceAge_s = 86400;
  if (e.verdict == source::Verdict::kAccepted &&
      (header->reference.is_zero() ||
       (header->transmit - header->reference).to_seconds() > kMaxReferenceAge_s)) {
    e.verdict = source::Verdict::kUnsynchronised;
  }
  if (params.debug) trace_reply(out, x, *header, e);
  switch (e.verdict) {
    case source::Verdict::kNotServerMode:
    case source::Verdict::kBadVersion:
    case source::Verdict::kDuplicate:
    case source::Verdict::kBogusOrigin:
      return;  // not an answer to the request in flight; keep waiting for it
    default:
      break;
  }
  x.deadline_ns.reset();
  x.next_send_ns = std::max(x.next_send_ns, now_ns);
  switch (source::action_for(e.verdict)) {
    case source::ServerAction::kUse:
      x.outcome.accepted.samples.push_back(e.sample);
      x.pending.previous_server_transmit = e.sample.server_transmit;
      break;
    case source::ServerAction::kBackOff:
      // A one-shot tool backs off by sending nothing more; samples so far count.
      x.outcome.kiss_code = e.kiss_code;
      x.outcome.last_rejection = e.verdict;
      x.done = true;
      out.error(fmt::format("{}: {}; not sending more requests",
                            x.outcome.endpoint.address.to_string(), source::describe(e.verdict)));
      return;
    case source::ServerAction::kStopUsing:
      x.outcome.kiss_code = e.kiss_code;
      x.outcome.last_rejection = e.verdict;
      x.outcome.accepted.samples.clear();
      x.outcome.stopped = true;
      x.done = true;
      out.error(fmt::format("{}: {}; not using this server", x.outcome.endpoint.address.to_string(),
                            source::describe(e.verdict)));
      return;
    case source::ServerAction::kIgnoreReply:
      x.outcome.last_rejection = e.verdict;
      if (e.verdict == source::Verdict::kKissOther) x.outcome.kiss_code = e.kiss_code;
      break;
  }
  if (x.sent >= params.samples) x.done = true;
}

}  // namespace

Result<std::vector<ServerOutcome>> query_servers(const std::vector<net::Endpoint>& servers,
                                                 const QueryParams& params, platform::Clock& clock,
                                                 RandomSource& random, Output& out) {
  // Source port 123 is the classic default, meaningful only towards port 123.
  const bool try_123 = !params.unprivileged_port && params.port == 123;
  std::array<std::optional<UdpSocket>, 2> sockets;  // [0] IPv4, [1] IPv6
  std::vector<Exchange> xs;
  for (const auto& ep : servers) {
    const size_t fam = ep.address.family() == net::Family::kIPv4 ? 0 : 1;
    if (!sockets[fam]) {
      auto s = bind_source(ep.address.family(), try_123, out);
      if (!s) {
        if (s.error().code == ErrorCode::kUnavailable)
          return make_error(ErrorCode::kUnavailable, "the NTP socket is in use, exiting");
        out.error(fmt::format("cannot open a socket for {}: {}", ep.address.to_string(),
                              s.error().message));
        continue;  // e.g. no IPv6 stack: the other family may still work
      }
      sockets[fam] = std::move(*s);
    }
    Exchange x;
    x.outcome.endpoint = ep;
    x.socket = &*sockets[fam];
    xs.push_back(std::move(x));
  }
  if (xs.empty() && !servers.empty()) {
    return make_error(ErrorCode::kUnavailable, "no usable socket for any server address");
  }
  std::vector<int> fds;
  std::vector<UdpSocket*> fd_sockets;
  for (auto& s : sockets) {
    if (s) {
      fds.push_back(s->fd());
      fd_sockets.push_back(&*s);
    }
  }
  const int64_t timeout_ns = seconds_to_ns(params.timeout_s);
  const int64_t interval_ns = seconds_to_ns(params.interval_s);
  const int64_t start_ns = platform::read_monotonic_ns();
  // Hard bound on the whole run, whatever the servers do.
  const int64_t give_up_ns = start_ns + params.samples * (timeout_ns + interval_ns) + 2 * kNs;
  while (true) {
    int64_t now_ns = platform::read_monotonic_ns();
    int64_t wake_ns = give_up_ns;
    bool all_done = true;
    for (auto& x : xs) {
      if (x.done) continue;
      if (x.deadline_ns && now_ns >= *x.deadline_ns) {  // timed out
        x.deadline_ns.reset();
        if (params.debug)
          out.plain(fmt::format("timeout({})", x.outcome.endpoint.address.to_string()));
        if (x.sent >= params.samples) {
          x.done = true;
          continue;
        }
      }
      if (!x.deadline_ns && now_ns >= x.next_send_ns) {
        // T1 with random bits below ~60 ns: unpredictable to off-path spoofers,
        // far below the clock's real precision.
        const uint64_t noise = random.next_u64() & 0xff;
        const time::NtpTimestamp t1 = time::NtpTimestamp::from_raw(
            (clock.now().to_timestamp().raw() & ~uint64_t{0xff}) | noise);
        x.pending.transmit = t1;
        const wire::NtpHeader req =
            source::make_client_request(t1, 6, static_cast<uint8_t>(params.version));
        std::vector<std::byte> bytes;
        wire::serialize_header(req, bytes);
        if (params.key_id) {
          auto signed_bytes = auth::sign_request(std::move(bytes), *params.key_id, *params.keys,
                                                 *params.mac_engine);
          if (!signed_bytes) return signed_bytes.error();
          bytes = std::move(*signed_bytes);
        }
        auto sent = x.socket->send_to(x.outcome.endpoint, bytes);
        if (params.debug) {
          out.plain(fmt::format("transmit({}){}", x.outcome.endpoint.address.to_string(),
                                sent ? "" : ": " + sent.error().message));
        }
        ++x.sent;
        x.deadline_ns = now_ns + timeout_ns;
        x.next_send_ns = now_ns + interval_ns;
      }
      all_done = false;
      wake_ns = std::min(wake_ns, x.deadline_ns ? *x.deadline_ns : x.next_send_ns);
    }
    if (all_done || now_ns >= give_up_ns) break;
    auto ready = platform::wait_readable(fds, std::max<int64_t>(wake_ns - now_ns, 0));
    if (!ready) return ready.error();
    for (size_t i : *ready) {
      // Drain the socket: several replies may be queued.
      for (int n = 0; n < 64; ++n) {
        auto d = fd_sockets[i]->receive();
        if (!d) return d.error();
        if (!*d) break;
        now_ns = platform::read_monotonic_ns();
        for (auto& x : xs) {
          if (!x.done && x.outcome.endpoint == (*d)->from) {
            handle_reply(x, **d, clock, params, now_ns, out);
            break;
          }
        }
      }
    }
  }
  std::vector<ServerOutcome> outcomes;
  for (auto& x : xs) outcomes.push_back(std::move(x.outcome));
  return outcomes;
}

}  // namespace meridian::ntpdate
