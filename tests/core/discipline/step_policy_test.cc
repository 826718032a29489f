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

}  // namespace
}  // namespace meridian::discipline
