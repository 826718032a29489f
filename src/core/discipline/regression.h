// Weighted least-squares line fit with a prior on the slope, and the runs
// test that decides how many recent samples a straight line still describes.
// The idea is chrony's (sourcestats.c): fit offset against time over as many
// samples as the residuals allow; too few sign runs in the residuals means the
// oldest samples follow a different line (frequency wandered), so drop them.
#pragma once

#include <cstddef>
#include <span>

namespace meridian::discipline {

struct RegressionPoint {
  double t = 0;       // s (any origin; centred internally)
  double y = 0;       // s
  double weight = 1;  // 1/σ² of y, 1/s²
};

struct LineFit {
  size_t n = 0;
  double t_mean = 0;     // weighted mean time
  double y_mean = 0;     // weighted mean value = the line at t_mean
  double slope = 0;      // dy/dt (s/s)
  double sum_w = 0;      // Σw
  double sxx = 0;        // Σw(t − t̄)² + prior weight
  double unit_var = 1;   // variance of unit weight: Σw r²/(n − 2), 1 when n ≤ 2
  double rms_resid = 0;  // plain RMS of the residuals, s
  int runs = 0;          // runs of equal residual sign

  double predict(double t) const { return y_mean + slope * (t - t_mean); }
  // Variance (s²) of the fitted line's value at t (not of a new sample).
  double prediction_variance(double t) const;
};

// Minimises Σw(y − a − b(t − t̄))² + prior_weight·(b − prior_slope)².
// prior_weight is 1/σ_b² (σ_b in s/s); with prior_weight 0 and fewer than two
// distinct times the slope is prior_slope. REQUIRES: !points.empty().
LineFit fit_line(std::span<const RegressionPoint> points, double prior_slope, double prior_weight);

// Wald–Wolfowitz runs test, one-sided (too few runs ⇒ the residuals are
// correlated ⇒ the line is the wrong model). Small samples always pass.
bool runs_test_passes(std::span<const RegressionPoint> points, const LineFit& fit);

// The oldest index from which a line fits points (runs test), keeping at least
// min_points (or all, if fewer). Tries the longest window first.
size_t best_window_start(std::span<const RegressionPoint> points, size_t min_points,
                         double prior_slope, double prior_weight);

}  // namespace meridian::discipline
