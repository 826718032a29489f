// The RFC 5905 Appendix A.5.5 clock discipline (local_clock / rstclock /
// clock_adjust), the classic ntpd baseline the simulator compares against.
// Faithful where it matters, with these deliberate deviations (each noted
// where it happens):
//   - PLL gain 16 (the reference ntpd's CLOCK_PLL), not the appendix's 65536,
//     which would make the phase time constant 65536·2^poll s (weeks);
//   - the FREQ-state wait and the spike stepout use options.stepout_s (WATCH);
//   - the SYNC→SPIK transition is recorded (the appendix assigns a local);
//   - wander averages the frequency *change* (the appendix squares the total);
//   - step/spike/panic decisions come from the shared StepPolicy (-g, -x);
//   - after a step the poll interval drops to minpoll.
// No kernel PLL: clock_adjust's adjtime() is emulated by tick(), which each
// second returns freq + c.offset/(PLL·min(2^poll, ALLAN)) as one frequency.
#include <algorithm>
#include <cmath>

#include "core/discipline/discipline.h"
#include "core/discipline/step_policy.h"

namespace meridian::discipline {
namespace {

constexpr double kPll = 16;             // PLL loop gain (reference ntpd CLOCK_PLL)
constexpr double kFll = 17 + 1;         // FLL loop gain: the RFC's MAXPOLL + 1
constexpr double kAvg = 4;              // parameter averaging constant
constexpr double kAllan = 1500;         // compromise Allan intercept, s
constexpr int kLimit = 30;              // poll-adjust threshold (jiggle counter)
constexpr double kPgate = 4;            // poll-adjust gate
constexpr double kPrecision = 0x1p-20;  // jitter floor, s (LOG2D(s.precision))

enum class LoopState { kNset, kFset, kSpik, kFreq, kSync };

class Rfc5905Discipline final : public Discipline {
 public:
  explicit Rfc5905Discipline(const DisciplineOptions& options)
      : options_(options),
        policy_(options, 0),  // classic: start-up steps only above the step threshold
        state_(options.initial_frequency_ppm ? LoopState::kFset : LoopState::kNset),
        freq_(
            std::clamp(options.initial_frequency_ppm.value_or(0) * 1e-6, -max_freq(), max_freq())),
        poll_(options.min_poll_log2) {}

  ClockAdjustment update(double offset_s, double /*jitter_s*/, double now_s) override;
  ClockAdjustment tick(double now_s) override;
  DisciplineState state() const override {
    return {.frequency_ppm = freq_ * 1e6,
            .offset_s = offset_,
            .clock_jitter_s = jitter_,
            .clock_wander_ppm = wander_ * 1e6,
            .poll_log2 = poll_,
            .synchronised = policy_.corrected()};
  }

 private:
  double max_freq() const { return options_.max_frequency_ppm * 1e-6; }
  double poll_s() const { return std::ldexp(1.0, poll_); }
  void account_slew(double now_s);
  ClockAdjustment emit(ClockAdjustment::Kind kind, double step_s = 0);
  void rstclock(LoopState state, double now_s, double offset_s);
  void adjust_poll();

  DisciplineOptions options_;
  StepPolicy policy_;
  LoopState state_;
  double freq_;        // c.freq, s/s (positive ⇒ speed the clock up)
  double offset_ = 0;  // c.offset: phase still to be slewed, s (θ convention)
  double base_ = 0;    // c.base
  double last_ = 0;    // c.last
  double jitter_ = kPrecision;
  double wander_ = 0;
  double last_update_s_ = 0;  // s.t
  bool have_update_ = false;
  int count_ = 0;  // c.count, the jiggle counter
  int poll_;
  // The adjtime() emulation: rate (s/s) in effect since adj_since_s_.
  double adj_rate_ = 0;
  double adj_since_s_ = 0;
  bool adj_started_ = false;
  double last_emitted_ppm_ = NAN;
};

// Removes from c.offset what the steering term has corrected since the last
// call (the emulated kernel's share of clock_adjust).
void Rfc5905Discipline::account_slew(double now_s) {
  if (adj_started_ && now_s > adj_since_s_) {
    double applied = adj_rate_ * (now_s - adj_since_s_);
    if (std::fabs(applied) > std::fabs(offset_)) applied = offset_;  // never overshoot
    offset_ -= applied;
  }
  if (!adj_started_ || now_s > adj_since_s_) adj_since_s_ = now_s;
  adj_started_ = true;
}

ClockAdjustment Rfc5905Discipline::emit(ClockAdjustment::Kind kind, double step_s) {
  // clock_adjust(): a 1/(PLL·τ) share of the residual phase per second; the
  // gain stops growing at the Allan intercept.
  const double rate = offset_ / (kPll * std::min(poll_s(), kAllan));
  const double total = std::clamp(freq_ + rate, -max_freq(), max_freq());
  adj_rate_ = total - freq_;
  ClockAdjustment out;
  out.kind = kind;
  out.step_s = step_s;
  out.frequency_ppm = total * 1e6;
  out.frequency_estimate_ppm = freq_ * 1e6;
  if (kind == ClockAdjustment::Kind::kNone || kind == ClockAdjustment::Kind::kSlew) {
    // Ticks only report a change; the engine keeps the last frequency.
    const bool changed = !(std::fabs(out.frequency_ppm - last_emitted_ppm_) < 1e-9);
    out.kind = changed ? ClockAdjustment::Kind::kSlew : ClockAdjustment::Kind::kNone;
  }
  if (out.kind != ClockAdjustment::Kind::kNone) last_emitted_ppm_ = out.frequency_ppm;
  return out;
}

ClockAdjustment Rfc5905Discipline::tick(double now_s) {
  account_slew(now_s);
  return emit(ClockAdjustment::Kind::kSlew);
}

void Rfc5905Discipline::rstclock(LoopState state, double now_s, double offset_s) {
  state_ = state;
  base_ = offset_s - offset_;
  last_ = offset_ = offset_s;
  last_update_s_ = now_s;
  have_update_ = true;
}

ClockAdjustment Rfc5905Discipline::update(double offset_s, double /*jitter_s*/, double now_s) {
  using Kind = ClockAdjustment::Kind;
  if (have_update_ && now_s <= last_update_s_) return {};  // not newer: RFC "p->t <= s.t"
  account_slew(now_s);
  const StepVerdict verdict = policy_.decide(offset_s, now_s);
  if (verdict == StepVerdict::kPanic) return {.kind = Kind::kPanic};
  const double mu = have_update_ ? now_s - last_update_s_ : 0;  // since the last update
  double freq = 0;
  Kind result = Kind::kSlew;
  if (verdict == StepVerdict::kHold) {
    if (state_ == LoopState::kSync) state_ = LoopState::kSpik;  // ignore the first outlier
    return {};
  }
  if (verdict == StepVerdict::kStep) {
    // FREQ: the outlier after stepout still measures the frequency.
    if (state_ == LoopState::kFreq && mu > 0) freq = (offset_s - base_ - offset_) / mu;
    count_ = 0;
    poll_ = options_.min_poll_log2;
    const bool nset = state_ == LoopState::kNset;
    offset_ = 0;  // the step removes the phase error; nothing left to slew
    rstclock(nset ? LoopState::kFreq : LoopState::kSync, now_s, 0);
    if (nset) return emit(Kind::kStep, offset_s);  // frequency measured after stepout
    result = Kind::kStep;
  } else {
    // Clock jitter: RMS of exponentially averaged offset differences.
    const double diff = std::max(std::fabs(offset_s - last_), kPrecision);
    jitter_ = std::sqrt(jitter_ * jitter_ + (diff * diff - jitter_ * jitter_) / kAvg);
    switch (state_) {
      case LoopState::kNset:
        // First update, no drift file: slew the phase, measure the frequency
        // over the stepout interval before closing the loop.
        offset_ = offset_s;
        rstclock(LoopState::kFreq, now_s, offset_s);
        return emit(Kind::kSlew);
      case LoopState::kFset:
        offset_ = offset_s;  // phase now, frequency (from the file) kept
        break;
      case LoopState::kFreq:
        if (now_s - last_update_s_ < options_.stepout_s) return {};
        freq = (offset_s - base_ - offset_) / mu;
        break;
      default: {  // kSync, kSpik: the PLL/FLL hybrid
        // The FLL only above half the Allan intercept; its gain rises to 1/AVG.
        if (poll_s() > kAllan / 2) {
          const double gain = std::max(kFll - poll_, kAvg);
          freq += (offset_s - offset_) / (std::max(mu, kAllan) * gain);
        }
        // PLL: integrate over min(update interval, poll): oversampling is fine.
        const double interval = std::min(mu, poll_s());
        const double denom = 4 * kPll * poll_s();
        freq += offset_s * interval / (denom * denom);
        break;
      }
    }
    rstclock(LoopState::kSync, now_s, offset_s);
  }
  const double old_freq = freq_;
  freq_ = std::clamp(freq_ + freq, -max_freq(), max_freq());
  const double change = freq_ - old_freq;
  wander_ = std::sqrt(wander_ * wander_ + (change * change - wander_ * wander_) / kAvg);
  adjust_poll();
  return emit(result, result == Kind::kStep ? offset_s : 0);
}

// The jiggle counter: offsets small against the jitter lengthen the poll,
// large ones shorten it twice as fast (RFC 5905 A.5.5.1).
void Rfc5905Discipline::adjust_poll() {
  if (std::fabs(offset_) < kPgate * jitter_) {
    count_ += poll_;
    if (count_ > kLimit) {
      count_ = kLimit;
      if (poll_ < options_.max_poll_log2) {
        count_ = 0;
        ++poll_;
      }
    }
  } else {
    count_ -= 2 * poll_;
    if (count_ < -kLimit) {
      count_ = -kLimit;
      if (poll_ > options_.min_poll_log2) {
        count_ = 0;
        --poll_;
      }
    }
  }
}

}  // namespace

std::unique_ptr<Discipline> make_rfc5905_discipline(const DisciplineOptions& options) {
  return std::make_unique<Rfc5905Discipline>(options);
}

}  // namespace meridian::discipline
