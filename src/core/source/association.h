// One association (a `server`/`pool` address): poll schedule, reach
// register, iburst, KoD handling, and the clock filter (RFC 5905 §9–10,
// §13). Pure: the engine calls it with monotonic times and exchange results.
//
// The schedule, exactly (all times monotonic seconds, polls in log2 s):
//  * First request: U[0.1, 1) s after construction (prompt, yet associations
//    started together don't send in lockstep).
//  * A *poll* is a request that is not a burst follow-up. At each poll the
//    reach register shifts left (a burst counts as one poll, as in classic
//    ntpd, so ntpq's reach reads 1, 3, 7 … 377 the familiar way) and
//    `unreach` (polls since the last accepted reply) counts up.
//  * iburst: at the first poll, and again at a poll where the reach register
//    has just dropped to zero (re-acquisition), kIburstCount requests go
//    kIburstSpacing_s apart. A classic server's `discard minimum` (2 s, with
//    its rounding) and its leaky-bucket `average` (8 s × 8 bucket) both accept it.
//  * burst: at every poll while reachable, kBurstCount requests 2 s apart.
//  * Otherwise the next poll is 2^poll · (1 + U[0, kPollJitterFraction)) after
//    this request, never sooner than kMinRequestSpacing_s. The jitter is only
//    ever positive: we never poll faster than the nominal interval, so a
//    server whose `discard average` equals our minpoll never sees us too fast.
//  * Unreachable back-off (RFC 5905 §13): at a poll with kUnreachPolls or more
//    polls unanswered since the last reply, poll += 1 up to maxpoll. An
//    accepted reply restores the system poll (set_poll) at once.
//  * After the last three polls went unanswered, every further unanswered
//    poll shifts a MAXDISP dummy into the filter so stale samples age out.
//  * KoD RATE: poll = max(poll + 1, server's poll, minpoll + 1), capped at
//    kMaxPollLimit (a server asking for less than our maxpoll is obeyed), and
//    kept as a floor for the life of the association; any burst stops.
//    DENY/RSTR: stopped, next_poll_s() = +∞.
//  * Replies whose origin was not verified (wrong mode/version, duplicate,
//    bogus origin) leave the pending request untouched so the genuine reply
//    still matches. Any reply whose origin matched consumes it (its transmit
//    is zeroed, so a replay is then rejected as bogus).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/net/address.h"
#include "core/random.h"
#include "core/source/clock_filter.h"
#include "core/source/exchange.h"

namespace meridian::source {

inline constexpr int kDefaultMinPoll = 6;            // 64 s
inline constexpr int kDefaultMaxPoll = 10;           // 1024 s
inline constexpr int kIburstCount = 6;               // quick requests at start
inline constexpr double kIburstSpacing_s = 2.0;      // ≥ a classic server's `discard minimum`
inline constexpr int kBurstCount = 8;                // `burst`: requests per poll (classic)
inline constexpr int kUnreachPolls = 8;              // unanswered polls before backing off
inline constexpr int kMinPollLimit = 3;              // 8 s
inline constexpr int kMaxPollLimit = 17;             // 36.4 h
inline constexpr double kMinRequestSpacing_s = 2.0;  // never two requests closer than this
inline constexpr double kPollJitterFraction = 0.1;   // poll interval × [1, 1.1)

struct AssociationOptions {
  net::Endpoint endpoint;
  std::string name;  // as configured (host name or literal), for logs and ntpq
  bool iburst = false;
  bool burst = false;
  bool prefer = false;
  bool noselect = false;
  bool true_ticker = false;
  bool from_pool = false;
  int minpoll = kDefaultMinPoll;  // log2 s, clamped to [3, 17]
  int maxpoll = kDefaultMaxPoll;
  uint8_t version = 4;
  // `key N`: requests are signed and only replies signed with key N are
  // samples (auth/client_auth.h; the engine applies it).
  std::optional<uint32_t> key_id;
  // `nts` (RFC 8915): requests and replies are authenticated with keys and
  // cookies from an NTS-KE handshake with `name` (whose certificate must
  // match it) on TCP port `nts_port`; nothing is sent before that handshake
  // succeeded, and never an unauthenticated request.
  bool nts = false;
  uint16_t nts_port = 4460;
  std::string nts_ca;  // CA bundle for this server; empty: `nts ca` or the system store
};

// Replies that answered (or claimed to answer) a request but gave no
// sample, by reason; every other reply is a sample for the clock filter.
struct ReplyDrops {
  uint64_t unmatched = 0;       // wrong mode/version, duplicate, or origin ≠ our request
  uint64_t kiss = 0;            // kiss-o'-death (RATE, DENY, RSTR, other)
  uint64_t unsynchronised = 0;  // server unsynchronised (LI 3, stratum 16, no reftime) or too far
  uint64_t bad_timestamps = 0;  // zero T2/T3, T3 < T2 beyond the server's precision, T4 < T1
  uint64_t crossed_step = 0;    // our clock was stepped while the request was in flight
};

// The classic ntpq `flash` bits (ntpd 4.2.8 TEST1–TEST7) for a verdict.
uint16_t flash_bits(Verdict v);

// The state ntpq and the selection read.
struct AssociationView {
  uint8_t reach = 0;                   // 8-bit shift register, 1 = answered
  int poll_log2 = 6;                   // current poll interval
  int unreach = 0;                     // polls since the last reply
  std::optional<Sample> last_sample;   // last accepted reply (stratum, refid, root delay/disp…)
  std::optional<FilterOutput> filter;  // current filter output
  double last_reply_s = -1;            // monotonic time of the last accepted reply, −1 if none
  std::string kiss;                    // last kiss code received ("RATE", "DENY", …)
  bool stopped = false;                // DENY/RSTR: demobilised
  ReplyDrops drops;
  uint16_t flash = 0;  // classic packet-test bits of the last reply (flash_bits()), 0 = sample
};

class Association {
 public:
  Association(AssociationOptions options, double now_s, RandomSource& random);

  const AssociationOptions& options() const { return options_; }
  AssociationView view(double now_s) const;
  // NTS-KE server/port negotiation (RFC 8915 §4.1.7–8): the NTP server to
  // poll from now on. The filter and reach history stay (same time source).
  void set_endpoint(const net::Endpoint& endpoint) { options_.endpoint = endpoint; }

  // When the next request is due (monotonic seconds). Infinity when stopped.
  double next_poll_s() const { return next_poll_s_; }
  // The engine sends a request now: shifts the reach register, remembers T1,
  // schedules the next poll (iburst spacing, then 2^poll with a little random
  // jitter so many clients don't synchronise). REQUIRES: now_s ≥ next_poll_s().
  // `wire_transmit`: the transmit field to send (the reply must echo it as
  // origin); by default T1 itself. The engine sends random bits (RFC 9109)
  // and T1 stays local.
  wire::NtpHeader make_request(time::NtpTimestamp t1, double now_s,
                               std::optional<time::NtpTimestamp> wire_transmit = std::nullopt);
  // What the engine remembers about the request in flight (for evaluate_reply).
  const PendingRequest& pending() const { return pending_; }
  // A reply was evaluated (source::evaluate_reply). Returns true when the
  // filter produced a newer output (selection should run).
  bool on_reply(const Evaluation& e, double now_s);
  // The system tells every association its preferred poll (adaptive poll
  // from the discipline); clamped to [minpoll, maxpoll]. While reachable the
  // association polls at max(this, any KoD RATE floor); while backed off, at
  // no less than this. A changed poll reschedules the next request from the
  // last one (never sooner than kMinRequestSpacing_s after it).
  void set_poll(int poll_log2);
  // The local clock was stepped by correction_s (positive = local
  // time moved forward): stored filter offsets (server − local) are corrected
  // so they stay comparable with new samples. See ClockFilter::shift_offsets.
  // A reply to a request sent before the step is dropped (ReplyDrops::crossed_step).
  void on_clock_adjusted(double correction_s);
  // See ClockFilter::set_staleness_rate (s/s).
  void set_staleness_rate(double rate) { filter_.set_staleness_rate(rate); }
  // See ClockFilter::set_age_limit (s).
  void set_filter_age_limit(double age_s) { filter_.set_age_limit(age_s); }
  // The filter stages, for ntpq's filtdelay/filtoffset/filtdisp.
  const ClockFilter& filter() const { return filter_; }

 private:
  AssociationOptions options_;
  RandomSource& random_;
  PendingRequest pending_;
  bool awaiting_reply_ = false;
  bool request_crossed_step_ = false;  // the clock was stepped since the request went out
  ClockFilter filter_;
  AssociationView state_;
  int burst_left_ = 0;  // follow-up requests left in the current burst
  double next_poll_s_ = 0;
  double last_request_s_ = 0;
  double jitter_factor_ = 1;  // 1 + U[0, kPollJitterFraction), drawn at each poll
  int host_poll_log2_ = 0;    // the system's wish (set_poll), within [minpoll, maxpoll]
  int rate_floor_log2_ = 0;   // lowest poll allowed after a KoD RATE (0: none)
  bool polled_ = false;       // at least one poll sent

  int reachable_poll() const;
  void count_drop(Verdict v);
  void reschedule();
};

}  // namespace meridian::source
