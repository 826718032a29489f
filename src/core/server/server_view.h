// What a server tells its clients about itself (RFC 5905 §7.3 system
// variables): a snapshot the engine publishes and the per-packet answer
// reads. Worker threads of the fast path will read copies of it.
#pragma once

#include <cstdint>

#include "core/time/ntp_timestamp.h"
#include "core/wire/ntp_packet.h"

namespace meridian::server {

inline constexpr uint8_t kStratumUnsynchronised = 16;

struct ServerView {
  wire::LeapIndicator leap = wire::LeapIndicator::kUnsynchronised;
  uint8_t stratum = kStratumUnsynchronised;
  int8_t precision = -20;        // log2 s
  double root_delay_s = 0;       // to the primary reference
  double root_dispersion_s = 0;  // at reference_time; grows by Φ per second after it
  uint32_t reference_id = wire::kKissInit;
  time::NtpTime reference_time;  // when the system clock was last updated

  bool synchronised() const {
    return leap != wire::LeapIndicator::kUnsynchronised && stratum < kStratumUnsynchronised;
  }

  // Not synchronised: LI = 3, stratum 16, refid INIT, so clients never use us.
  static ServerView unsynchronised(int8_t precision);
};

// The local clock driver (`server 127.127.1.U` + `fudge … stratum N`): the
// island mode of LANs without upstream. We claim our own clock is good at
// `stratum` with the refid "LOCL" (or the fudged one), re-anchored at `now`.
ServerView local_clock_view(uint8_t stratum, uint32_t reference_id, int8_t precision,
                            time::NtpTime now);

}  // namespace meridian::server
