// Weighted line fit with slope prior, runs test, window choice.
#include "core/discipline/regression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace meridian::discipline {
namespace {

TEST(DisciplineRegressionTest, RecoversExactLine) {
  std::vector<RegressionPoint> points;
  for (int i = 0; i < 10; ++i) points.push_back({.t = 1e5 + 64.0 * i, .y = 0.3 - 5e-5 * 64 * i});
  const LineFit fit = fit_line(points, 0, 0);
  EXPECT_NEAR(fit.slope, -5e-5, 1e-12);
  EXPECT_NEAR(fit.predict(1e5), 0.3, 1e-12);
  EXPECT_NEAR(fit.rms_resid, 0, 1e-12);
}

TEST(DisciplineRegressionTest, PriorDecidesSlopeOfSinglePoint) {
  const std::vector<RegressionPoint> one = {{.t = 5, .y = 0.01, .weight = 1e8}};
  const LineFit fit = fit_line(one, 2e-5, 1e10);
  EXPECT_DOUBLE_EQ(fit.slope, 2e-5);
  EXPECT_NEAR(fit.predict(15), 0.01 + 2e-4, 1e-15);
  EXPECT_DOUBLE_EQ(fit_line(one, 3e-6, 0).slope, 3e-6);  // no data, no weight: the prior
}

TEST(DisciplineRegressionTest, WeightsFavourPreciseSamples) {
  const std::vector<RegressionPoint> points = {{.t = 0, .y = 0, .weight = 1},
                                               {.t = 1, .y = 1, .weight = 1e6},
                                               {.t = 2, .y = 2, .weight = 1e6}};
  EXPECT_NEAR(fit_line(points, 0, 0).slope, 1, 1e-5);
}

TEST(DisciplineRegressionTest, RunsTestRejectsKinkAndWindowDropsOldSide) {
  // A frequency change half way: the old half follows another line.
  std::vector<RegressionPoint> points;
  for (int i = 0; i < 40; ++i) {
    const double t = 64.0 * i;
    const double wiggle = (i % 2 ? 1 : -1) * 1e-6;  // alternating noise: many runs
    const double y = i < 20 ? 1e-5 * t : 1e-5 * 64 * 20 - 1e-5 * (t - 64 * 20);
    points.push_back({.t = t, .y = y + wiggle, .weight = 1e12});
  }
  EXPECT_FALSE(runs_test_passes(points, fit_line(points, 0, 0)));
  const size_t start = best_window_start(points, 6, 0, 0);
  EXPECT_GE(start, 19u);
  const auto window = std::span<const RegressionPoint>(points).subspan(start);
  EXPECT_NEAR(fit_line(window, 0, 0).slope, -1e-5, 1e-7);
}

TEST(DisciplineRegressionTest, RunsTestAcceptsNoiseAroundLine) {
  std::vector<RegressionPoint> points;
  for (int i = 0; i < 32; ++i)
    points.push_back({.t = double(i), .y = (i % 3 == 0 ? 1 : -1) * 1e-3});
  EXPECT_TRUE(runs_test_passes(points, fit_line(points, 0, 0)));
  EXPECT_EQ(best_window_start(points, 6, 0, 0), 0u);
}

}  // namespace
}  // namespace meridian::discipline
