// The local clock driver (`server 127.127.1.U`) as classic ntpd shows it over
// mode 6: a pseudo-association "LOCAL(U)" with refid .LOCL., the fudged
// stratum, type `l`, polled every 64 s (reach fills up as it runs), so
// `ntpq -p` on a LAN server that falls back on its own clock lists it like
// the classic daemon instead of an empty table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/engine/client_engine.h"
#include "core/net/address.h"

namespace meridian::control {

// Peer ids for pseudo-associations, above any the client engine hands out
// (association_id() = id + 1 stays a nonzero 16-bit value).
inline constexpr size_t kLocalClockPeerIdBase = 0xff00;

struct LocalClockPeerInput {
  int unit = 0;              // U of 127.127.1.U
  int stratum = 5;           // fudge stratum (classic default 5)
  uint32_t refid = 0;        // fudge refid as a kiss code (default "LOCL")
  int8_t precision = -20;    // of the clock it reads
  double started_s = 0;      // monotonic time the driver started
  double now_s = 0;          // monotonic now
  bool system_peer = false;  // the time we serve comes from it
};

engine::PeerView local_clock_peer(const LocalClockPeerInput& in);

// 127.127.T.U: a reference clock pseudo-address (classic ISREFCLOCKADR).
bool is_refclock_address(const net::IpAddress& a);
// Its classic display name: "LOCAL(U)" for T = 1, "REFCLK(T,U)" otherwise;
// nullopt for an ordinary address.
std::optional<std::string> refclock_name(const net::IpAddress& a);

}  // namespace meridian::control
