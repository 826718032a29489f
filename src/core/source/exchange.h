// One client/server exchange (RFC 5905 §8–9): building the request, checking
// the reply against the classic sanity tests, and turning its four
// timestamps into a sample. Pure: timestamps come in as values.
//
//   T1 = our transmit time     (echoed by the server as "origin")
//   T2 = server receive time   T3 = server transmit time
//   T4 = our receive time
//   offset θ = ((T2 − T1) + (T3 − T4)) / 2   = server − local; > 0 ⇒ we are behind
//   delay  δ = (T4 − T1) − (T3 − T2)         round trip minus server hold time
//   dispersion ε = 2^precision(server) + 2^precision(local) + Φ·(T4 − T1)
#pragma once

#include <cstdint>
#include <string>

#include "core/time/ntp_timestamp.h"
#include "core/wire/ntp_packet.h"

namespace meridian::source {

inline constexpr double kPhi = 15e-6;           // frequency tolerance, s/s (RFC 5905 §7.2)
inline constexpr double kMaxDispersion_s = 16;  // MAXDISP (RFC 5905 §7.2)
inline constexpr uint8_t kMaxStratum = 16;      // 16 = unsynchronised

// What the client remembers about the request in flight.
// The transmit field goes on the wire and comes back as the reply's origin;
// a client that wants it unguessable (RFC 9109: ntpd does) fills it with
// random bits and keeps its real send time T1 apart in local_transmit.
struct PendingRequest {
  time::NtpTimestamp transmit;                  // the transmit field we sent (the origin to match)
  time::NtpTimestamp previous_server_transmit;  // T3 of the last accepted reply (duplicate test)
  time::NtpTimestamp local_transmit;            // T1 on our clock; zero: T1 is `transmit`
};

// A client-mode (3) request. T1 goes in the transmit field; every other
// timestamp is zero so the request reveals nothing about our state.
wire::NtpHeader make_client_request(time::NtpTimestamp t1, int8_t poll_log2, uint8_t version = 4);

struct Sample {
  double offset_s = 0;      // θ, server − local
  double delay_s = 0;       // δ, ≥ 0 after clamping to the precision floor
  double dispersion_s = 0;  // ε
  double root_delay_s = 0;
  double root_dispersion_s = 0;
  uint8_t stratum = 0;
  wire::LeapIndicator leap = wire::LeapIndicator::kNoWarning;
  uint32_t reference_id = 0;
  int8_t precision = 0;
  int8_t poll = 0;
  time::NtpTimestamp server_transmit;  // T3, for the next duplicate test

  // Root synchronisation distance λ (RFC 5905 §11.2): the error bound this
  // sample contributes to, used to rank servers.
  double root_distance_s() const {
    return (root_delay_s + delay_s) / 2 + root_dispersion_s + dispersion_s;
  }
};

enum class Verdict {
  kAccepted,
  kNotServerMode,   // reply mode is not 4
  kBadVersion,      // version 0 or > 4
  kDuplicate,       // T3 equals the previous reply's T3 (replay)
  kBogusOrigin,     // origin ≠ our T1: not an answer to our request (or spoofed)
  kKissRate,        // KoD RATE: reduce the poll rate
  kKissDeny,        // KoD DENY: access denied, stop using this server
  kKissRestrict,    // KoD RSTR: access restricted, stop using this server
  kKissOther,       // some other stratum-0 kiss code; treat the reply as unusable
  kUnsynchronised,  // LI = 3, stratum ≥ 16, or a reference time after T3
  kBadTimestamps,   // T2/T3 zero, T3 < T2, or T4 < T1
  kBadDistance,     // root delay/2 + root dispersion ≥ MAXDISP
};

struct Evaluation {
  Verdict verdict = Verdict::kAccepted;
  Sample sample;          // filled only when verdict == kAccepted
  std::string kiss_code;  // the 4 ASCII characters for kKiss* verdicts
};

// What a client should do with the server after a verdict.
enum class ServerAction { kUse, kIgnoreReply, kBackOff, kStopUsing };
ServerAction action_for(Verdict v);
const char* describe(Verdict v);

// REQUIRES: `reply` parsed from the datagram; t4 is its receive time on our
// clock; local_precision_log2 is our clock's precision (e.g. −20 ≈ 1 µs).
Evaluation evaluate_reply(const wire::NtpHeader& reply, const PendingRequest& request,
                          time::NtpTimestamp t4, int8_t local_precision_log2);

// 2^log2 seconds, for the precision and poll fields.
double log2_to_seconds(int8_t log2);

}  // namespace meridian::source
