// The 8-stage clock filter (RFC 5905 §10): minimum-delay selection, the
// newer-only rule, dispersion growth and weighting, jitter, popcorn spikes.
// Sign convention: offset θ = server − local (positive ⇒ our clock is behind).
#include "core/source/clock_filter.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/source/exchange.h"

namespace meridian::source {
namespace {

constexpr double kDisp = 0.001;  // every test sample's dispersion when taken, s

FilterSample sample(double offset_s, double delay_s, double time_s, double disp_s = kDisp) {
  return FilterSample{
      .offset_s = offset_s, .delay_s = delay_s, .dispersion_s = disp_s, .time_s = time_s};
}

// Σ_{i=first..7} MAXDISP / 2^(i+1): the weight of the stages still empty.

TEST(ClockFilterTest, EmptyUntilFirstSample) {
  ClockFilter f;
  EXPECT_FALSE(f.output(0).has_value());
  f.add_missing(0);
  EXPECT_FALSE(f.output(0).has_value());
}

TEST(ClockFilterTest, PicksMinimumDelaySample) {
  ClockFilter f;
  EXPECT_TRUE(f.add(sample(0.010, 0.050, 0), 0));
  EXPECT_EQ(f.output(0)->offset_s, 0.010);
  // Lower delay and newer: handed out.
  EXPECT_TRUE(f.add(sample(0.002, 0.020, 64), 64));
  EXPECT_EQ(f.output(64)->offset_s, 0.002);
  EXPECT_EQ(f.output(64)->delay_s, 0.020);
  // Higher delay: the 0.020 s stage stays the minimum, and it was used already.
  EXPECT_FALSE(f.add(sample(0.005, 0.030, 128), 128));
  const auto out = f.output(128);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->offset_s, 0.002);
  EXPECT_EQ(out->delay_s, 0.020);
  EXPECT_EQ(out->time_s, 64);
  EXPECT_EQ(f.stages()[0]->offset_s, 0.005);  // newest first
  EXPECT_EQ(f.stages()[2]->offset_s, 0.010);
}

TEST(ClockFilterTest, NewerOnlyRuleAndHandOutWhenOldMinimumLeaves) {
  ClockFilter f;
  ASSERT_TRUE(f.add(sample(0.001, 0.010, 0), 0));
  // Seven worse samples, each a little better than the one before: none is
  // handed out while the 0.010 s stage is in the register.
  for (int i = 1; i <= 7; ++i) {
    const double t = 64.0 * i;
    EXPECT_FALSE(f.add(sample(0.0011, 0.038 - 0.001 * i, t), t)) << i;
  }
  // The eighth pushes the 0.010 s stage out; the best remaining stage (the
  // 0.031 s one, taken at 448 s) is newer than the last used, so it goes out.
  ASSERT_TRUE(f.add(sample(0.0011, 0.040, 512), 512));
  EXPECT_NEAR(f.output(512)->delay_s, 0.031, 1e-12);
  EXPECT_EQ(f.output(512)->time_s, 448);
  // …and never again, though it stays the minimum-delay stage.
  EXPECT_FALSE(f.add(sample(0.0011, 0.050, 576), 576));
  EXPECT_EQ(f.output(576)->time_s, 448);
}

TEST(ClockFilterTest, EqualDelaysPreferTheNewerSample) {
  ClockFilter f;
  ASSERT_TRUE(f.add(sample(0.001, 0.020, 0), 0));
  ASSERT_TRUE(f.add(sample(0.0012, 0.020, 64), 64));
  EXPECT_EQ(f.output(64)->offset_s, 0.0012);
}

TEST(ClockFilterTest, JitterIsRmsAboutTheMinimumDelaySample) {
  ClockFilter f;
  // Added with increasing delay, so the first stays the selected one.
  f.add(sample(0.001, 0.010, 0), 0);
  f.add(sample(0.003, 0.020, 1), 1);
  f.add(sample(-0.001, 0.030, 2), 2);
  f.add(sample(0.004, 0.040, 3), 3);
  // Differences to θ0 = 0.001: +0.002, −0.002, +0.003.
  // ψ = sqrt((4 + 4 + 9)e-6 / 3) = sqrt(5.6667e-6) = 2.38048e-3.
  const auto out = f.output(3);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->offset_s, 0.001);
  EXPECT_NEAR(out->jitter_s, 2.38048e-3, 1e-8);
}

TEST(ClockFilterTest, JitterZeroWithOneSample) {
  ClockFilter f;
  f.add(sample(0.5, 0.01, 0), 0);
  EXPECT_EQ(f.output(0)->jitter_s, 0);
}

TEST(ClockFilterTest, DispersionWeightsStagesByDelayRank) {
  ClockFilter f;
  f.add(sample(0, 0.030, 0, 0.004), 0);
  f.add(sample(0, 0.010, 0, 0.002), 0);
  f.add(sample(0, 0.020, 0, 0.008), 0);
  // Sorted by delay: 0.002, 0.008, 0.004; the five stages never filled add nothing.
  const double expected = 0.002 / 2 + 0.008 / 4 + 0.004 / 8;
  EXPECT_NEAR(f.output(0)->dispersion_s, expected, 1e-12);
}

TEST(ClockFilterTest, DispersionGrowsWithAgeAtPhi) {
  ClockFilter f;
  f.add(sample(0.001, 0.010, 100), 100);
  // One sample: ε0 = 0.001 + 15e-6 × 1000 = 0.016 after 1000 s.
  const double expected = 0.016 / 2;  // stages never filled add nothing
  EXPECT_NEAR(f.output(1100)->dispersion_s, expected, 1e-12);
  EXPECT_GT(f.output(1100)->dispersion_s, f.output(100)->dispersion_s);
  // A full register of fresh samples: ε = 0.001 × (1 − 2^-8) at once,
  // and + Φ·age for every stage later.
  ClockFilter full;
  for (int i = 0; i < 8; ++i) full.add(sample(0.001, 0.010, 0), 0);
  EXPECT_NEAR(full.output(0)->dispersion_s, 0.001 * (1 - 1.0 / 256), 1e-12);
  EXPECT_NEAR(full.output(200)->dispersion_s, (0.001 + kPhi * 200) * (1 - 1.0 / 256), 1e-12);
}

TEST(ClockFilterTest, StageExpiresWhenAgedToMaxDispersion) {
  ClockFilter f;
  f.add(sample(0.001, 0.010, 0), 0);
  // After (16 − 0.001)/15e-6 ≈ 1.07e6 s the stage is worth nothing.
  const double dead = (kMaxDispersion_s - kDisp) / kPhi + 1;
  // The expired stage ranks first and counts as MAXDISP.
  EXPECT_NEAR(f.output(dead)->dispersion_s, kMaxDispersion_s / 2, 1e-9);
  // A fresh sample is then handed out even with a much larger delay.
  EXPECT_TRUE(f.add(sample(0.002, 0.5, dead), dead));
}

TEST(ClockFilterTest, AddMissingAgesOutAndNeverWins) {
  ClockFilter f;
  ASSERT_TRUE(f.add(sample(0.001, 0.010, 0), 0));
  const double before = f.output(0)->dispersion_s;
  for (int i = 1; i <= 7; ++i) {
    f.add_missing(64.0 * i);
    // Still in the register: the output offset stays; the dummy ranks last.
    EXPECT_EQ(f.output(64.0 * i)->offset_s, 0.001);
    EXPECT_FALSE(f.stages()[0]->dispersion_s < kMaxDispersion_s);
  }
  EXPECT_GT(f.output(448)->dispersion_s, before);
  f.add_missing(512);  // the real sample is shifted out
  const auto out = f.output(512);
  ASSERT_TRUE(out);
  EXPECT_NEAR(out->dispersion_s, kMaxDispersion_s * (1 - 1.0 / 256), 1e-9);
  EXPECT_EQ(out->jitter_s, 0);
  // A dummy is never handed out; the first real sample after is.
  EXPECT_TRUE(f.add(sample(0.003, 0.9, 576), 576));
  EXPECT_EQ(f.output(576)->offset_s, 0.003);
}

// A settled filter: eight samples, delays falling so each is handed out,
// offsets 1 ms ± 0.2 ms, so ψ ≈ 0.2 ms. The last one used has δ = 0.010 s.
ClockFilter settled() {
  ClockFilter f;
  const double offsets[] = {0.0010, 0.0012, 0.0008, 0.0011, 0.0009, 0.0012, 0.0008, 0.0010};
  for (int i = 0; i < 8; ++i) {
    const double t = 64.0 * i;
    EXPECT_TRUE(f.add(sample(offsets[i], 0.017 - 0.001 * i, t), t));
  }
  EXPECT_NEAR(f.output(448)->delay_s, 0.010, 1e-12);
  return f;
}

// Pushes seven ordinary samples with larger delays: none is handed out
// (the 0.010 s stage stays the minimum), and afterwards the 0.010 s stage is the oldest.
void push_ordinary(ClockFilter& f, double& t) {
  for (int i = 0; i < 7; ++i) {
    t += 64;
    EXPECT_FALSE(f.add(sample(0.0010, 0.030, t), t));
  }
}

TEST(ClockFilterTest, PopcornSpikeHeldThenRejectedWhenNotConfirmed) {
  ClockFilter f = settled();
  double t = 448;
  push_ordinary(f, t);
  // A spike that becomes the minimum-delay stage as the 0.010 s stage leaves.
  t += 64;
  EXPECT_FALSE(f.add(sample(0.050, 0.025, t), t)) << "spike must be held";
  EXPECT_EQ(f.output(t)->offset_s, 0.0010);
  // The next sample agrees with the old offset: the spike is dropped for good
  // and the ordinary sample is handed out instead.
  t += 64;
  EXPECT_TRUE(f.add(sample(0.0011, 0.030, t), t));
  EXPECT_EQ(f.output(t)->offset_s, 0.0011);
  t += 64;
  EXPECT_TRUE(f.add(sample(0.0009, 0.030, t), t));
  EXPECT_EQ(f.output(t)->offset_s, 0.0009) << "the rejected spike must never win";
}

TEST(ClockFilterTest, PopcornSpikeAcceptedWhenItPersists) {
  ClockFilter f = settled();
  double t = 448;
  push_ordinary(f, t);
  t += 64;
  EXPECT_FALSE(f.add(sample(0.050, 0.025, t), t));
  // A second sample near the new offset confirms the jump: the held sample
  // (the smaller delay of the two) is handed out.
  t += 64;
  EXPECT_TRUE(f.add(sample(0.0502, 0.030, t), t));
  EXPECT_EQ(f.output(t)->offset_s, 0.050);
  EXPECT_EQ(f.output(t)->time_s, t - 64);
}

TEST(ClockFilterTest, JumpWithSmallDelayIsTakenAtOnce) {
  ClockFilter f = settled();
  // A large offset change on a sample with the lowest delay so far cannot be
  // queueing noise: a real step, used immediately.
  EXPECT_TRUE(f.add(sample(0.250, 0.009, 512), 512));
  EXPECT_EQ(f.output(512)->offset_s, 0.250);
}

TEST(ClockFilterTest, SmallChangeIsNoSpike) {
  ClockFilter f = settled();
  double t = 448;
  push_ordinary(f, t);
  t += 64;
  // 0.3 ms away from the last output: within 3ψ (ψ ≈ 0.16 ms).
  EXPECT_TRUE(f.add(sample(0.0013, 0.025, t), t));
}

TEST(ClockFilterTest, ShiftOffsetsFollowsAClockCorrection) {
  ClockFilter f;
  f.add(sample(0.100, 0.010, 0), 0);
  f.add(sample(0.102, 0.020, 64), 64);
  f.add_missing(128);
  // We stepped our clock forward by 0.1 s: server − local shrinks by 0.1 s.
  f.shift_offsets(0.1);
  EXPECT_NEAR(f.output(128)->offset_s, 0.000, 1e-12);
  EXPECT_NEAR(f.stages()[1]->offset_s, 0.002, 1e-12);
  EXPECT_EQ(f.stages()[0]->offset_s, 0);  // the dummy carries no measurement
}

TEST(ClockFilterTest, FirstSampleAfterAStepIsUsedDespiteAFasterOlderOne) {
  ClockFilter f;
  // The sample we stepped on had the smallest delay of all.
  ASSERT_TRUE(f.add(sample(0.250, 0.001, 0), 0));
  f.shift_offsets(0.250);
  // Without the step rule a slower sample could not displace it.
  EXPECT_TRUE(f.add(sample(0.0001, 0.003, 2), 2));
  EXPECT_NEAR(f.output(2)->offset_s, 0.0001, 1e-12);
  // Only the first one: after that the minimum-delay rule is back.
  EXPECT_FALSE(f.add(sample(0.0002, 0.004, 4), 4));
  EXPECT_TRUE(f.add(sample(0.0003, 0.0005, 6), 6));
}

TEST(ClockFilterTest, ClearForgetsEverything) {
  ClockFilter f;
  f.add(sample(0.1, 0.01, 0), 0);
  f.clear();
  EXPECT_FALSE(f.output(0).has_value());
  EXPECT_FALSE(f.stages()[0].has_value());
  // And the newer-only memory: an older timestamp is usable again.
  EXPECT_TRUE(f.add(sample(0.2, 0.01, -5), 0));
}

// An iburst leaves 8 fast samples 2 s apart. Pure minimum delay (rate 0)
// hands out nothing newer until they have shifted out; with a staleness rate
// a fresh sample 200 µs slower wins once the old ones are 2·rate·age worse.
TEST(ClockFilterTest, StalenessRateLetsAFreshSlowerSampleBeatAnOldBurst) {
  for (const double rate : {0.0, 2e-6}) {
    SCOPED_TRACE(rate);
    ClockFilter f;
    f.set_staleness_rate(rate);
    // The burst's last sample is its fastest: it is handed out, and would stay
    // the minimum until it shifts out 8 polls later.
    for (int i = 0; i < 8; ++i) f.add(sample(0, 0.0020 - 1e-6 * i, 2.0 * i), 2.0 * i);
    int handed_out = 0;
    for (int k = 1; k <= 4; ++k) {
      const double t = 14 + 64.0 * k;
      if (f.add(sample(0, 0.0022, t), t)) ++handed_out;
    }
    // 2 · 2 ppm · 64 s = 256 µs > 200 µs: every poll's sample goes out.
    EXPECT_EQ(handed_out, rate > 0 ? 4 : 0);
  }
}

TEST(ClockFilterTest, StalenessRateSurvivesClear) {
  ClockFilter f;
  f.set_staleness_rate(1e-6);
  f.add(sample(0, 0.001, 0), 0);
  f.clear();
  f.add(sample(0, 0.001, 0), 0);
  EXPECT_TRUE(f.add(sample(0, 0.0011, 64), 64));  // 0.001 + 2·1e-6·64 > 0.0011
}

// The reference ntpd's rule (set_age_limit, used with the RFC 5905
// discipline): at poll 1024 s a fast sample stays the pure minimum-delay
// output for 8 polls (2¼ h); once it is older than the limit (2048 s) any
// younger valid sample goes first, so a fresh one is handed out again.
TEST(ClockFilterTest, AgeLimitRetiresAnOldMinimumDelaySample) {
  for (const double limit : {0.0, 2048.0}) {
    SCOPED_TRACE(limit);
    ClockFilter f;
    f.set_age_limit(limit);
    EXPECT_TRUE(f.add(sample(0.001, 0.0010, 0), 0));  // the fastest sample of the day
    int handed_out = 0;
    for (int k = 1; k <= 7; ++k) {
      const double t = 1024.0 * k;
      if (f.add(sample(0.002, 0.0015, t), t)) ++handed_out;
    }
    // Without a limit nothing newer goes out while the fast one is in the
    // register; with 2048 s, from the poll at which it is 3072 s old on.
    EXPECT_EQ(handed_out, limit > 0 ? 5 : 0);
    if (limit > 0) {
      EXPECT_EQ(f.output(7168)->offset_s, 0.002);
    }
  }
}

TEST(ClockFilterTest, AgeLimitSurvivesClear) {
  ClockFilter f;
  f.set_age_limit(100);
  f.clear();
  f.add(sample(0, 0.001, 0), 0);
  EXPECT_FALSE(f.add(sample(0, 0.002, 64), 64));
  EXPECT_TRUE(f.add(sample(0, 0.002, 128), 128));  // the fast one is 128 s old now
}

}  // namespace
}  // namespace meridian::source
