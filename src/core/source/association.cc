// One association's poll process (RFC 5905 §13) and reply handling (§9–10).
// The schedule and KoD rules are spelled out in association.h.
// Sign convention: offset θ = server − local (positive ⇒ our clock is behind).
#include "core/source/association.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace meridian::source {

namespace {

// The first request goes out U[0.1, 1) s after start-up.
constexpr double kFirstPollMin_s = 0.1;
constexpr double kFirstPollSpread_s = 0.9;
// From three unanswered polls on, each further one ages the filter.
constexpr int kMissingAfterPolls = 3;

// A reply whose origin was checked (and matched) before its verdict was
// reached really answers our request; anything else may be stale or forged.
bool origin_verified(Verdict v) {
  switch (v) {
    case Verdict::kNotServerMode:
    case Verdict::kBadVersion:
    case Verdict::kDuplicate:
    case Verdict::kBogusOrigin:
      return false;
    default:
      return true;
  }
}

}  // namespace

Association::Association(AssociationOptions options, double now_s, RandomSource& random)
    : options_(std::move(options)), random_(random) {
  options_.minpoll = std::clamp(options_.minpoll, kMinPollLimit, kMaxPollLimit);
  options_.maxpoll = std::clamp(options_.maxpoll, options_.minpoll, kMaxPollLimit);
  host_poll_log2_ = options_.minpoll;
  state_.poll_log2 = options_.minpoll;
  next_poll_s_ = now_s + kFirstPollMin_s + kFirstPollSpread_s * random_.next_unit();
}

AssociationView Association::view(double now_s) const {
  AssociationView v = state_;
  v.filter = filter_.output(now_s);
  return v;
}

int Association::reachable_poll() const { return std::max(host_poll_log2_, rate_floor_log2_); }

void Association::reschedule() {
  if (state_.stopped || !polled_ || burst_left_ > 0) return;
  const double interval_s = std::ldexp(jitter_factor_, state_.poll_log2);
  next_poll_s_ = last_request_s_ + std::max(kMinRequestSpacing_s, interval_s);
}

wire::NtpHeader Association::make_request(time::NtpTimestamp t1, double now_s,
                                          std::optional<time::NtpTimestamp> wire_transmit) {
  const auto poll_field = [this] { return static_cast<int8_t>(state_.poll_log2); };
  const time::NtpTimestamp transmit = wire_transmit.value_or(t1);
  if (state_.stopped) return make_client_request(transmit, poll_field(), options_.version);

  if (burst_left_ > 0) {
    --burst_left_;  // a burst follow-up: the poll it belongs to was counted already
  } else {
    const uint8_t reach_before = state_.reach;
    // RFC 5905 §13: a server silent for kUnreachPolls polls is polled ever
    // more slowly, so dead servers cost little.
    if (state_.unreach >= kUnreachPolls) {
      state_.poll_log2 =
          std::max(state_.poll_log2, std::min(state_.poll_log2 + 1, options_.maxpoll));
    }
    if (state_.unreach >= kMissingAfterPolls) filter_.add_missing(now_s);
    state_.reach = static_cast<uint8_t>(state_.reach << 1);
    ++state_.unreach;
    // iburst at start-up and when the server has just become unreachable, to
    // (re)fill the filter quickly; `burst` at every poll while reachable.
    const bool reacquire = !polled_ || reach_before != 0;
    if (options_.iburst && state_.reach == 0 && reacquire) {
      burst_left_ = kIburstCount - 1;
    } else if (options_.burst && state_.reach != 0) {
      burst_left_ = kBurstCount - 1;
    }
    polled_ = true;
  }

  last_request_s_ = now_s;
  pending_.transmit = transmit;
  pending_.local_transmit = t1;
  awaiting_reply_ = true;
  request_crossed_step_ = false;
  if (burst_left_ > 0) {
    next_poll_s_ = now_s + std::max(kIburstSpacing_s, kMinRequestSpacing_s);
  } else {
    // Positive-only jitter, drawn once per interval and kept so that a
    // set_poll() before the next request rescales the same draw.
    jitter_factor_ = 1 + kPollJitterFraction * random_.next_unit();
    reschedule();
  }
  return make_client_request(transmit, poll_field(), options_.version);
}

bool Association::on_reply(const Evaluation& e, double now_s) {
  if (state_.stopped || !awaiting_reply_) return false;
  // Unverified replies must not consume the request in flight, or an
  // attacker's (or the network's) duplicate would hide the real answer.
  if (!origin_verified(e.verdict)) {
    count_drop(e.verdict);
    return false;
  }
  awaiting_reply_ = false;
  pending_.transmit = time::NtpTimestamp{};  // one answer per request: replays now fail origin
  // The clock was stepped while this request was in flight: T1 is from
  // before the step, T4 (perhaps) from after, so θ and δ would be off by the
  // step. One lost sample; the next request measures the stepped clock.
  if (request_crossed_step_) {
    request_crossed_step_ = false;
    ++state_.drops.crossed_step;
    state_.flash = flash_bits(Verdict::kBadTimestamps);
    return false;
  }
  count_drop(e.verdict);

  switch (action_for(e.verdict)) {
    case ServerAction::kUse: {
      state_.reach |= 1;
      state_.unreach = 0;
      state_.last_sample = e.sample;
      state_.last_reply_s = now_s;
      pending_.previous_server_transmit = e.sample.server_transmit;
      const bool changed = filter_.add(FilterSample{.offset_s = e.sample.offset_s,
                                                    .delay_s = e.sample.delay_s,
                                                    .dispersion_s = e.sample.dispersion_s,
                                                    .time_s = now_s},
                                       now_s);
      // Back from unreachable: drop the back-off at once.
      if (state_.poll_log2 != reachable_poll()) {
        state_.poll_log2 = reachable_poll();
        reschedule();
      }
      return changed;
    }
    case ServerAction::kBackOff: {
      // KoD RATE (RFC 5905 §7.4): slow down, to at least what the server
      // asks for in its poll field (exchange fills sample.poll when it can;
      // 0 otherwise) and always above minpoll.
      state_.kiss = e.kiss_code.empty() ? "RATE" : e.kiss_code;
      const int asked =
          std::max({state_.poll_log2 + 1, static_cast<int>(e.sample.poll), options_.minpoll + 1});
      rate_floor_log2_ = std::max(rate_floor_log2_, std::min(asked, kMaxPollLimit));
      state_.poll_log2 = std::max(state_.poll_log2, rate_floor_log2_);
      burst_left_ = 0;
      reschedule();
      return false;
    }
    case ServerAction::kStopUsing:
      // KoD DENY/RSTR: the server told us to go away; demobilise.
      state_.kiss = e.kiss_code;
      state_.stopped = true;
      burst_left_ = 0;
      next_poll_s_ = std::numeric_limits<double>::infinity();
      return false;
    case ServerAction::kIgnoreReply:
      if (!e.kiss_code.empty()) state_.kiss = e.kiss_code;  // unknown kiss: note it, carry on
      return false;
  }
  return false;
}

uint16_t flash_bits(Verdict v) {
  switch (v) {
    case Verdict::kAccepted:
      return 0;
    case Verdict::kDuplicate:
      return 0x0001;  // TEST1 duplicate
    case Verdict::kBogusOrigin:
    case Verdict::kNotServerMode:
    case Verdict::kBadVersion:
      return 0x0002;  // TEST2 bogus
    case Verdict::kBadTimestamps:
      return 0x0004;  // TEST3 invalid timestamps
    case Verdict::kKissDeny:
    case Verdict::kKissRestrict:
    case Verdict::kKissRate:
    case Verdict::kKissOther:
      return 0x0008;  // TEST4 access denied
    case Verdict::kUnsynchronised:
      return 0x0020;  // TEST6 bad synchronisation or stratum
    case Verdict::kBadDistance:
      return 0x0040;  // TEST7 bad header (root delay/dispersion)
  }
  return 0;
}

void Association::count_drop(Verdict v) {
  state_.flash = flash_bits(v);
  switch (v) {
    case Verdict::kAccepted:
      return;  // a sample
    case Verdict::kNotServerMode:
    case Verdict::kBadVersion:
    case Verdict::kDuplicate:
    case Verdict::kBogusOrigin:
      ++state_.drops.unmatched;
      return;
    case Verdict::kKissRate:
    case Verdict::kKissDeny:
    case Verdict::kKissRestrict:
    case Verdict::kKissOther:
      ++state_.drops.kiss;
      return;
    case Verdict::kUnsynchronised:
    case Verdict::kBadDistance:
      ++state_.drops.unsynchronised;
      return;
    case Verdict::kBadTimestamps:
      ++state_.drops.bad_timestamps;
      return;
  }
}

void Association::on_clock_adjusted(double correction_s) {
  filter_.shift_offsets(correction_s);
  if (awaiting_reply_) request_crossed_step_ = true;
}

void Association::set_poll(int poll_log2) {
  host_poll_log2_ = std::clamp(poll_log2, options_.minpoll, options_.maxpoll);
  // While backed off, the system's wish may lengthen the poll but not undo the back-off.
  const bool backed_off = state_.unreach >= kUnreachPolls;
  const int target = backed_off ? std::max(state_.poll_log2, reachable_poll()) : reachable_poll();
  if (target == state_.poll_log2) return;
  state_.poll_log2 = target;
  reschedule();
}

}  // namespace meridian::source
