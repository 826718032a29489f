// Closed-loop behaviour of both disciplines in the tiny simulator of
// closed_loop.h: convergence, frequency estimate, steady-state accuracy,
// stability, and the step/stepout/panic/-g/-x decisions end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "closed_loop.h"
#include "core/discipline/discipline.h"

namespace meridian::discipline {
namespace {

using testing::LoopConfig;
using testing::LoopResult;
using testing::run_loop;
using Kind = ClockAdjustment::Kind;

LoopResult run(bool meridian, const LoopConfig& config, const DisciplineOptions& options = {}) {
  auto discipline = meridian ? make_meridian_discipline(options) : make_rfc5905_discipline(options);
  return run_loop(*discipline, config);
}

void report(const std::string& key, double value_us) {
  ::testing::Test::RecordProperty(key, std::to_string(value_us));
  std::printf("  %-44s %9.1f us\n", key.c_str(), value_us);
}

// The scenario: 0.1 s behind, +50 ppm, 100 µs exponential jitter each way.
TEST(MeridianDisciplineLoopTest, StepsThenLocksFromTenthOfASecond) {
  const LoopResult r = run(true, {.exp_noise_mean_s = 100e-6, .duration_s = 4 * 3600});
  EXPECT_EQ(r.steps, 1);
  EXPECT_LT(r.abs_offset_at(10), 1e-3);
  EXPECT_NEAR(r.final_frequency_estimate_ppm, -50, 0.5);
  EXPECT_LT(r.rms_second_half_s, 40e-6);
  EXPECT_LT(r.max_abs_second_half_s, 200e-6);
  report("meridian_rms_exp100us_50ppm_4h", r.rms_second_half_s * 1e6);
}

TEST(MeridianDisciplineLoopTest, FrequencyWithinPpmAfterMinutes) {
  const LoopResult r = run(true, {.exp_noise_mean_s = 100e-6, .duration_s = 20 * 60});
  EXPECT_NEAR(r.final_frequency_estimate_ppm, -50, 1);
}

TEST(MeridianDisciplineLoopTest, AccurateWithWanderAndLargeJitter) {
  const LoopResult wander =
      run(true, {.wander_ppm_per_sqrt_s = 0.002, .exp_noise_mean_s = 100e-6, .seed = 2});
  EXPECT_LT(wander.rms_second_half_s, 120e-6);
  EXPECT_NEAR(wander.final_frequency_estimate_ppm, -wander.final_intrinsic_ppm, 0.3);
  report("meridian_rms_exp100us_50ppm_wander_4h", wander.rms_second_half_s * 1e6);
  const LoopResult noisy = run(true, {.exp_noise_mean_s = 1e-3, .seed = 3});
  EXPECT_LT(noisy.rms_second_half_s, 400e-6);
  report("meridian_rms_exp1ms_50ppm_4h", noisy.rms_second_half_s * 1e6);
}

// The window is chosen by how well each candidate length predicted the new
// samples: with wander a short one (and minpoll: a longer span between samples
// costs more than it saves), without wander the longest (and poll grows).
TEST(MeridianDisciplineLoopTest, WindowFollowsWanderOrNoise) {
  const LoopResult wander = run(true, {.wander_ppm_per_sqrt_s = 0.002,
                                       .exp_noise_mean_s = 100e-6,
                                       .duration_s = 8 * 3600,
                                       .seed = 4});
  EXPECT_LT(wander.rms_second_half_s, 40e-6);  // always 64 samples: 95 µs
  EXPECT_EQ(wander.final_poll_log2, 6);
  report("meridian_rms_exp100us_50ppm_wander_8h", wander.rms_second_half_s * 1e6);
  const LoopResult steady =
      run(true, {.exp_noise_mean_s = 100e-6, .duration_s = 8 * 3600, .seed = 4});
  EXPECT_LT(steady.rms_second_half_s, 20e-6);
  EXPECT_GE(steady.final_poll_log2, 8);
  report("meridian_rms_exp100us_50ppm_8h", steady.rms_second_half_s * 1e6);
}

TEST(MeridianDisciplineLoopTest, DriftFileAvoidsTransient) {
  DisciplineOptions options;
  options.initial_frequency_ppm = -50;
  const LoopResult r =
      run(true, {.initial_offset_s = 0.0005, .gauss_noise_s = 20e-6, .duration_s = 600}, options);
  EXPECT_EQ(r.steps, 0);
  for (size_t t = 30; t < r.offsets_s.size(); ++t) ASSERT_LT(std::fabs(r.offsets_s[t]), 150e-6);
}

TEST(MeridianDisciplineLoopTest, SlewOnlyNeverStepsAndRespectsMaxFrequency) {
  auto discipline = make_meridian_discipline({.slew_only = true});
  const ClockAdjustment first = discipline->update(0.3, 1e-4, 0);
  EXPECT_EQ(first.kind, Kind::kSlew);
  EXPECT_LE(std::fabs(first.frequency_ppm), 500 + 1e-9);
  const LoopResult r =
      run(true,
          {.intrinsic_ppm = 0, .initial_offset_s = 0.3, .gauss_noise_s = 10e-6, .duration_s = 1800},
          {.slew_only = true});
  EXPECT_EQ(r.steps, 0);
  EXPECT_GT(r.abs_offset_at(500), 0.04);   // 500 ppm cannot remove 0.3 s in 500 s…
  EXPECT_LT(r.abs_offset_at(1200), 1e-3);  // …but does soon after 600 s
}

// The classic baseline: 0.1 s is below the step threshold, so it is slewed
// at the PLL's pace; from 0.2 s it steps, measures the frequency over the
// stepout interval and locks.
TEST(Rfc5905DisciplineLoopTest, StepsThenLocksFromBigOffset) {
  const LoopResult r = run(false, {.initial_offset_s = 0.2, .exp_noise_mean_s = 100e-6});
  EXPECT_EQ(r.steps, 1);
  EXPECT_LT(r.abs_offset_at(10), 1e-3);
  EXPECT_NEAR(r.final_frequency_estimate_ppm, -50, 2);
  EXPECT_LT(r.max_abs_second_half_s, 2e-3);
  report("rfc5905_rms_exp100us_50ppm_4h_from_0.2s", r.rms_second_half_s * 1e6);
}

TEST(Rfc5905DisciplineLoopTest, SlewsTenthOfASecond) {
  const LoopResult r = run(false, {.exp_noise_mean_s = 100e-6, .duration_s = 3600});
  EXPECT_EQ(r.steps, 0);
  EXPECT_GT(r.abs_offset_at(10), 0.09);
  EXPECT_LT(r.abs_offset_at(3599), 0.03);  // slewing at the PLL's time constant
}

TEST(Rfc5905DisciplineLoopTest, FrequencyMeasuredAfterStepout) {
  const LoopResult r =
      run(false, {.initial_offset_s = 0.2, .gauss_noise_s = 50e-6, .duration_s = 20 * 60});
  EXPECT_NEAR(r.final_frequency_estimate_ppm, -50, 2);
}

// Both, near lock with a drift file: steady-state accuracy and no oscillation.
class DisciplineSteadyStateTest : public ::testing::TestWithParam<bool> {};

TEST_P(DisciplineSteadyStateTest, BoundedAndConverged) {
  DisciplineOptions options;
  options.initial_frequency_ppm = -49;  // drift file 1 ppm off
  const bool meridian = GetParam();
  const LoopResult r =
      run(meridian, {.initial_offset_s = 0.001, .exp_noise_mean_s = 100e-6}, options);
  EXPECT_EQ(r.steps, 0);
  EXPECT_EQ(r.panics, 0);
  EXPECT_NEAR(r.final_frequency_estimate_ppm, -50, meridian ? 0.2 : 1);
  EXPECT_LT(r.rms_second_half_s, meridian ? 40e-6 : 1.5e-3);  // the PLL needs hours for 1 ppm
  // No oscillation: the second quarter is no worse than the whole second half
  // would allow for a settled loop (a growing/ringing loop fails this).
  const size_t n = r.offsets_s.size();
  double last_quarter = 0;
  for (size_t i = 3 * n / 4; i < n; ++i) last_quarter += r.offsets_s[i] * r.offsets_s[i];
  last_quarter = std::sqrt(last_quarter / static_cast<double>(n - 3 * n / 4));
  EXPECT_LT(last_quarter, 2 * r.rms_second_half_s);
  report(std::string(meridian ? "meridian" : "rfc5905") + "_rms_steady_exp100us_4h",
         r.rms_second_half_s * 1e6);
}

INSTANTIATE_TEST_SUITE_P(Both, DisciplineSteadyStateTest, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "Meridian" : "Rfc5905"; });

// End-to-end decisions, identical for both algorithms.
class DisciplineDecisionTest : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<Discipline> make(const DisciplineOptions& options = {}) {
    return GetParam() ? make_meridian_discipline(options) : make_rfc5905_discipline(options);
  }
};

TEST_P(DisciplineDecisionTest, PanicAndDashG) {
  EXPECT_EQ(make()->update(2000, 1e-3, 0).kind, Kind::kPanic);
  auto dash_g = make({.allow_big_first_step = true});
  const ClockAdjustment a = dash_g->update(2000, 1e-3, 0);
  EXPECT_EQ(a.kind, Kind::kStep);
  EXPECT_DOUBLE_EQ(a.step_s, 2000);
  EXPECT_EQ(dash_g->update(2000, 1e-3, 64).kind, Kind::kPanic);
}

TEST_P(DisciplineDecisionTest, StartupStepThenSpikeHeldThenStepout) {
  auto d = make({.stepout_s = 300});
  const ClockAdjustment first = d->update(-0.5, 1e-3, 0);
  EXPECT_EQ(first.kind, Kind::kStep);
  EXPECT_DOUBLE_EQ(first.step_s, -0.5);
  EXPECT_TRUE(d->state().synchronised);
  EXPECT_NE(d->update(0.0001, 1e-3, 64).kind, Kind::kStep);
  EXPECT_EQ(d->update(0.7, 1e-3, 128).kind, Kind::kNone);  // spike
  EXPECT_EQ(d->update(0.7, 1e-3, 192).kind, Kind::kNone);
  const ClockAdjustment late = d->update(0.7, 1e-3, 448);  // persisted 320 s ≥ stepout
  EXPECT_EQ(late.kind, Kind::kStep);
  EXPECT_DOUBLE_EQ(late.step_s, 0.7);
}

TEST_P(DisciplineDecisionTest, SlewOnlyStartsWithSlew) {
  auto d = make({.slew_only = true});
  const ClockAdjustment a = d->update(0.3, 1e-3, 0);
  EXPECT_NE(a.kind, Kind::kStep);
  EXPECT_NE(d->tick(1).kind, Kind::kStep);
  EXPECT_LE(std::fabs(d->state().frequency_ppm), 500);
}

TEST_P(DisciplineDecisionTest, DriftFileFrequencyAppliedAtFirstTick) {
  DisciplineOptions options;
  options.initial_frequency_ppm = 12.5;
  auto d = make(options);
  const ClockAdjustment a = d->tick(0);
  EXPECT_EQ(a.kind, Kind::kSlew);
  EXPECT_DOUBLE_EQ(a.frequency_ppm, 12.5);
  EXPECT_DOUBLE_EQ(d->state().frequency_ppm, 12.5);
  EXPECT_EQ(d->tick(1).kind, Kind::kNone);  // nothing changed
}

TEST_P(DisciplineDecisionTest, PollStaysInRange) {
  auto d = make({.min_poll_log2 = 4, .max_poll_log2 = 5});
  EXPECT_EQ(d->state().poll_log2, 4);
  LoopConfig config{.initial_offset_s = 0, .gauss_noise_s = 1e-6, .duration_s = 3 * 3600};
  run_loop(*d, config);
  EXPECT_GE(d->state().poll_log2, 4);
  EXPECT_LE(d->state().poll_log2, 5);
}

INSTANTIATE_TEST_SUITE_P(Both, DisciplineDecisionTest, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "Meridian" : "Rfc5905"; });

}  // namespace
}  // namespace meridian::discipline
