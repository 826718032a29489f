// Per-address rate limiting for `restrict … limited [kod]` with classic
// `discard average A minimum M` semantics (ntp.conf(5) "discard"; accopt.html
// "Rate Management and the Kiss-o'-Death Packet"; ntpd/ntp_monitor.c).
//
// Every address has a leaky-bucket score in seconds (classic mon->leak). On
// each packet the score first drains by the time since the previous packet
// (classic rounds that to whole seconds; we drain by the exact time, see
// rate_limiter.cc). With head = 2^A and
// limit = 8 · head (classic NTP_SHIFT = 8 samples of headroom):
//   - the packet passes if it came at least M − 1 s after the previous one
//     (1 s grace) and score + head < limit; the score then grows by head − 2
//     (2 s grace), so a client polling every 2^A s never accumulates;
//   - otherwise it is "limited". If the score was below the limit it is reset
//     to limit + head and the packet may earn a RATE KoD; if it was already
//     above, the packet is dropped without a KoD.
// So a client keeps getting answers while its average headway exceeds ~2^A s
// (an `iburst` volley of 8 packets 2 s apart passes with the defaults), and a
// client that keeps violating gets at most one KoD per 2^A s: after a KoD its
// score sits at 9 · head and must drain below 8 · head before another. A
// client that backs off after the KoD (to more than 2 · 2^A s, e.g. its normal
// 64 s poll) is served again on its next packet.
//
// Anti-amplification, on top of classic: (1) a KoD is only sent for mode 1/3
// requests (never in reply to replies), (2) at most one KoD per address per
// 2^A s (explicitly checked as well as implied by the score), and (3) a global
// token bucket caps KoDs from the whole server (default 50/s, burst 100), so
// spoofed floods from many addresses cannot turn the server into a reflector.
// A KoD is a bare 48-byte header, never larger than the request.
//
// Only modes 1–5 are scored; mode 6/7 packets are recorded in the MRU list but
// never limited (control queries are exempt in classic). Time is the caller's
// monotonic seconds; a clock that steps backwards is treated as no elapsed time.
#pragma once

#include <cstdint>

#include "core/access/mru_table.h"
#include "core/config/config.h"
#include "core/net/address.h"
#include "core/wire/ntp_packet.h"

namespace meridian::access {

struct RateLimiterOptions {
  int average_log2 = 3;           // discard average: minimum average headway, log2 s
  double minimum_s = 2;           // discard minimum: guard time between packets, s
  double kod_global_per_s = 50;   // global KoD budget refill rate
  double kod_global_burst = 100;  // global KoD budget capacity
  static RateLimiterOptions from(const config::DiscardConfig& discard);
};

enum class RateVerdict : uint8_t {
  kPass,  // answer normally
  kDrop,  // limited: drop silently
  kKod,   // limited: answer with a RATE kiss-o'-death (RFC 5905 §7.4)
};

struct RateCounters {
  uint64_t packets = 0;         // packets observed
  uint64_t limited = 0;         // packets refused under `limited` (classic sys_limitrejected)
  uint64_t kod_sent = 0;        // kKod verdicts
  uint64_t kod_suppressed = 0;  // KoDs withheld by the per-address or global limit
};

class RateLimiter {
 public:
  RateLimiter(const RateLimiterOptions& options, const MruLimits& mru, uint64_t hash_seed = 0);
  RateLimiter(const config::DiscardConfig& discard, const config::MruConfig& mru,
              uint64_t hash_seed = 0)
      : RateLimiter(RateLimiterOptions::from(discard), MruLimits::from(mru), hash_seed) {}

  // Records one packet from `address`:`port` in the MRU list and decides.
  // `restrict_flags`: the source's flags (RestrictTable::flags_for); limiting
  // applies only with kLimited, a KoD only with kKod as well. Call it for
  // every packet that classify() did not drop, so `mrulist` shows all users.
  RateVerdict observe(const net::IpAddress& address, uint16_t port, wire::Mode mode,
                      uint8_t version, uint32_t restrict_flags, double now_s);

  const MruTable& mru() const { return mru_; }
  const RateCounters& counters() const { return counters_; }
  const RateLimiterOptions& options() const { return options_; }

 private:
  bool take_global_kod_token(double now_s);

  RateLimiterOptions options_;
  double head_s_;   // 2^average_log2
  double limit_s_;  // 8 · head
  MruTable mru_;
  RateCounters counters_;
  double kod_tokens_;
  double kod_refilled_s_ = kNeverSeen;
};

}  // namespace meridian::access
