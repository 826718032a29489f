// Meridian's clock discipline: estimate, don't loop.
//
// The discipline knows every correction it asked for, so it can undo them on
// paper: raw(t) = θ(t) + C(t), where C(t) is the sum of all steps plus the
// integral of all frequency corrections until t, is the offset the
// free-running oscillator would show. raw(t) is a straight line (slope =
// −intrinsic error) plus noise plus slow wander, so:
//   - frequency = slope of a weighted least-squares line through the recent
//     raw offsets (regression.h). How many: a few candidate window lengths
//     are scored by how well each predicted every new sample before it
//     arrived (an average of squared prediction errors), and the best one is
//     used, cut further by the runs test (chrony's sourcestats idea). Long
//     windows average the noise down but lag a wandering oscillator; the
//     prediction errors measure both at once, with no model of either;
//   - phase = the line at now minus C(now): the offset still to correct,
//     removed by steering (adding θ̂/τ to the frequency, τ ∝ update interval).
// Because the estimate is recomputed from data each time and C is exact, the
// steering cannot feed back into the estimate: there is no loop to oscillate,
// the phase simply decays with τ towards the estimate's error.
// Poll: longer while the longest window predicts best and new samples land
// where the line predicts; shorter when the window had to shrink or a sample
// surprises us.
#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <vector>

#include "core/discipline/discipline.h"
#include "core/discipline/regression.h"
#include "core/discipline/step_policy.h"

namespace meridian::discipline {
namespace {

constexpr size_t kMaxSamples = 64;  // regression window cap (as chrony)
constexpr size_t kMinWindow = 6;    // never shrink the window below this
// Candidate window lengths (samples), ~√2 apart; the last is kMaxSamples.
// The optimum balances noise (error ∝ σ²/N) against the oscillator's
// wander (error growing ∝ span³). In the simulator (meridian-sim) with
// 1e-9/√s random-walk frequency at poll 64 s it is 8 samples for the clock
// filter's outputs on a LAN, 16–32 on a 1 ms-jitter path, and without wander
// the longest. Below 8 the frequency gets too noisy for holdover.
constexpr std::array<size_t, 7> kWindows = {8, 12, 16, 24, 32, 48, kMaxSamples};
// EWMA length (updates) of each candidate's squared prediction error: long
// enough that noise does not pick the window, short enough to follow changes.
constexpr double kScoreAvg = 32;
// Poll may grow only with a full window that is also the best predictor:
// more samples beat a longer span for white phase noise, a long poll after
// short ones gives the newest sample a large lever on the line, and when a
// shorter window predicts better the oscillator wanders too much for a
// longer span between samples.
constexpr size_t kPollUpSamples = kMaxSamples;
constexpr int kPollScoreLimit = 8;  // hysteresis of the poll counter
// Poll may grow only while the line's residuals are below this: on a noisy
// path the error is averaged down by more samples, not by a longer span
// (simulator scenarios 5 and 6: RMS 466 → 209 µs and 495 → 287 µs), and
// minpoll is a rate every server accepts.
constexpr double kPollUpMaxJitter_s = 100e-6;
constexpr double kInnovationAvg = 8;    // EWMA length of z² (updates)
constexpr double kInnovationLow = 1.0;  // z² mean below this: noise only
constexpr double kInnovationHigh = 2;   // above: the line does not keep up
constexpr double kSteerRatio = 1;       // τ = ratio × update interval
constexpr double kMinSteer_s = 2;       // never steer faster than this
constexpr double kMinJitter_s = 1e-7;   // weight floor, s
constexpr double kAvg = 4;              // averaging constant for wander
// Prior on the slope: a drift file is good to a couple of ppm; without one
// only the kernel's limit bounds it; after a late step, our own estimate.
constexpr double kDriftFileSigma = 2e-6;
constexpr double kAfterStepSigma = 1e-6;

struct Sample {
  double t;       // monotonic measurement time, s
  double raw;     // θ + C(t): offset of the free-running oscillator, s
  double jitter;  // as given by selection, s
};

class MeridianDiscipline final : public Discipline {
 public:
  explicit MeridianDiscipline(const DisciplineOptions& options)
      : options_(options),
        policy_(options, options.startup_step_threshold_s),
        freq_estimate_(clamp_freq(options.initial_frequency_ppm.value_or(0) * 1e-6)),
        freq_in_effect_(freq_estimate_),
        prior_slope_(freq_estimate_),
        prior_weight_(options.initial_frequency_ppm ? 1 / (kDriftFileSigma * kDriftFileSigma)
                                                    : 1 / (max_freq() * max_freq())),
        poll_(options.min_poll_log2),
        interval_s_(std::ldexp(1.0, options.min_poll_log2)) {}

  using Discipline::update;
  // measured_at_s is not used: the regression places each offset at now_s.
  ClockAdjustment update(double offset_s, double jitter_s, double now_s,
                         double measured_at_s) override;
  ClockAdjustment tick(double now_s) override {
    advance(now_s);
    return emit(ClockAdjustment::Kind::kSlew);
  }
  DisciplineState state() const override {
    return {.frequency_ppm = freq_estimate_ * 1e6,
            .offset_s = phase_estimate(),
            .clock_jitter_s = jitter_,
            .clock_wander_ppm = wander_ * 1e6,
            .frequency_sigma_ppm = frequency_sigma() * 1e6,
            .poll_log2 = poll_,
            .synchronised = policy_.corrected()};
  }

 private:
  double max_freq() const { return options_.max_frequency_ppm * 1e-6; }
  double clamp_freq(double f) const { return std::clamp(f, -max_freq(), max_freq()); }
  void advance(double now_s);
  double correction_at(double t) const;
  // The offset still to correct now (θ convention): the line minus C.
  double phase_estimate() const { return have_fit_ ? fit_.predict(now_s_) - correction_ : 0; }
  double jitter_floor() const;
  // Standard error of the frequency estimate, s/s: the fit's slope (its
  // unit-weight variance over Σw(t − t̄)² plus the prior's weight), or the
  // prior's own before the first fit (drift file: kDriftFileSigma).
  double frequency_sigma() const {
    if (have_fit_ && fit_.sxx > 0) return std::sqrt(fit_.unit_var / fit_.sxx);
    return 1 / std::sqrt(prior_weight_);
  }
  std::vector<RegressionPoint> weighted_points() const;
  void score_windows(const Sample& next);
  size_t best_window() const;
  void refit();
  void adapt_poll(bool shrunk);
  ClockAdjustment emit(ClockAdjustment::Kind kind, double step_s = 0);

  DisciplineOptions options_;
  StepPolicy policy_;

  // C(t) bookkeeping. freq_in_effect_ is what the clock was last told (s/s).
  bool started_ = false;
  double now_s_ = 0;
  double correction_ = 0;                          // C(now_s_), s
  std::deque<std::pair<double, double>> history_;  // (t, C(t)) for samples from the past

  std::deque<Sample> samples_;  // oldest first: the window and, before it, older candidates
  // Per candidate window: EWMA of the squared normalised error with which its
  // line predicted each new sample (z², so ~1 + the line's own error).
  std::array<double, kWindows.size()> window_score_{};
  LineFit fit_;
  bool have_fit_ = false;
  double freq_estimate_;   // s/s: the frequency that cancels the oscillator error
  double freq_in_effect_;  // s/s: estimate + steering, as last emitted
  double prior_slope_;
  double prior_weight_;

  int poll_;
  int poll_score_ = 0;
  double interval_s_;  // recent spacing of updates, s
  double last_update_s_ = 0;
  bool have_update_ = false;
  double jitter_ = 0;
  double wander_ = 0;
  double innovation_ = 1;  // EWMA of z², 1 = noise only
  double last_emitted_ppm_ = NAN;
};

// Integrates the frequency in effect up to now_s (C only moves forward).
void MeridianDiscipline::advance(double now_s) {
  if (!started_) {
    started_ = true;
    now_s_ = now_s;
  } else if (now_s > now_s_) {
    correction_ += freq_in_effect_ * (now_s - now_s_);
    now_s_ = now_s;
  } else {
    return;
  }
  history_.emplace_back(now_s_, correction_);
  // Keep enough to place a sample that the filter held back for a few polls.
  const double keep_s = 8 * std::ldexp(1.0, options_.max_poll_log2);
  while (history_.size() > 2 && history_.front().first < now_s_ - keep_s) history_.pop_front();
}

// C(t) for t ≤ now: linear between the recorded points (frequency is constant
// between them). Older than the history: its oldest value.
double MeridianDiscipline::correction_at(double t) const {
  if (t >= now_s_ || history_.empty()) return correction_;
  auto it = std::lower_bound(history_.begin(), history_.end(), t,
                             [](const auto& h, double v) { return h.first < v; });
  if (it == history_.begin()) return it->second;
  const auto& [t1, c1] = *it;
  const auto& [t0, c0] = *(it - 1);
  return t1 > t0 ? c0 + (c1 - c0) * (t - t0) / (t1 - t0) : c1;
}

// The jitter floor, s: half the samples' median jitter, so one optimistic
// jitter report cannot let a single sample dominate. REQUIRES: samples.
double MeridianDiscipline::jitter_floor() const {
  std::vector<double> jitters;
  jitters.reserve(samples_.size());
  for (const auto& s : samples_) jitters.push_back(s.jitter);
  std::nth_element(jitters.begin(), jitters.begin() + static_cast<long>(jitters.size() / 2),
                   jitters.end());
  return std::max(kMinJitter_s, 0.5 * jitters[jitters.size() / 2]);
}

// The samples as regression points, weights 1/jitter² (jitter floored).
std::vector<RegressionPoint> MeridianDiscipline::weighted_points() const {
  const double floor = jitter_floor();
  std::vector<RegressionPoint> points;
  points.reserve(samples_.size());
  for (const auto& s : samples_) {
    const double j = std::max(s.jitter, floor);
    points.push_back({.t = s.t, .y = s.raw, .weight = 1 / (j * j)});
  }
  return points;
}

// Before `next` joins: how well did each candidate window's line predict it?
// The new sample's own noise is common to every candidate, so it adds the
// same to every score and cannot change which one is lowest; what differs
// is each line's error at the new sample (noise averaging vs lag).
void MeridianDiscipline::score_windows(const Sample& next) {
  if (samples_.size() < kWindows.front()) return;
  const std::vector<RegressionPoint> points = weighted_points();
  const std::span<const RegressionPoint> all(points);
  // Normalise by the variance the sample itself is weighted with, so a noisy
  // sample does not decide the comparison alone.
  const double sigma = std::max(next.jitter, jitter_floor());
  for (size_t k = 0; k < kWindows.size(); ++k) {
    const auto window = all.last(std::min(kWindows[k], points.size()));
    const LineFit fit = fit_line(window, prior_slope_, prior_weight_);
    const double error = next.raw - fit.predict(next.t);
    window_score_[k] += (error * error / (sigma * sigma) - window_score_[k]) / kScoreAvg;
  }
}

// The candidate window (samples) with the lowest score; ties go to the longer.
size_t MeridianDiscipline::best_window() const {
  size_t best = kWindows.size() - 1;
  for (size_t k = kWindows.size() - 1; k-- > 0;) {
    if (window_score_[k] < window_score_[best]) best = k;
  }
  return kWindows[best];
}

void MeridianDiscipline::refit() {
  const std::vector<RegressionPoint> points = weighted_points();
  const size_t first = points.size() - std::min(points.size(), best_window());
  const std::span<const RegressionPoint> candidate(points.begin() + static_cast<long>(first),
                                                   points.end());
  const size_t start = best_window_start(candidate, kMinWindow, prior_slope_, prior_weight_);
  if (start > 0) {
    // The runs test says the samples before start follow an older line:
    // forget them, and the older ones kept for longer candidates too.
    samples_.erase(samples_.begin(), samples_.begin() + static_cast<long>(first + start));
  }
  fit_ = fit_line(candidate.subspan(start), prior_slope_, prior_weight_);
  have_fit_ = true;
}

ClockAdjustment MeridianDiscipline::update(double offset_s, double jitter_s, double now_s,
                                           double /*measured_at_s*/) {
  using Kind = ClockAdjustment::Kind;
  if (!samples_.empty() && now_s <= samples_.back().t) return {};  // stale or repeated
  advance(now_s);
  const bool startup = !policy_.corrected();
  const StepVerdict verdict = policy_.decide(offset_s, now_s);
  if (verdict == StepVerdict::kPanic) return {.kind = Kind::kPanic};
  if (verdict == StepVerdict::kHold) return {};  // a spike until it persists for stepout

  if (have_update_) interval_s_ = std::max(now_s - last_update_s_, 1.0);
  last_update_s_ = now_s;
  have_update_ = true;

  const Sample sample{now_s, offset_s + correction_at(now_s), std::max(jitter_s, 0.0)};
  // How surprising is the new sample, given the line so far? (for the poll)
  double surprise = 0;
  if (have_fit_ && fit_.n >= 3) {
    // The reported jitter is the noise yardstick (the residuals would absorb
    // some wander); without one, the residuals.
    const double sigma = std::max(sample.jitter > 0 ? sample.jitter : fit_.rms_resid, kMinJitter_s);
    const double variance = fit_.prediction_variance(sample.t) + sigma * sigma;
    surprise = std::fabs(sample.raw - fit_.predict(sample.t)) / std::sqrt(variance);
  }

  double step_s = 0;
  if (verdict == StepVerdict::kStep) {
    step_s = offset_s;
    correction_ += step_s;
    history_.emplace_back(now_s_, correction_);
    poll_ = options_.min_poll_log2;
    poll_score_ = 0;
    if (!startup) {
      // A late step means the old line no longer holds (the reference or our
      // clock jumped); keep only the frequency, as a prior.
      samples_.clear();
      window_score_.fill(0);
      prior_slope_ = freq_estimate_;
      prior_weight_ = 1 / (kAfterStepSigma * kAfterStepSigma);
    }
  }
  score_windows(sample);
  samples_.push_back(sample);
  if (samples_.size() > kMaxSamples) samples_.pop_front();
  const size_t before = samples_.size();
  // Innovations persistently larger than the noise: the line is too long to
  // follow the oscillator's wander (the runs test is weak against noise of
  // this size, and the window scores react slowly); drop the oldest quarter
  // of the window in use, and every older sample, as the runs test would.
  innovation_ += (std::min(surprise * surprise, 9.0) - innovation_) / kInnovationAvg;
  if (innovation_ > kInnovationHigh && have_fit_ && fit_.n > 2 * kMinWindow) {
    const size_t in_window = std::min(samples_.size(), fit_.n + 1);  // + the new sample
    const size_t drop = samples_.size() - in_window + in_window / 4;
    samples_.erase(samples_.begin(), samples_.begin() + static_cast<long>(drop));
    innovation_ = 1;
  }
  refit();
  const bool shrunk = samples_.size() < before;

  const double old_estimate = freq_estimate_;
  freq_estimate_ = clamp_freq(fit_.slope);
  const double change = freq_estimate_ - old_estimate;
  if (fit_.n >= 3) {
    wander_ = std::sqrt(wander_ * wander_ + (change * change - wander_ * wander_) / kAvg);
    jitter_ = fit_.rms_resid;
  } else {
    jitter_ = sample.jitter;
  }
  if (verdict != StepVerdict::kStep) adapt_poll(shrunk);
  return emit(verdict == StepVerdict::kStep ? Kind::kStep : Kind::kSlew, step_s);
}

// Poll control. Innovations (new sample − the line's prediction) have a
// normalised square z² averaging ~1 when only measurement noise is left; a
// higher average means the oscillator wanders more than the line follows
// (update() then drops old samples). So: poll longer only with a full window
// and z² below 1 for a while; poll shorter at once when the window shrank.
void MeridianDiscipline::adapt_poll(bool shrunk) {
  if (shrunk) {
    // The line had to be shortened: sample faster at once, and earn back.
    poll_score_ = 0;
    poll_ = std::max(poll_ - 1, options_.min_poll_log2);
    return;
  }
  if (samples_.size() >= kPollUpSamples && best_window() == kMaxSamples &&
      innovation_ < kInnovationLow && jitter_ < kPollUpMaxJitter_s) {
    ++poll_score_;
  } else {
    poll_score_ = std::max(poll_score_ - 1, 0);
  }
  if (poll_score_ >= kPollScoreLimit) {
    poll_score_ = 0;
    poll_ = std::min(poll_ + 1, options_.max_poll_log2);
  }
}

// The frequency to set now: estimate plus steering of the remaining phase,
// τ proportional to the update interval so the phase is mostly corrected
// before the next measurement (chrony's corrtimeratio idea).
ClockAdjustment MeridianDiscipline::emit(ClockAdjustment::Kind kind, double step_s) {
  const double tau = std::max(kMinSteer_s, kSteerRatio * interval_s_);
  freq_in_effect_ = clamp_freq(freq_estimate_ + phase_estimate() / tau);
  ClockAdjustment out;
  out.kind = kind;
  out.step_s = step_s;
  out.frequency_ppm = freq_in_effect_ * 1e6;
  out.frequency_estimate_ppm = freq_estimate_ * 1e6;
  if (kind == ClockAdjustment::Kind::kSlew &&
      std::fabs(out.frequency_ppm - last_emitted_ppm_) < 1e-9) {
    out.kind = ClockAdjustment::Kind::kNone;  // unchanged: the engine keeps the last value
  }
  if (out.kind != ClockAdjustment::Kind::kNone) last_emitted_ppm_ = out.frequency_ppm;
  return out;
}

}  // namespace

std::unique_ptr<Discipline> make_meridian_discipline(const DisciplineOptions& options) {
  return std::make_unique<MeridianDiscipline>(options);
}

}  // namespace meridian::discipline
