// The per-association clock filter (RFC 5905 §10, with improvements): an
// 8-stage shift register of (offset, delay, dispersion, time) samples; the
// output is the minimum-delay sample among the stages, which rejects most
// queueing noise, with popcorn-spike suppression and the peer jitter.
// Pure: times are monotonic seconds supplied by the caller.
//
// Sign convention: offset θ = server − local (positive ⇒ our clock is behind).
//
// What the filter does, exactly:
//  * A stage is *valid* while its dispersion, grown by Φ = 15 µs/s since the
//    sample was taken, is below MAXDISP (16 s). Empty stages and the dummies
//    shifted in by add_missing() have dispersion MAXDISP and are never valid.
//  * Candidate = the valid stage with the smallest delay (ties: the newer);
//    with a staleness rate r set (set_staleness_rate), the smallest
//    δ + 2·r·age, so the "delay order" below is that order; with an age
//    limit set (set_age_limit), stages older than it come after the others.
//  * Newer-only ("prime directive", RFC 5905 §10): a candidate no newer than
//    the last sample handed out is not handed out again; add() returns false.
//  * Popcorn spike (RFC 5905 §10, SGATE = 3), once at least 4 stages are
//    valid (ψ from fewer samples is not a yardstick): a candidate is *held* when
//      |θ_cand − θ_last| > SGATE · max(ψ_last, ε_cand)   and   δ_cand > δ_last
//    where ψ_last is the jitter when the last output was handed out, ε_cand
//    the candidate's own dispersion when it was measured (precisions + Φ·δ, a
//    floor so identical past samples don't turn nanosecond noise into spikes),
//    and δ_last the delay of the last output. A jump that arrives with a delay
//    no larger than the sample in use cannot be blamed on queueing and is taken
//    at once (a real step of the server or of our clock). add() returns false.
//    The next add() decides the held sample's fate with the newest sample:
//    if that one is closer to the held offset than to θ_last, the change
//    persists and the spike test is skipped once (the held sample or the
//    confirming one is handed out, whichever has the smaller delay);
//    otherwise the held sample is marked rejected and never selected again
//    (it stays in the dispersion sum with its own dispersion, not MAXDISP:
//    the server did answer). So a sample is held at most once.
//  * Filter dispersion ε = Σ_{i=0..7} ε_i / 2^(i+1), stages sorted valid-first
//    by delay, invalid stages counting MAXDISP (RFC 5905 §10), rejected
//    spikes their own dispersion.
//  * Jitter ψ = sqrt( Σ_{i=1..m−1} (θ_i − θ_0)² / (m − 1) ) over the m valid
//    stages sorted by delay (θ_0 = candidate); 0 when m ≤ 1. The floor at the
//    system precision is the caller's business.
#pragma once

#include <array>
#include <cstddef>
#include <optional>

namespace meridian::source {

inline constexpr size_t kFilterStages = 8;    // NSTAGE
inline constexpr double kSpikeGate = 3.0;     // SGATE (RFC 5905 §7.2)
inline constexpr size_t kSpikeMinStages = 4;  // valid stages before spikes are tested

struct FilterSample {
  double offset_s = 0;
  double delay_s = 0;
  double dispersion_s = 0;  // at time_s
  double time_s = 0;        // monotonic time the sample was taken (T4)
};

struct FilterOutput {
  double offset_s = 0;      // θ of the selected sample (server − local)
  double delay_s = 0;       // δ of the selected sample
  double dispersion_s = 0;  // ε: weighted sum of the stages' dispersions (RFC 5905 §10)
  double jitter_s = 0;      // ψ: RMS of offset differences to the min-delay sample
  double time_s = 0;        // when the selected sample was taken
  // The selected sample's own dispersion, grown by Φ since it was taken: its
  // error bound alone, without the other stages (missed polls, MAXDISP).
  double sample_dispersion_s = 0;
};

class ClockFilter {
 public:
  // Shifts in a new sample. Returns true when the filter output changed to
  // a newer sample (the classic "only use newer samples" rule); false when
  // the sample was held back as a popcorn spike or is older than the last one used.
  bool add(const FilterSample& sample, double now_s);
  // Shifts in a dummy "no reply" stage (dispersion MAXDISP), as RFC 5905 does
  // when a poll goes unanswered, so stale samples age out. The output's
  // offset is unchanged (only its dispersion and jitter move); a newer stage
  // that becomes the minimum-delay one is handed out by the next add().
  void add_missing(double now_s);
  // The current output with dispersions grown by Φ since each sample; empty
  // until the first sample. offset/delay/time are those of the last sample
  // handed out; dispersion and jitter are computed from the stages at now_s.
  std::optional<FilterOutput> output(double now_s) const;
  // The stages, newest first (for ntpq's filtdelay/filtoffset/filtdisp).
  const std::array<std::optional<FilterSample>, kFilterStages>& stages() const { return stages_; }
  // The local clock was moved by correction_s (positive = moved forward, i.e.
  // local time increased): every stored θ = server − local shrinks by it, so
  // samples taken before a step or slew stay comparable with later ones
  // (chrony corrects its sample history the same way; classic ntpd clears).
  // The next sample after a shift is handed out even if an older stage has a
  // smaller delay: the delays before the step were measured in another state
  // of the system, and without this one lucky fast sample taken before a
  // start-up step could keep the discipline without data for 8 polls.
  void shift_offsets(double correction_s);
  // How fast a stored offset goes stale as an estimate of the present one,
  // s/s: a bound on the clock's rate error (the engine passes a few standard
  // errors of the discipline's frequency, kStalenessSigmas). Candidates are then ranked by
  // δ + 2·rate·age instead of δ: a sample's offset error is bounded by δ/2,
  // and an old sample's grows by rate·age on top, so a slightly slower but
  // fresh sample beats a fast one measured polls ago while the frequency is
  // poorly known (after an iburst the 8 stages hold the burst's fast samples
  // and nothing newer would otherwise be handed out for ~8 polls). 0 (the
  // default) is RFC 5905's pure minimum delay; the spike test is unchanged.
  void set_staleness_rate(double rate) { staleness_rate_ = rate > 0 ? rate : 0; }
  // Stages older than age_s rank after every younger valid stage (0, the
  // default: no limit). The reference ntpd's filter (ntpd 4.2.8, NTPsec)
  // ranks a sample older than the Allan intercept (2^11 s) by distance
  // instead of delay, so at long polls an old minimum-delay sample cannot
  // stay the output for 8 polls (2+ hours) while the clock wanders. The
  // engine sets it for the RFC 5905 discipline only.
  void set_age_limit(double age_s) { age_limit_s_ = age_s > 0 ? age_s : 0; }
  void clear();

 private:
  // A stage index with its dispersion grown to a given time.
  struct Ranked {
    size_t index = 0;
    double dispersion_s = 0;
  };
  void shift_in(const FilterSample& sample);
  bool resolve_held_spike();
  size_t rank(double now_s, std::array<Ranked, kFilterStages>& out) const;
  static double weighted_dispersion(const std::array<Ranked, kFilterStages>& ranked);
  double jitter(const std::array<Ranked, kFilterStages>& ranked, size_t valid) const;

  std::array<std::optional<FilterSample>, kFilterStages> stages_{};
  std::optional<FilterOutput> last_;  // the last output handed out
  double last_used_time_s_ = -1e300;
  bool use_next_ = false;      // set by shift_offsets(): hand out the next sample
  double staleness_rate_ = 0;  // s/s, see set_staleness_rate()
  double age_limit_s_ = 0;     // s, see set_age_limit()
  // Per-stage popcorn-spike state, shifted together with stages_.
  enum class Mark : unsigned char { kNone, kHeld, kRejected };
  std::array<Mark, kFilterStages> marks_{};
};

}  // namespace meridian::source
