#include "core/stats/records.h"

#include <fmt/format.h>

#include "core/stats/calendar.h"

namespace meridian::stats {

std::string format_stamp(time::NtpTime t) {
  // fraction / 2^32 s → whole milliseconds, rounded down.
  const uint64_t ms = (uint64_t{t.fraction()} * 1000u) >> 32;
  return fmt::format("{} {}.{:03}", mjd_of(t), seconds_of_day(t), ms);
}

std::string format_loopstats(time::NtpTime t, const LoopRecord& r) {
  return fmt::format("{} {:.9f} {:.3f} {:.9f} {:.6f} {}", format_stamp(t), r.offset_s,
                     r.frequency_ppm, r.jitter_s, r.wander_ppm, r.poll_log2);
}

std::string format_peerstats(time::NtpTime t, const PeerRecord& r) {
  return fmt::format("{} {} {:x} {:.9f} {:.9f} {:.9f} {:.9f}", format_stamp(t),
                     r.address.to_string(), r.status, r.offset_s, r.delay_s, r.dispersion_s,
                     r.jitter_s);
}

std::string format_sysstats(time::NtpTime t, const SysRecord& r) {
  return fmt::format("{} {} {} {} {} {} {} {} {} {} {} {}", format_stamp(t), r.since_reset_s,
                     r.received, r.processed, r.current_version, r.old_version, r.restricted,
                     r.bad_format, r.bad_auth, r.declined, r.limited, r.kod_sent);
}

}  // namespace meridian::stats
