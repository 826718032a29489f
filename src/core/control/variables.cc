#include "core/control/variables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/control/local_clock_peer.h"

namespace meridian::control {
namespace {

constexpr double kPhi = 15e-6;   // RFC 5905 §7.3: dispersion growth, s/s
constexpr size_t kMaxLine = 72;  // classic MAXDATALINELEN

// RFC 9327 §2.4 peer selection field, from ntpq's tally code.
uint8_t selection_code(select::Tally t) {
  switch (t) {
    case select::Tally::kReject:
      return 0;
    case select::Tally::kFalseticker:
      return 1;
    case select::Tally::kExcess:
      return 2;
    case select::Tally::kOutlier:
      return 3;
    case select::Tally::kCandidate:
      return 4;
    case select::Tally::kBackup:
      return 5;
    case select::Tally::kSystemPeer:
      return 6;
  }
  return 0;
}

std::string ms(double seconds, int decimals) {
  return fmt::format("{:.{}f}", seconds * 1e3, decimals);
}

}  // namespace

time::NtpTime wall_time(const ControlSnapshot& s, double monotonic_s) {
  const double ago = std::max(0.0, s.now_s - monotonic_s);
  const auto whole = static_cast<int64_t>(ago);
  const auto frac = static_cast<uint32_t>((ago - static_cast<double>(whole)) * 4294967296.0);
  int64_t secs = s.clock.seconds_since_1900() - whole;
  uint32_t f = s.clock.fraction();
  if (f < frac) --secs;
  f -= frac;  // modulo 2^32, borrowing above
  return time::NtpTime::from_parts(secs, f);
}

namespace {

double seconds_between(time::NtpTime later, time::NtpTime earlier) {
  return static_cast<double>(later.seconds_since_1900() - earlier.seconds_since_1900()) +
         (static_cast<double>(later.fraction()) - static_cast<double>(earlier.fraction())) /
             4294967296.0;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c != '"' && c != ',' && std::isprint(static_cast<unsigned char>(c))) out += c;
  }
  return out + "\"";
}

}  // namespace

std::string refid_text(uint32_t refid, uint8_t stratum) {
  if (stratum <= 1 || stratum >= 16) {
    std::string text;
    for (int shift = 24; shift >= 0; shift -= 8) {
      const auto c = static_cast<char>((refid >> shift) & 0xff);
      if (c == 0) break;
      text += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    }
    return text;
  }
  return fmt::format("{}.{}.{}.{}", refid >> 24, (refid >> 16) & 0xff, (refid >> 8) & 0xff,
                     refid & 0xff);
}

std::string hex_timestamp(time::NtpTimestamp t) {
  return fmt::format("0x{:08x}.{:08x}", t.seconds(), t.fraction());
}

const engine::PeerView* find_peer(const ControlSnapshot& s, uint16_t association) {
  for (const auto& p : s.peers) {
    if (association_id(p.id) == association) return &p;
  }
  return nullptr;
}

uint16_t system_status(const ControlSnapshot& s) {
  const auto li = static_cast<unsigned>(s.server.leap) & 3;
  unsigned source = kSourceUnspecified;
  unsigned event = kEventFreqNotSet;
  if (s.server.synchronised()) {
    source = s.local_clock ? kSourceLocal : kSourceNtp;
    event = kEventClockSync;
  } else if (s.system && s.system->discipline.synchronised) {
    event = kEventNoSystemPeer;
  }
  return static_cast<uint16_t>((li << 14) | (source << 8) | (1u << 4) | event);
}

uint16_t peer_status(const ControlSnapshot& s, const engine::PeerView& p) {
  const bool reach = p.state.reach != 0;
  unsigned hi = 0x80;  // configured (pool members too: they came from the config)
  if (p.nts) {
    // NTS: authentication enabled; "authentic" once a reply verified under
    // the current keys (ntpq `as` shows ok/bad like for a keyed server).
    hi |= 0x40;
    if (p.nts->has_keys && p.nts->counters.authentic_replies > 0) hi |= 0x20;
  } else if (p.auth) {
    // `key N`: authentication enabled; "authentic" while the latest reply
    // verified (classic CTL_PST_AUTHENABLE, FLAG_AUTHENTIC). ntpq `as`: ok/bad.
    hi |= 0x40;
    if (p.auth->authentic()) hi |= 0x20;
  } else if (reach) {
    hi |= 0x20;  // "authentic": no key needed and none failed (as classic shows)
  }
  if (reach) hi |= 0x10;
  hi |= selection_code(p.tally);
  unsigned event = kPeerEventMobilize;
  if (s.system && s.system->system_peer == p.id) {
    event = kPeerEventSysPeer;
  } else if (p.auth && p.auth->last && !p.auth->authentic()) {
    event = kPeerEventBadAuth;
  } else if (reach) {
    event = kPeerEventReachable;
  } else if (p.state.unreach > 0) {
    event = kPeerEventUnreachable;
  }
  return static_cast<uint16_t>((hi << 8) | (1u << 4) | event);
}

std::vector<Variable> system_variables(const ControlSnapshot& s) {
  const auto& v = s.server;
  double rootdisp = v.root_dispersion_s;
  if (v.synchronised())
    rootdisp += kPhi * std::max(0.0, seconds_between(s.clock, v.reference_time));
  const engine::SystemView sys = s.system.value_or(engine::SystemView{});
  // The system peer: the client's, or the local clock driver's
  // pseudo-association when we serve from it.
  uint16_t peer = sys.system_peer ? association_id(*sys.system_peer) : 0;
  for (const auto& p : s.peers) {
    if (peer == 0 && s.local_clock && is_refclock_address(p.options.endpoint.address))
      peer = association_id(p.id);
  }
  std::vector<Variable> out = {
      {"leap", fmt::format("{}", static_cast<unsigned>(v.leap))},
      {"stratum", fmt::format("{}", v.stratum)},
      {"precision", fmt::format("{}", v.precision)},
      {"rootdelay", ms(v.root_delay_s, 3)},
      {"rootdisp", ms(rootdisp, 3)},
      {"refid", refid_text(v.reference_id, v.stratum)},
      {"reftime", hex_timestamp(v.reference_time.to_timestamp())},
      {"tc", fmt::format("{}", sys.poll_log2)},
      {"peer", fmt::format("{}", peer)},
      {"offset", ms(sys.offset_s, 6)},
      {"frequency", fmt::format("{:.6f}", sys.discipline.frequency_ppm)},
      {"sys_jitter", ms(sys.system_jitter_s, 6)},
      {"clk_jitter", ms(sys.discipline.clock_jitter_s, 6)},
      {"clock", hex_timestamp(s.clock.to_timestamp())},
      {"processor", quoted(s.processor)},
      {"system", quoted(s.system_name)},
      {"version", quoted(s.version)},
      {"clk_wander", fmt::format("{:.6f}", sys.discipline.clock_wander_ppm)},
  };
  // With a leapfile, NTPsec's leap second variables (classic 4.2.8 has the
  // same names with its own date format).
  if (sys.leap_table) {
    const auto& t = *sys.leap_table;
    const int64_t now = s.clock.seconds_since_1900();
    const auto date = [](int64_t ntp_s) {
      return time::NtpTime::from_parts(ntp_s, 0).to_iso8601().substr(0, 16) + "Z";
    };
    out.push_back({"tai", fmt::format("{}", t.tai_offset_at(now))});
    if (auto last = t.last_leap()) out.push_back({"leapsec", date(last->ntp_seconds)});
    out.push_back({"expire", date(t.expires_ntp_s)});
  }
  out.push_back({"mintc", "0"});
  return out;
}

std::vector<Variable> system_statistics(const ControlSnapshot& s) {
  const ServerStatistics& st = s.stats;
  std::vector<Variable> out = {
      {"ss_uptime", fmt::format("{}", static_cast<uint64_t>(st.uptime_s))},
      {"ss_reset", fmt::format("{}", static_cast<uint64_t>(st.reset_s))},
      {"ss_received", fmt::format("{}", st.received)},
      {"ss_thisver", fmt::format("{}", st.current_version)},
      {"ss_oldver", fmt::format("{}", st.old_version)},
      {"ss_badformat", fmt::format("{}", st.bad_format)},
      {"ss_badauth", fmt::format("{}", st.bad_auth)},
      {"ss_declined", fmt::format("{}", st.declined)},
      {"ss_restricted", fmt::format("{}", st.restricted)},
      {"ss_limited", fmt::format("{}", st.limited)},
      {"ss_kodsent", fmt::format("{}", st.kod_sent)},
      {"ss_processed", fmt::format("{}", st.processed)},
  };
  if (st.nts) {
    const ServerStatistics::Nts& n = *st.nts;
    for (auto& v : std::vector<Variable>{
             {"ss_nts_replies", fmt::format("{}", n.replies)},
             {"ss_nts_naks", fmt::format("{}", n.naks)},
             {"ss_nts_dropped", fmt::format("{}", n.dropped)},
             {"ss_nts_cookies", fmt::format("{}", n.cookies)},
             {"ss_nts_ke_connections", fmt::format("{}", n.ke_connections)},
             {"ss_nts_ke_served", fmt::format("{}", n.ke_served)},
             {"ss_nts_ke_failures", fmt::format("{}", n.ke_failures)},
         })
      out.push_back(std::move(v));
  }
  return out;
}

namespace {

enum class Stage { kDelay, kOffset, kDispersion };

// Classic ctl_putarray(): the 8 filter stages newest first, each " %.2f" in
// ms. Empty stages and "no reply" dummies read as classic ntpd shows them:
// delay 0, offset 0, dispersion MAXDISP; dispersions grown by Φ up to now.
std::string filter_array(const ControlSnapshot& s, const engine::PeerView& p, Stage which) {
  std::string out;
  for (const auto& stage : p.filter_stages) {
    double v = 0;
    const bool dummy = !stage || stage->dispersion_s >= source::kMaxDispersion_s;
    switch (which) {
      case Stage::kDelay:
        v = dummy ? 0 : stage->delay_s;
        break;
      case Stage::kOffset:
        v = dummy ? 0 : stage->offset_s;
        break;
      case Stage::kDispersion:
        v = dummy ? source::kMaxDispersion_s
                  : std::min(source::kMaxDispersion_s,
                             stage->dispersion_s + kPhi * std::max(0.0, s.now_s - stage->time_s));
        break;
    }
    out += fmt::format(" {:.2f}", v * 1e3);
  }
  return out;
}

}  // namespace

std::vector<Variable> peer_variables(const ControlSnapshot& s, const engine::PeerView& p) {
  const auto& st = p.state;
  const source::Sample sample = st.last_sample.value_or(source::Sample{});
  const source::FilterOutput filter = st.filter.value_or(source::FilterOutput{});
  const uint8_t stratum = st.last_sample ? sample.stratum : 16;
  const uint32_t refid = st.last_sample ? sample.reference_id : wire::kKissInit;
  // A reference clock's refid is its text (.LOCL.) whatever its stratum.
  const bool refclock = is_refclock_address(p.options.endpoint.address);
  const std::string rec = st.last_reply_s >= 0
                              ? hex_timestamp(wall_time(s, st.last_reply_s).to_timestamp())
                              : hex_timestamp(time::NtpTimestamp{});
  // TEST5 while the latest verdict of a keyed association is a failure.
  const bool auth_failing = p.auth && p.auth->last && !p.auth->authentic();
  std::vector<Variable> out = {
      {"srcadr", p.options.endpoint.address.to_string()},
      {"srcport", fmt::format("{}", p.options.endpoint.port)},
      {"dstadr", s.local_address.to_string()},
      {"dstport", fmt::format("{}", s.local_port)},
      {"leap", fmt::format("{}", st.last_sample ? static_cast<unsigned>(sample.leap) : 3u)},
      {"stratum", fmt::format("{}", stratum)},
      {"precision", fmt::format("{}", sample.precision)},
      {"rootdelay", ms(sample.root_delay_s, 3)},
      {"rootdisp", ms(sample.root_dispersion_s, 3)},
      {"refid", refid_text(refid, refclock ? 0 : stratum)},
      {"reftime", rec},
      {"rec", rec},
      {"reach", fmt::format("0x{:02x}", st.reach)},
      {"unreach", fmt::format("{}", st.unreach)},
      {"hmode", "3"},
      {"pmode", "4"},
      {"hpoll", fmt::format("{}", st.poll_log2)},
      {"ppoll", fmt::format("{}", st.last_sample ? sample.poll : st.poll_log2)},
      {"headway", "0"},
      // The latest reply's test bits; TEST5 alone when it failed authentication
      // (it never reached the other tests).
      {"flash", fmt::format("0x{:x}", auth_failing ? kFlashBadAuth : st.flash)},
      {"keyid", fmt::format("{}", p.options.key_id.value_or(0))},
      {"offset", ms(filter.offset_s, 6)},
      {"delay", ms(filter.delay_s, 6)},
      {"dispersion", ms(filter.dispersion_s, 6)},
      {"jitter", ms(filter.jitter_s, 6)},
      {"xleave", "0.000"},
      {"filtdelay", filter_array(s, p, Stage::kDelay)},
      {"filtoffset", filter_array(s, p, Stage::kOffset)},
      {"filtdisp", filter_array(s, p, Stage::kDispersion)},
  };
  // NTS associations: cookies held and the handshake's state (the rest by name).
  for (auto& v : peer_nts_summary(p)) out.push_back(std::move(v));
  return out;
}

std::vector<Variable> peer_drop_variables(const engine::PeerView& p) {
  const source::ReplyDrops& d = p.state.drops;
  return {
      {"drop_origin", fmt::format("{}", d.unmatched)},
      {"drop_kiss", fmt::format("{}", d.kiss)},
      {"drop_unsync", fmt::format("{}", d.unsynchronised)},
      {"drop_time", fmt::format("{}", d.bad_timestamps)},
      {"drop_step", fmt::format("{}", d.crossed_step)},
  };
}

std::vector<Variable> peer_auth_variables(const engine::PeerView& p) {
  const auth::ClientAuthCounters c = p.auth ? p.auth->counters : auth::ClientAuthCounters{};
  return {
      {"authenable", p.auth ? "1" : "0"},
      {"authentic", (p.auth ? p.auth->authentic() : p.state.reach != 0) ? "1" : "0"},
      {"badauth", fmt::format("{}", c.dropped())},
      {"auth_nomac", fmt::format("{}", c.unsigned_)},
      {"auth_badmac", fmt::format("{}", c.bad_mac + c.malformed)},
      {"auth_cryptonak", fmt::format("{}", c.crypto_nak)},
      {"auth_wrongkey", fmt::format("{}", c.wrong_key)},
      {"auth_notsent", fmt::format("{}", c.not_sent)},
  };
}

std::string nts_ke_state(const engine::NtsView& v) {
  if (v.ke_in_flight) return "pending";
  if (v.has_keys && v.cookies > 0) return v.loose ? "ok-unchecked-time" : "ok";
  if (v.ke_failures > 0 && !v.last_ke_error.empty()) return "failing";
  return "none";
}

std::vector<Variable> peer_nts_summary(const engine::PeerView& p) {
  if (!p.nts) return {};
  return {{"nts_cookies", fmt::format("{}", p.nts->cookies)}, {"nts_ke", nts_ke_state(*p.nts)}};
}

std::vector<Variable> peer_nts_variables(const engine::PeerView& p, double now_s) {
  const engine::NtsView v = p.nts.value_or(engine::NtsView{});
  const auto& c = v.counters;
  return {
      {"nts_ke_ok", fmt::format("{}", v.ke_ok)},
      {"nts_ke_fail", fmt::format("{}", v.ke_failures)},
      {"nts_ke_age", v.last_ke_s < 0 ? std::string("-")
                                     : fmt::format("{:.0f}", std::max(0.0, now_s - v.last_ke_s))},
      {"nts_ke_error", quoted(v.last_ke_error)},
      {"nts_requests", fmt::format("{}", c.requests)},
      {"nts_authentic", fmt::format("{}", c.authentic_replies)},
      {"nts_badauth", fmt::format("{}", c.bad_authenticator + c.malformed)},
      {"nts_naks", fmt::format("{}", c.naks)},
  };
}

std::string render(std::span<const Variable> vars) {
  std::string out;
  size_t line = 0;
  for (size_t i = 0; i < vars.size(); ++i) {
    const std::string item = vars[i].name + "=" + vars[i].value;
    if (i > 0) {
      if (line + item.size() + 2 > kMaxLine) {
        out += ",\r\n";
        line = 0;
      } else {
        out += ", ";
        line += 2;
      }
    }
    out += item;
    line += item.size();
  }
  out += "\r\n";
  return out;
}

std::vector<std::string> requested_names(std::string_view data) {
  std::vector<std::string> names;
  size_t at = 0;
  while (at <= data.size()) {
    size_t comma = data.find(',', at);
    if (comma == std::string_view::npos) comma = data.size();
    std::string_view item = data.substr(at, comma - at);
    item = item.substr(0, item.find('='));
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())) != 0)
      item.remove_prefix(1);
    while (!item.empty() &&
           (std::isspace(static_cast<unsigned char>(item.back())) != 0 || item.back() == '\0'))
      item.remove_suffix(1);
    if (!item.empty()) names.emplace_back(item);
    at = comma + 1;
  }
  return names;
}

}  // namespace meridian::control
