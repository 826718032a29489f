// A tiny closed loop for discipline tests: a simulated clock with an intrinsic
// frequency error (optionally wandering), offsets measured with Gaussian or
// exponential noise, 1 s time steps with tick(), update() at poll intervals
// (iburst first), and the adjustments applied as the engine would.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/discipline/discipline.h"
#include "core/random.h"

namespace meridian::discipline::testing {

struct LoopConfig {
  double intrinsic_ppm = 50;         // the oscillator's own error (+ ⇒ runs fast)
  double initial_offset_s = 0.1;     // θ at start (server − local: + ⇒ we are behind)
  double wander_ppm_per_sqrt_s = 0;  // random-walk frequency noise
  double exp_noise_mean_s = 0;       // exponential extra delay each way (offset = (e1 − e2)/2)
  double gauss_noise_s = 0;          // Gaussian offset noise σ
  double duration_s = 4 * 3600;
  int iburst_count = 8;           // updates 2 s apart at start (0 = none)
  int fixed_poll_log2 = 0;        // > 0: ignore the discipline's poll wish
  double reported_jitter_s = -1;  // < 0: report the true noise σ as jitter
  uint64_t seed = 1;
};

struct LoopResult {
  std::vector<double> offsets_s;  // true θ at each second
  double rms_second_half_s = 0;
  double max_abs_second_half_s = 0;
  double final_intrinsic_ppm = 0;  // after wander
  double final_frequency_estimate_ppm = 0;
  int steps = 0;
  int panics = 0;
  int updates = 0;
  int final_poll_log2 = 0;
  double abs_offset_at(double t_s) const {
    const auto i = static_cast<size_t>(std::clamp(t_s, 0.0, double(offsets_s.size() - 1)));
    return std::fabs(offsets_s[i]);
  }
};

class Noise {
 public:
  explicit Noise(uint64_t seed) : random_(seed) {}
  double uniform() { return std::max(random_.next_unit(), 1e-300); }
  double exponential(double mean) { return -mean * std::log(uniform()); }
  double gaussian() {  // Box–Muller
    return std::sqrt(-2 * std::log(uniform())) * std::cos(2 * M_PI * random_.next_unit());
  }

 private:
  SeededRandom random_;
};

inline LoopResult run_loop(Discipline& discipline, const LoopConfig& config) {
  using Kind = ClockAdjustment::Kind;
  Noise noise(config.seed);
  LoopResult result;
  // x = local − true; the measured offset is −x (server − local) plus noise.
  double x = -config.initial_offset_s;
  double intrinsic = config.intrinsic_ppm * 1e-6;
  double correction = 0;  // what set_frequency last set, s/s
  auto apply = [&](const ClockAdjustment& a) {
    if (a.kind == Kind::kStep) {
      x += a.step_s;
      ++result.steps;
    }
    if (a.kind == Kind::kPanic) ++result.panics;
    if (a.kind == Kind::kStep || a.kind == Kind::kSlew) correction = a.frequency_ppm * 1e-6;
  };
  const double exp_sigma = config.exp_noise_mean_s / std::sqrt(2.0);
  const double sigma = std::hypot(exp_sigma, config.gauss_noise_s);
  const double jitter = config.reported_jitter_s >= 0 ? config.reported_jitter_s : sigma;
  double next_update = 1;
  int burst_left = config.iburst_count;
  const auto seconds = static_cast<int>(config.duration_s);
  for (int s = 0; s < seconds; ++s) {
    const double t = s;
    result.offsets_s.push_back(-x);
    if (s > 0) apply(discipline.tick(t));
    if (t >= next_update) {
      double measured = -x;
      if (config.exp_noise_mean_s > 0) {
        measured += (noise.exponential(config.exp_noise_mean_s) -
                     noise.exponential(config.exp_noise_mean_s)) /
                    2;
      }
      if (config.gauss_noise_s > 0) measured += config.gauss_noise_s * noise.gaussian();
      apply(discipline.update(measured, jitter, t));
      ++result.updates;
      int poll = config.fixed_poll_log2 > 0 ? config.fixed_poll_log2 : discipline.state().poll_log2;
      next_update = t + (burst_left > 1 ? 2.0 : std::ldexp(1.0, poll));
      if (burst_left > 0) --burst_left;
    }
    // One second of free running plus our correction.
    x += (intrinsic + correction) * 1.0;
    if (config.wander_ppm_per_sqrt_s > 0) {
      intrinsic += config.wander_ppm_per_sqrt_s * 1e-6 * noise.gaussian();
    }
  }
  const size_t half = result.offsets_s.size() / 2;
  double sum2 = 0;
  for (size_t i = half; i < result.offsets_s.size(); ++i) {
    sum2 += result.offsets_s[i] * result.offsets_s[i];
    result.max_abs_second_half_s =
        std::max(result.max_abs_second_half_s, std::fabs(result.offsets_s[i]));
  }
  result.rms_second_half_s = std::sqrt(sum2 / static_cast<double>(result.offsets_s.size() - half));
  result.final_intrinsic_ppm = intrinsic * 1e6;
  result.final_frequency_estimate_ppm = discipline.state().frequency_ppm;
  result.final_poll_log2 = discipline.state().poll_log2;
  return result;
}

}  // namespace meridian::discipline::testing
