#include "core/source/exchange.h"

#include <algorithm>
#include <cmath>

namespace meridian::source {

namespace {
// The most timestamp fuzz (s) tolerated in a server's hold time T3 − T2.
constexpr double kMaxHoldFuzz_s = 1e-3;
}  // namespace

using wire::LeapIndicator;
using wire::Mode;

double log2_to_seconds(int8_t log2) { return std::ldexp(1.0, log2); }

wire::NtpHeader make_client_request(time::NtpTimestamp t1, int8_t poll_log2, uint8_t version) {
  wire::NtpHeader h;
  // RFC 5905 §9: a client that is not synchronised (ntpdate never is, as far
  // as the server can tell) sends LI = 3 and stratum 0.
  h.leap = LeapIndicator::kUnsynchronised;
  h.version = version;
  h.mode = Mode::kClient;
  h.stratum = 0;
  h.poll = poll_log2;
  h.precision = 0;
  h.transmit = t1;
  return h;
}

ServerAction action_for(Verdict v) {
  switch (v) {
    case Verdict::kAccepted:
      return ServerAction::kUse;
    case Verdict::kKissRate:
      return ServerAction::kBackOff;
    case Verdict::kKissDeny:
    case Verdict::kKissRestrict:
      return ServerAction::kStopUsing;
    default:
      return ServerAction::kIgnoreReply;
  }
}

const char* describe(Verdict v) {
  switch (v) {
    case Verdict::kAccepted:
      return "accepted";
    case Verdict::kNotServerMode:
      return "not a server-mode reply";
    case Verdict::kBadVersion:
      return "unsupported NTP version";
    case Verdict::kDuplicate:
      return "duplicate reply";
    case Verdict::kBogusOrigin:
      return "origin timestamp does not match our request";
    case Verdict::kKissRate:
      return "kiss-o'-death RATE (sending too fast)";
    case Verdict::kKissDeny:
      return "kiss-o'-death DENY (access denied)";
    case Verdict::kKissRestrict:
      return "kiss-o'-death RSTR (access restricted)";
    case Verdict::kKissOther:
      return "kiss-o'-death";
    case Verdict::kUnsynchronised:
      return "server is not synchronised";
    case Verdict::kBadTimestamps:
      return "inconsistent timestamps";
    case Verdict::kBadDistance:
      return "root distance too large";
  }
  return "unknown";
}

Evaluation evaluate_reply(const wire::NtpHeader& reply, const PendingRequest& request,
                          time::NtpTimestamp t4, int8_t local_precision_log2) {
  Evaluation e;
  auto reject = [&e](Verdict v) {
    e.verdict = v;
    return e;
  };
  if (reply.mode != Mode::kServer) return reject(Verdict::kNotServerMode);
  if (reply.version < 1 || reply.version > 4) return reject(Verdict::kBadVersion);
  // RFC 5905 §8 test 1 (duplicate) and test 2 (bogus). Origin is checked
  // before the kiss code so an off-path attacker cannot make us give up a
  // server with a forged DENY.
  if (!request.previous_server_transmit.is_zero() &&
      reply.transmit == request.previous_server_transmit) {
    return reject(Verdict::kDuplicate);
  }
  if (request.transmit.is_zero() || reply.origin != request.transmit) {
    return reject(Verdict::kBogusOrigin);
  }
  if (reply.stratum == 0) {
    // The server's poll matters for RATE: we must not poll faster than it asks.
    e.sample.poll = reply.poll;
    e.kiss_code = wire::refid_to_ascii(reply.reference_id);
    if (reply.reference_id == wire::kKissRate) return reject(Verdict::kKissRate);
    if (reply.reference_id == wire::kKissDeny) return reject(Verdict::kKissDeny);
    if (reply.reference_id == wire::kKissRestrict) return reject(Verdict::kKissRestrict);
    return reject(Verdict::kKissOther);
  }
  // RFC 5905 A.5.1.1 test 6: leap and stratum say whether the server is
  // synchronised. A zero reference time alone does not: NTPsec in orphan
  // mode (`tos orphan`, refid LOOP) answers LI 0, stratum 1 with no
  // reference time, and chronyd and classic ntpd take those replies.
  if (reply.leap == LeapIndicator::kUnsynchronised || reply.stratum >= kMaxStratum) {
    return reject(Verdict::kUnsynchronised);
  }
  const time::NtpTimestamp t1 =
      request.local_transmit.is_zero() ? request.transmit : request.local_transmit;
  const time::NtpTimestamp t2 = reply.receive;
  const time::NtpTimestamp t3 = reply.transmit;
  if (t2.is_zero() || t3.is_zero()) return reject(Verdict::kBadTimestamps);
  // A server may fuzz its timestamps below its precision (chronyd does, so
  // they reveal nothing beyond it) and answer within that precision, so T3
  // can read a little before T2: a hold time down to −2^precision is
  // rounding, not an inconsistency. Rejecting it dropped about half of
  // chronyd's replies in closed-loop simulation (no processing time), which
  // left MAXDISP stages in good servers' filters and let a falseticker
  // with a narrower interval win (issue 11). The tolerance is capped: a
  // server claiming a coarse precision gets no more than kMaxHoldFuzz_s.
  const double hold_tolerance_s = std::min(log2_to_seconds(reply.precision), kMaxHoldFuzz_s);
  const double raw_hold_s = (t3 - t2).to_seconds();
  const double round_trip_s = (t4 - t1).to_seconds();
  if (raw_hold_s < -hold_tolerance_s || round_trip_s < 0) {
    return reject(Verdict::kBadTimestamps);
  }
  const double server_hold_s = std::max(0.0, raw_hold_s);
  // RFC 5905 §8 test 7: the server's reference time cannot be after its transmit time.
  // (A zero reference time means "none", not 1900 or 2036: nothing to compare.)
  if (!reply.reference.is_zero() && (reply.reference - t3).raw() > 0)
    return reject(Verdict::kUnsynchronised);

  Sample& s = e.sample;
  s.root_delay_s = reply.root_delay.to_seconds();
  s.root_dispersion_s = reply.root_dispersion.to_seconds();
  if (s.root_delay_s / 2 + s.root_dispersion_s >= kMaxDispersion_s) {
    return reject(Verdict::kBadDistance);
  }
  const double local_precision_s = log2_to_seconds(local_precision_log2);
  // Sum in 128 bits: each difference is exact in 32.32, but their int64 sum
  // overflows for |θ| ≥ 2^30 s (a device booting at 1970 asking a 2025 server).
  const __int128 twice_offset = static_cast<__int128>((t2 - t1).raw()) + (t3 - t4).raw();
  s.offset_s = static_cast<double>(twice_offset) /
               (2.0 * static_cast<double>(time::NtpDuration::kUnitsPerSecond));
  s.delay_s = std::max(round_trip_s - server_hold_s, local_precision_s);
  s.dispersion_s = log2_to_seconds(reply.precision) + local_precision_s + kPhi * round_trip_s;
  s.stratum = reply.stratum;
  s.leap = reply.leap;
  s.reference_id = reply.reference_id;
  s.precision = reply.precision;
  s.poll = reply.poll;
  s.server_transmit = t3;
  e.verdict = Verdict::kAccepted;
  return e;
}

}  // namespace meridian::source
