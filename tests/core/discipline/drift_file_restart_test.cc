// A restart with a drift file 1 ppm off (meridian-sim scenario 09): the
// discipline behind the real clock filter, fed as the engine feeds it (only
// when the filter hands out a newer sample), on a LAN with exponential
// queueing. An iburst fills the filter's 8 stages with samples 2 s apart;
// with pure minimum-delay selection nothing newer reached the discipline for
// ~8 polls and the clock ran on the file's frequency, 0.2–0.8 ms off by then.
// With the stages aged at the rate the frequency is uncertain, the phase
// steering keeps |θ| near (frequency error × poll) and the frequency is
// learnt within a few polls.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "closed_loop.h"
#include "core/discipline/discipline.h"
#include "core/source/clock_filter.h"

namespace meridian::discipline {
namespace {

struct RestartResult {
  double max_abs_offset_s = 0;  // true |θ| over the first 15 min
  double final_frequency_error_ppm = 0;
  double final_frequency_sigma_ppm = 0;
  int updates_in_8_min = 0;  // after the burst
};

// staleness_sigmas: the engine's kStalenessSigmas (0: the RFC 5905 filter).
RestartResult run_restart(double staleness_sigmas, uint64_t seed) {
  using Kind = ClockAdjustment::Kind;
  constexpr double kIntrinsic = 50e-6;  // the oscillator runs 50 ppm fast
  constexpr double kBase_s = 1e-3;      // one-way delay
  constexpr double kQueue_s = 100e-6;   // mean exponential queueing each way
  DisciplineOptions options;
  options.initial_frequency_ppm = -49;  // the truth is −50 ppm
  auto d = make_meridian_discipline(options);
  source::ClockFilter filter;
  testing::Noise noise(seed);
  RestartResult result;
  double x = 0;  // local − true, s
  double correction = options.initial_frequency_ppm.value() * 1e-6;
  auto apply = [&](const ClockAdjustment& a) {
    if (a.kind == Kind::kStep) {
      x += a.step_s;
      filter.shift_offsets(a.step_s);
    }
    if (a.kind == Kind::kStep || a.kind == Kind::kSlew) correction = a.frequency_ppm * 1e-6;
  };
  double next_poll = 1;
  int burst_left = 8;
  for (int t = 1; t <= 900; ++t) {
    x += kIntrinsic + correction;  // one second at the current rate
    const auto now = static_cast<double>(t);
    if (now >= next_poll) {
      const double out = kBase_s + noise.exponential(kQueue_s);
      const double back = kBase_s + noise.exponential(kQueue_s);
      const source::FilterSample s{.offset_s = -x + (out - back) / 2,
                                   .delay_s = out + back,
                                   .dispersion_s = 1e-6,
                                   .time_s = now};
      if (filter.add(s, now)) {
        const auto f = filter.output(now);
        apply(d->update(f->offset_s, std::max(f->jitter_s, 1e-6), now));
        if (t > 16 && t <= 480) ++result.updates_in_8_min;
        filter.set_staleness_rate(staleness_sigmas * d->state().frequency_sigma_ppm * 1e-6);
      }
      next_poll = now + (--burst_left > 0 ? 2 : 64);
    }
    apply(d->tick(now));
    result.max_abs_offset_s = std::max(result.max_abs_offset_s, std::fabs(x));
  }
  result.final_frequency_error_ppm = (kIntrinsic * 1e6) + d->state().frequency_ppm;
  result.final_frequency_sigma_ppm = d->state().frequency_sigma_ppm;
  return result;
}

TEST(DriftFileRestartTest, FrequencyUncertaintyStartsAtTheDriftFilesAndShrinks) {
  DisciplineOptions options;
  options.initial_frequency_ppm = -49;
  auto d = make_meridian_discipline(options);
  EXPECT_DOUBLE_EQ(d->state().frequency_sigma_ppm, 2);  // kDriftFileSigma
  DisciplineOptions no_file;
  EXPECT_DOUBLE_EQ(make_meridian_discipline(no_file)->state().frequency_sigma_ppm, 500);
  EXPECT_EQ(make_rfc5905_discipline(options)->state().frequency_sigma_ppm, 0);
}

// Medians over 20 seeds, as meridian-sim judges (one seed in 20 still
// peaks near 0.8 ms here; with the RFC 5905 filter half of them exceed 0.4 ms).
struct Medians {
  double max_abs_offset_s, abs_frequency_error_ppm, frequency_sigma_ppm, updates;
};

Medians run_seeds(double staleness_sigmas) {
  std::vector<double> offset, freq, sigma, updates;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const RestartResult r = run_restart(staleness_sigmas, seed);
    offset.push_back(r.max_abs_offset_s);
    freq.push_back(std::fabs(r.final_frequency_error_ppm));
    sigma.push_back(r.final_frequency_sigma_ppm);
    updates.push_back(r.updates_in_8_min);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  return {median(offset), median(freq), median(sigma), median(updates)};
}

TEST(DriftFileRestartTest, OffsetStaysSmallAndFrequencyIsLearntWithinAFewPolls) {
  const Medians m = run_seeds(4);  // the engine's kStalenessSigmas
  EXPECT_GE(m.updates, 4);         // of the 7 polls after the burst in 8 min
  EXPECT_LT(m.max_abs_offset_s, 150e-6);
  EXPECT_LT(m.abs_frequency_error_ppm, 0.1);
  EXPECT_LT(m.frequency_sigma_ppm, 0.1);
}

TEST(DriftFileRestartTest, MinimumDelayFilterAloneStarvesTheDiscipline) {
  // The old behaviour (RFC 5905's filter), the yardstick for the test above.
  const Medians m = run_seeds(0);
  EXPECT_LE(m.updates, 2);
  EXPECT_GT(m.max_abs_offset_s, 300e-6);
}

}  // namespace
}  // namespace meridian::discipline
