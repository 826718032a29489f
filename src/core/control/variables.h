// What mode 6 reports: status words (RFC 9327 §2.3–2.4) and the classic
// system and peer variables, rendered in classic ntpd's text form
// ("name=value" items separated by ", ", lines broken with ",\r\n").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/client_engine.h"
#include "core/net/address.h"
#include "core/server/server_view.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::control {

// RFC 9327 §2.3 system clock sources.
inline constexpr uint8_t kSourceUnspecified = 0;
inline constexpr uint8_t kSourceLocal = 5;  // classic "local net" (local clock driver)
inline constexpr uint8_t kSourceNtp = 6;    // "NTP server"
// RFC 9327 §2.3 system event codes we report.
inline constexpr uint8_t kEventFreqNotSet = 1;  // classic ntpstat: "time server re-starting"
inline constexpr uint8_t kEventClockSync = 5;
inline constexpr uint8_t kEventNoSystemPeer = 8;
// RFC 9327 §2.4 peer selection codes and events.
inline constexpr uint8_t kPeerEventMobilize = 1;
inline constexpr uint8_t kPeerEventUnreachable = 3;
inline constexpr uint8_t kPeerEventReachable = 4;
inline constexpr uint8_t kPeerEventSysPeer = 10;
inline constexpr uint8_t kPeerEventBadAuth = 12;  // classic PEVNT_AUTH ("bad_auth")
// Peer flash bits (classic TEST1..TEST13) we report.
inline constexpr uint16_t kFlashBadAuth = 0x0010;  // TEST5: authentication failed

// Everything a mode 6 answer is built from: a snapshot taken by the caller.
// Server counters for `ntpq -c sysstats` (classic ss_* variables).
struct ServerStatistics {
  double uptime_s = 0;    // since start
  double reset_s = 0;     // since the counters were last reset (= start)
  uint64_t received = 0;  // every packet
  uint64_t current_version = 0;
  uint64_t old_version = 0;
  uint64_t bad_format = 0;  // malformed
  uint64_t bad_auth = 0;    // MAC failures (dropped or crypto-NAKed)
  uint64_t declined = 0;    // modes we do not answer
  uint64_t restricted = 0;  // refused by restrict
  uint64_t limited = 0;     // refused by rate limiting (incl. KoD answers)
  uint64_t kod_sent = 0;
  uint64_t processed = 0;  // answered
  // `nts enable` only (mode 6 ss_nts_*, by name): NTS-protected NTP and NTS-KE.
  struct Nts {
    uint64_t replies = 0;  // authenticated NTS replies
    uint64_t naks = 0;     // NTS NAKs (unknown cookie key, bad cookie or authenticator)
    uint64_t dropped = 0;  // malformed NTS requests
    uint64_t cookies = 0;  // cookies issued (NTP replies and NTS-KE)
    uint64_t ke_connections = 0;
    uint64_t ke_served = 0;    // NTS-KE responses with cookies
    uint64_t ke_failures = 0;  // TLS failures, bad requests, refusals, errors, timeouts
  };
  std::optional<Nts> nts;
};

struct ControlSnapshot {
  server::ServerView server;                 // what we tell clients (leap, stratum, refid…)
  std::optional<engine::SystemView> system;  // absent in a pure server
  std::vector<engine::PeerView> peers;
  bool local_clock = false;  // synchronised to the local clock driver
  time::NtpTime clock;       // now, on the disciplined clock
  double now_s = 0;          // monotonic now
  net::IpAddress local_address = net::IpAddress::v4_loopback();  // dstadr
  uint16_t local_port = 123;
  std::string version = "ntpd Meridian";
  std::string processor;
  std::string system_name;
  ServerStatistics stats;
};

// Association IDs: stable, nonzero, 16-bit (0 is the system).
inline uint16_t association_id(size_t peer_id) { return static_cast<uint16_t>(peer_id + 1); }
const engine::PeerView* find_peer(const ControlSnapshot& s, uint16_t association);

uint16_t system_status(const ControlSnapshot& s);
uint16_t peer_status(const ControlSnapshot& s, const engine::PeerView& p);

// One "name=value" item in classic text form.
struct Variable {
  std::string name;
  std::string value;  // already formatted (strings include their quotes)
};
std::vector<Variable> system_variables(const ControlSnapshot& s);
// The ss_* statistics of association 0: readable by name (ntpq sysstats),
// not part of the default `rv` list, as in the classic daemon.
std::vector<Variable> system_statistics(const ControlSnapshot& s);
std::vector<Variable> peer_variables(const ControlSnapshot& s, const engine::PeerView& p);
// Authentication of an association, readable by name only (as classic ntpd's
// authenable/authentic/badauth; the default list stays within the
// amplification bound): authenable, authentic, badauth (replies dropped for
// authentication) and Meridian's break-down auth_nomac, auth_badmac,
// auth_cryptonak, auth_wrongkey, plus auth_notsent (requests not sent: key
// unavailable). Zeros for an association without `key`.
std::vector<Variable> peer_auth_variables(const engine::PeerView& p);
// Replies of an association that were no sample, by reason (Meridian;
// source::ReplyDrops), readable by name only like the auth counters:
// drop_origin, drop_kiss, drop_unsync, drop_time, drop_step.
std::vector<Variable> peer_drop_variables(const engine::PeerView& p);
// NTS associations (Meridian): nts_cookies and nts_ke (ok, ok-unchecked-time,
// pending, failing, none) in the default list; by name: nts_ke_ok,
// nts_ke_fail, nts_ke_age (s since the last handshake), nts_ke_error,
// nts_requests, nts_authentic, nts_badauth, nts_naks. Empty / zeros for
// other associations.
std::string nts_ke_state(const engine::NtsView& v);
std::vector<Variable> peer_nts_summary(const engine::PeerView& p);
std::vector<Variable> peer_nts_variables(const engine::PeerView& p, double now_s);

// Renders items as classic ntpd does: ", " between items, ",\r\n" instead
// when a line would pass 72 characters, "\r\n" at the end.
std::string render(std::span<const Variable> vars);

// Parses a request's variable list ("name1, name2=value, …"); names only.
std::vector<std::string> requested_names(std::string_view data);

// Text helpers shared with ntpq (core stays pure: no resolver here).
std::string refid_text(uint32_t refid, uint8_t stratum);
std::string hex_timestamp(time::NtpTimestamp t);  // "0xeeb07bee.8023fcc0"
// The disciplined clock's time at monotonic `monotonic_s` (≤ now_s).
time::NtpTime wall_time(const ControlSnapshot& s, double monotonic_s);

}  // namespace meridian::control
