// The RFC 5905 Appendix A.5.5 clock discipline (local_clock / rstclock /
// clock_adjust), the classic ntpd baseline the simulator compares against.
// It follows the appendix where the appendix makes a working loop, and the
// reference implementation (ntpd 4.2.8 / NTPsec ntp_loopfilter.c and the
// Linux kernel PLL they drive) where it does not. docs/accuracy.md ("The
// RFC 5905 baseline") gives the measured effect of each choice. Deviations
// from the appendix, each noted where it happens:
//   - PLL gain kPll = 4, the Linux kernel PLL's (SHIFT_PLL = 2: phase time
//     constant 4·2^poll s), which is what NTPsec uses on Linux by default;
//     the appendix's 65536 would make it 65536·2^poll s (weeks), and the
//     reference daemon loop's 16 is 4× slower than the kernel's;
//   - the PLL's integration interval is clamped at 8 polls, the kernel
//     PLL's clamp (2^(SHIFT_PLL + 1 + poll) s), not at one poll;
//   - FREQ state (reference implementation, whose adj_host_clock adjusts the
//     phase in SYNC only): the phase is not slewed while
//     the frequency is measured, so the direct measurement (θ − θ₀)/(t − t₀)
//     sees the oscillator alone;
//   - start-up clamp (reference implementation): after that measurement, or
//     at the first update with a drift file, the start-up phase error is
//     slewed with a 32 s time constant (at most max_frequency_ppm) and NOT
//     integrated into the frequency, until |θ| < 0.5 ms (or stepout_s plus
//     the slewing time has passed); the appendix's PLL integrates a 0.1 s
//     start-up error into a frequency error of several ppm that it then
//     needs a day to unwind;
//   - the FREQ-state wait and the spike stepout use options.stepout_s (WATCH);
//   - the SYNC→SPIK transition is recorded (the appendix assigns a local);
//   - wander averages the frequency *change* (the appendix squares the total);
//   - step/spike/panic decisions come from the shared StepPolicy (-g, -x);
//   - after a step the poll interval drops to minpoll.
// As in the appendix (and unlike the old version of this file), updates are
// timed by the sample's epoch p->t (measured_at_s): the clock filter hands
// over its minimum-delay sample, which may be several polls old. The engine
// pairs this discipline with the reference filter's age rule
// (ClockFilter::set_age_limit).
// clock_adjust's adjtime() is emulated by tick(), which each second returns
// freq + c.offset/(PLL·min(2^poll, ALLAN)) as one frequency.
#include <algorithm>
#include <cmath>

#include "core/discipline/discipline.h"
#include "core/discipline/step_policy.h"

namespace meridian::discipline {
namespace {

constexpr double kPll = 4;              // PLL loop gain (Linux kernel PLL, see above)
constexpr double kFll = 17 + 1;         // FLL loop gain: the RFC's MAXPOLL + 1
constexpr double kAvg = 4;              // parameter averaging constant
constexpr double kAllan = 1500;         // compromise Allan intercept, s
constexpr int kLimit = 30;              // poll-adjust threshold (jiggle counter)
constexpr double kPgate = 4;            // poll-adjust gate
constexpr double kPrecision = 0x1p-20;  // jitter floor, s (LOG2D(s.precision))
// Start-up clamp (reference implementation): phase time constant, s
// (its CLOCK_PLL · 2 s), and the offset below which the clamp ends (CLOCK_FLOOR).
constexpr double kClampTimeConstant_s = 32;
constexpr double kClockFloor_s = 0.0005;

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

  using Discipline::update;
  ClockAdjustment update(double offset_s, double jitter_s, double now_s,
                         double measured_at_s) override;
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
  bool clamped() const { return clamp_; }
  void start_clamp(double now_s);
  void account_slew(double now_s);
  ClockAdjustment emit(ClockAdjustment::Kind kind, double step_s = 0);
  void rstclock(LoopState state, double t_s, double offset_s);
  double frequency_update(double offset_s, double mu_s);
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
  double last_update_s_ = 0;  // s.t: epoch of the last sample used
  bool have_update_ = false;
  int count_ = 0;  // c.count, the jiggle counter
  int poll_;
  // Start-up clamp: active, and until when (now_s).
  bool clamp_ = false;
  double clamp_until_s_ = 0;
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
  // gain stops growing at the Allan intercept. Nothing while the frequency is
  // measured (reference implementation: the phase waits for SYNC).
  double rate = 0;
  if (state_ != LoopState::kNset && state_ != LoopState::kFreq) {
    const double tau = clamped() ? kClampTimeConstant_s : kPll * std::min(poll_s(), kAllan);
    rate = offset_ / tau;
  }
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
  if (clamp_ && now_s >= clamp_until_s_) clamp_ = false;
  return emit(ClockAdjustment::Kind::kSlew);
}

void Rfc5905Discipline::rstclock(LoopState state, double t_s, double offset_s) {
  state_ = state;
  base_ = offset_s - offset_;
  last_ = offset_ = offset_s;
  last_update_s_ = t_s;
  have_update_ = true;
}

// The start-up clamp lasts until |θ| < kClockFloor_s, at most stepout_s plus
// the time to slew the current offset at the maximum rate.
void Rfc5905Discipline::start_clamp(double now_s) {
  clamp_ = true;
  clamp_until_s_ = now_s + options_.stepout_s + std::fabs(offset_) / max_freq();
}

// SYNC/SPIK: the PLL/FLL hybrid's frequency change for offset θ after mu s.
double Rfc5905Discipline::frequency_update(double offset_s, double mu_s) {
  double freq = 0;
  // The FLL only above half the Allan intercept; its gain rises to 1/AVG.
  if (poll_s() > kAllan / 2) {
    const double gain = std::max(kFll - poll_, kAvg);
    freq += (offset_s - offset_) / (std::max(mu_s, kAllan) * gain);
  }
  // PLL: integrate over the update interval, at most 8 polls (the kernel
  // PLL's clamp; the appendix's is one poll): the minimum-delay filter often
  // hands over a sample only every few polls, and the appendix's clamp then
  // cuts the integral gain by that factor.
  const double interval = std::min(mu_s, 8 * poll_s());
  const double denom = 4 * kPll * poll_s();
  freq += offset_s * interval / (denom * denom);
  return freq;
}

ClockAdjustment Rfc5905Discipline::update(double offset_s, double /*jitter_s*/, double now_s,
                                          double measured_at_s) {
  using Kind = ClockAdjustment::Kind;
  // RFC 5905 §10 / A.5.5.6: p->t is the sample's epoch; a sample not newer
  // than the last one used is ignored.
  const double t = std::min(measured_at_s, now_s);
  if (have_update_ && t <= last_update_s_) return {};
  account_slew(now_s);
  const StepVerdict verdict = policy_.decide(offset_s, now_s);
  if (verdict == StepVerdict::kPanic) return {.kind = Kind::kPanic};
  const double mu = have_update_ ? t - last_update_s_ : 0;  // since the last update
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
    rstclock(nset ? LoopState::kFreq : LoopState::kSync, t, 0);
    if (nset) return emit(Kind::kStep, offset_s);  // frequency measured after stepout
    result = Kind::kStep;
  } else {
    // Clock jitter: RMS of exponentially averaged offset differences; not
    // while the start-up error is being measured or removed (deviation: the
    // offsets then move by design, and a jitter of milliseconds would make
    // the poll-adjust lengthen the poll to maxpoll right after start-up).
    if (state_ == LoopState::kSync || state_ == LoopState::kSpik) {
      if (!clamp_) {
        const double diff = std::max(std::fabs(offset_s - last_), kPrecision);
        jitter_ = std::sqrt(jitter_ * jitter_ + (diff * diff - jitter_ * jitter_) / kAvg);
      }
    }
    switch (state_) {
      case LoopState::kNset:
        // First update, no drift file: measure the frequency over the
        // stepout interval before closing the loop (the phase waits).
        offset_ = offset_s;
        rstclock(LoopState::kFreq, t, offset_s);
        return emit(Kind::kSlew);
      case LoopState::kFset:
        // Phase now, frequency (from the file) kept; start-up clamp.
        offset_ = offset_s;
        rstclock(LoopState::kSync, t, offset_s);
        start_clamp(now_s);
        break;
      case LoopState::kFreq:
        if (t - last_update_s_ < options_.stepout_s) return {};
        freq = (offset_s - base_ - offset_) / mu;
        rstclock(LoopState::kSync, t, offset_s);
        start_clamp(now_s);
        break;
      default:  // kSync, kSpik
        if (clamp_ && std::fabs(offset_s) < kClockFloor_s) clamp_ = false;
        if (!clamp_) freq = frequency_update(offset_s, mu);
        rstclock(LoopState::kSync, t, offset_s);
        break;
    }
  }
  const double old_freq = freq_;
  freq_ = std::clamp(freq_ + freq, -max_freq(), max_freq());
  const double change = freq_ - old_freq;
  wander_ = std::sqrt(wander_ * wander_ + (change * change - wander_ * wander_) / kAvg);
  if (!clamp_) adjust_poll();  // reference: the poll stays put during the clamp
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
