// The clock discipline: turns the selected offset estimates into clock
// corrections. Two algorithms behind one interface so the simulator can run
// both on identical conditions:
//   - Meridian's (make_meridian_discipline): frequency by weighted linear
//     regression over a variable window of recent "raw" offsets (runs test
//     picks the window), offset corrected separately by frequency steering,
//     step/slew policy below;
//   - the RFC 5905 appendix PLL/FLL (make_rfc5905_discipline), the classic baseline.
// Pure: offsets and monotonic times in, ClockAdjustment out. The caller
// applies it with Clock::step / Clock::set_frequency.
//
// Sign conventions (DESIGN.md §3): offset θ = server − local, positive ⇒ our
// clock is behind ⇒ speed up or step forward. frequency_ppm positive ⇒ the
// clock runs faster (as Clock::set_frequency). step_s positive ⇒ forward.
//
// Contract with the engine (both algorithms rely on it, the Meridian one
// exactly: it reconstructs the free-running oscillator from what it asked for):
//   - every kStep/kSlew returned is applied at once: step(step_s) then
//     set_frequency(frequency_ppm) (absolute, replaces the previous value);
//   - tick(now) is called about once a second (any spacing works, but the
//     offset steering is only as smooth as the ticks);
//   - before the first kSlew/kStep the clock's frequency correction is
//     initial_frequency_ppm (or 0); the first call returns it anyway.
#pragma once

#include <memory>
#include <optional>

namespace meridian::discipline {

struct DisciplineOptions {
  double step_threshold_s = 0.128;  // tinker step (0 = never step)
  // tinker stepback / stepfwd (classic ntpd 4.2.8 clock_max_back/_fwd): the
  // threshold for offsets θ < 0 (stepping the clock back) and θ > 0 (forward);
  // nullopt = step_threshold_s, 0 = never step in that direction.
  std::optional<double> step_back_threshold_s;
  std::optional<double> step_forward_threshold_s;
  double stepout_s = 300;             // tinker stepout: a big offset must persist this long
  double panic_threshold_s = 1000;    // tinker panic (0 = no panic check)
  bool slew_only = false;             // -x: never step (slew at up to max_frequency_ppm)
  bool allow_big_first_step = false;  // -g: the first correction may exceed panic
  double max_frequency_ppm = 500;     // the kernel's limit; bounds estimate + steering
  // From the drift file; nullopt when there is none (RFC 5905: NSET rather
  // than FSET, i.e. the frequency is measured before the loop closes).
  std::optional<double> initial_frequency_ppm;
  // Poll interval range the discipline may ask for (log2 s), as minpoll/maxpoll.
  int min_poll_log2 = 6;
  int max_poll_log2 = 10;
  // Meridian only: before the first correction, step (unless slew_only or
  // step_threshold_s == 0) when |θ| exceeds this, even below step_threshold_s.
  // Slewing 0.1 s at 500 ppm takes 200 s; a start-up step of a few ms is
  // harmless and gets us within 1 ms in seconds. 0 = use step_threshold_s.
  double startup_step_threshold_s = 0.001;
};

struct ClockAdjustment {
  enum class Kind {
    kNone,   // nothing to do (spike held back, not enough data yet, no change)
    kSlew,   // set the frequency (includes the offset-steering term)
    kStep,   // step by step_s, then set the frequency
    kPanic,  // offset beyond the panic threshold: the daemon must exit
  };
  Kind kind = Kind::kNone;
  double step_s = 0;                  // kStep: move the clock by this (positive = forward)
  double frequency_ppm = 0;           // kSlew/kStep: the total frequency correction to set
  double frequency_estimate_ppm = 0;  // the oscillator error estimate (drift file value)
};

struct DisciplineState {
  double frequency_ppm = 0;  // current estimate of the oscillator error correction
  double offset_s = 0;       // offset still to be corrected (θ convention), for loopstats
  double clock_jitter_s = 0;
  double clock_wander_ppm = 0;
  // Standard error of frequency_ppm, ppm (0: not estimated, as RFC 5905's).
  // The engine ages the clock filter's stored samples with it.
  double frequency_sigma_ppm = 0;
  int poll_log2 = 6;          // the poll interval the discipline wants
  bool synchronised = false;  // has made at least one correction
};

class Discipline {
 public:
  virtual ~Discipline() = default;
  // A new combined offset (server − local) handed over at monotonic time
  // now_s, with its jitter (s, > 0 preferred; used for weighting). Returns
  // what to do to the clock. measured_at_s (≤ now_s) is when the offset was
  // measured: the clock filter's sample epoch, RFC 5905's p->t, which may be
  // several polls old because the filter picks the minimum-delay sample. The
  // RFC 5905 loop times its updates by it (mu = p->t − s.t, and samples not
  // newer than the previous one are ignored); the Meridian one uses now_s.
  virtual ClockAdjustment update(double offset_s, double jitter_s, double now_s,
                                 double measured_at_s) = 0;
  // The offset was measured now.
  ClockAdjustment update(double offset_s, double jitter_s, double now_s) {
    return update(offset_s, jitter_s, now_s, now_s);
  }
  // Called between updates (e.g. every second) so frequency steering of the
  // offset can finish on time; may return a new frequency (kSlew) or kNone.
  virtual ClockAdjustment tick(double now_s) = 0;
  virtual DisciplineState state() const = 0;
};

std::unique_ptr<Discipline> make_meridian_discipline(const DisciplineOptions& options);
std::unique_ptr<Discipline> make_rfc5905_discipline(const DisciplineOptions& options);

}  // namespace meridian::discipline
