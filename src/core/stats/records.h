// The lines of the classic statistics files (ntpd 4.2.8 `statistics`), one
// record per line, fields separated by one space. Every line starts with a
// stamp: the Modified Julian Day and the seconds past UTC midnight with
// milliseconds ("61000 43927.123"), both read from the disciplined clock.
// docs/statistics.md documents every column.
//
// Sign conventions (DESIGN.md §3): offsets θ = server − local in seconds,
// positive ⇒ the local clock is behind; frequency in ppm, positive ⇒ the
// clock is made to run faster.
#pragma once

#include <cstdint>
#include <string>

#include "core/net/address.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::stats {

// loopstats: one line per clock-discipline update.
struct LoopRecord {
  double offset_s = 0;       // the combined offset fed to the discipline (0 after a step)
  double frequency_ppm = 0;  // the frequency correction (drift file value)
  double jitter_s = 0;       // clock jitter (RMS of offset differences)
  double wander_ppm = 0;     // clock wander (frequency stability)
  int poll_log2 = 6;         // the discipline's poll interval (time constant), log2 s
};

// peerstats: one line per new sample handed out by an association's clock filter.
struct PeerRecord {
  net::IpAddress address;
  uint16_t status = 0;  // the peer status word (RFC 9327 §2.4), as in ntpq's `as`
  double offset_s = 0;
  double delay_s = 0;       // round-trip delay
  double dispersion_s = 0;  // filter dispersion ε
  double jitter_s = 0;      // filter jitter ψ
};

// sysstats: one line an hour; like the classic daemon, the counters cover
// the time since the previous line (they are reset after each line).
struct SysRecord {
  uint64_t since_reset_s = 0;    // seconds since the previous line (or start)
  uint64_t received = 0;         // packets received
  uint64_t processed = 0;        // packets answered ("processed for time")
  uint64_t current_version = 0;  // NTPv4 packets
  uint64_t old_version = 0;      // NTPv1–v3 packets
  uint64_t restricted = 0;       // refused by `restrict` (access denied)
  uint64_t bad_format = 0;       // bad length or format
  uint64_t bad_auth = 0;         // authentication failures
  uint64_t declined = 0;         // modes not answered
  uint64_t limited = 0;          // rate limited (dropped or KoD)
  uint64_t kod_sent = 0;         // kiss-o'-death RATE packets sent
};

// "MJD SECS.mmm": seconds truncated (not rounded) to the millisecond, so the
// value stays below 86400 and a line never shows the next day's time.
std::string format_stamp(time::NtpTime t);

// Lines without the trailing newline, in the classic ntpd 4.2.8 formats:
//   loopstats  "%lu %s %.9f %.3f %.9f %.6f %d"
//   peerstats  "%lu %s %s %x %.9f %.9f %.9f %.9f"
//   sysstats   "%lu %s" then 11 × " %lu"
std::string format_loopstats(time::NtpTime t, const LoopRecord& r);
std::string format_peerstats(time::NtpTime t, const PeerRecord& r);
std::string format_sysstats(time::NtpTime t, const SysRecord& r);

}  // namespace meridian::stats
