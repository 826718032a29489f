// Step/slew/panic policy shared by both disciplines (ntpd tinker step,
// stepout, panic; -g; -x).
#include "core/discipline/step_policy.h"

#include <gtest/gtest.h>

namespace meridian::discipline {
namespace {

TEST(DisciplineStepPolicyTest, StartupStepsAboveThresholdAndSlewsBelow) {
  StepPolicy big({}, 0);
  EXPECT_EQ(big.decide(0.2, 0), StepVerdict::kStep);
  EXPECT_TRUE(big.corrected());
  StepPolicy small({}, 0);
  EXPECT_EQ(small.decide(0.1, 0), StepVerdict::kSlew);  // classic: 0.1 s < 0.128 s is slewed
}

TEST(DisciplineStepPolicyTest, StartupThresholdStepsSmallFirstOffsetOnly) {
  StepPolicy policy({}, 0.001);
  EXPECT_EQ(policy.decide(0.1, 0), StepVerdict::kStep);
  EXPECT_EQ(policy.decide(0.1, 64), StepVerdict::kSlew);  // later: classic threshold
  StepPolicy tiny({}, 0.001);
  EXPECT_EQ(tiny.decide(0.0005, 0), StepVerdict::kSlew);
}

TEST(DisciplineStepPolicyTest, LateBigOffsetIsSpikeUntilStepout) {
  StepPolicy policy({.stepout_s = 300}, 0);
  ASSERT_EQ(policy.decide(0.01, 0), StepVerdict::kSlew);
  EXPECT_EQ(policy.decide(0.5, 100), StepVerdict::kHold);
  EXPECT_TRUE(policy.holding());
  EXPECT_EQ(policy.decide(0.5, 200), StepVerdict::kHold);
  EXPECT_EQ(policy.decide(0.5, 399), StepVerdict::kHold);
  EXPECT_EQ(policy.decide(0.5, 400), StepVerdict::kStep);
  EXPECT_FALSE(policy.holding());
}

TEST(DisciplineStepPolicyTest, InlierEndsSpikeEpisode) {
  StepPolicy policy({.stepout_s = 300}, 0);
  ASSERT_EQ(policy.decide(0.01, 0), StepVerdict::kSlew);
  EXPECT_EQ(policy.decide(-0.5, 100), StepVerdict::kHold);
  EXPECT_EQ(policy.decide(0.001, 200), StepVerdict::kSlew);
  EXPECT_EQ(policy.decide(-0.5, 450), StepVerdict::kHold);  // timer restarted at 450
  EXPECT_EQ(policy.decide(-0.5, 700), StepVerdict::kHold);
  EXPECT_EQ(policy.decide(-0.5, 750), StepVerdict::kStep);
}

TEST(DisciplineStepPolicyTest, PanicUnlessFirstWithDashG) {
  StepPolicy plain({}, 0);
  EXPECT_EQ(plain.decide(2000, 0), StepVerdict::kPanic);
  EXPECT_FALSE(plain.corrected());
  EXPECT_EQ(plain.decide(-2000, 0), StepVerdict::kPanic);
  StepPolicy dash_g({.allow_big_first_step = true}, 0);
  EXPECT_EQ(dash_g.decide(2000, 0), StepVerdict::kStep);
  EXPECT_EQ(dash_g.decide(2000, 1000), StepVerdict::kPanic);  // only the first
  StepPolicy no_panic({.panic_threshold_s = 0}, 0);
  EXPECT_EQ(no_panic.decide(1e6, 0), StepVerdict::kStep);
}

TEST(DisciplineStepPolicyTest, SlewOnlyNeverSteps) {
  StepPolicy policy({.stepout_s = 300, .slew_only = true}, 0.001);
  EXPECT_EQ(policy.decide(0.3, 0), StepVerdict::kSlew);
  EXPECT_EQ(policy.decide(0.3, 64), StepVerdict::kHold);   // spikes still held back
  EXPECT_EQ(policy.decide(0.3, 400), StepVerdict::kSlew);  // persisted: slew it
  StepPolicy panicky({.slew_only = true}, 0);
  EXPECT_EQ(panicky.decide(5000, 0), StepVerdict::kPanic);
}

TEST(DisciplineStepPolicyTest, StepThresholdZeroNeverStepsNorHolds) {
  StepPolicy policy({.step_threshold_s = 0}, 0.001);
  EXPECT_EQ(policy.decide(5, 0), StepVerdict::kSlew);
  EXPECT_EQ(policy.decide(5, 10), StepVerdict::kSlew);
}

// tinker stepback / stepfwd (classic clock_max_back / clock_max_fwd): one
// threshold per direction; θ < 0 means our clock is ahead (a backward step).
TEST(DisciplineStepPolicyTest, StepbackAndStepfwdAreSeparateThresholds) {
  const DisciplineOptions options{.step_threshold_s = 0.128,
                                  .step_back_threshold_s = 2.0,
                                  .step_forward_threshold_s = 0.05,
                                  .stepout_s = 300};
  StepPolicy policy(options, 0);
  ASSERT_EQ(policy.decide(0.001, 0), StepVerdict::kSlew);
  // Backward: 0.5 s is below stepback 2 s, so it is slewed, not a spike.
  EXPECT_FALSE(policy.is_big(-0.5));
  EXPECT_EQ(policy.decide(-0.5, 10), StepVerdict::kSlew);
  // Forward: 0.1 s is above stepfwd 0.05 s: held as a spike, stepped after stepout.
  EXPECT_TRUE(policy.is_big(0.1));
  EXPECT_EQ(policy.decide(0.1, 20), StepVerdict::kHold);
  EXPECT_EQ(policy.decide(0.1, 320), StepVerdict::kStep);
  // Backward beyond stepback: stepped after stepout too.
  EXPECT_EQ(policy.decide(-3, 400), StepVerdict::kHold);
  EXPECT_EQ(policy.decide(-3, 700), StepVerdict::kStep);
}

TEST(DisciplineStepPolicyTest, StepbackZeroNeverStepsBackward) {
  const DisciplineOptions options{.step_back_threshold_s = 0.0, .stepout_s = 300};
  StepPolicy startup(options, 0.001);
  EXPECT_EQ(startup.decide(-5, 0), StepVerdict::kSlew);  // even the first correction
  StepPolicy later(options, 0.001);
  ASSERT_EQ(later.decide(0.0001, 0), StepVerdict::kSlew);
  EXPECT_EQ(later.decide(-5, 10), StepVerdict::kSlew);
  EXPECT_EQ(later.decide(-5, 1000), StepVerdict::kSlew);
  // Forward steps still use `step` (0.128 s by default).
  EXPECT_EQ(later.decide(5, 1010), StepVerdict::kHold);
  EXPECT_EQ(later.decide(5, 1400), StepVerdict::kStep);
}

TEST(DisciplineStepPolicyTest, StartupThresholdFollowsTheDirection) {
  // stepfwd 0.5 s: a first offset of +0.2 s is above the start-up threshold
  // (1 ms) and stepped; stepback 0.01 s caps the start-up threshold at 0.01 s.
  const DisciplineOptions options{.step_back_threshold_s = 0.01, .step_forward_threshold_s = 0.5};
  StepPolicy forward(options, 0.001);
  EXPECT_EQ(forward.decide(0.2, 0), StepVerdict::kStep);
  StepPolicy classic_forward(options, 0);  // RFC 5905 discipline: no separate start-up threshold
  EXPECT_EQ(classic_forward.decide(0.2, 0), StepVerdict::kSlew);
  StepPolicy classic_back(options, 0);
  EXPECT_EQ(classic_back.decide(-0.02, 0), StepVerdict::kStep);
}

}  // namespace
}  // namespace meridian::discipline
