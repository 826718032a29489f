#include "core/discipline/regression.h"

#include <cmath>

namespace meridian::discipline {

double LineFit::prediction_variance(double t) const {
  if (sum_w <= 0) return 0;
  const double dt = t - t_mean;
  const double slope_term = sxx > 0 ? dt * dt / sxx : 0;
  return unit_var * (1.0 / sum_w + slope_term);
}

LineFit fit_line(std::span<const RegressionPoint> points, double prior_slope, double prior_weight) {
  LineFit fit;
  fit.n = points.size();
  for (const auto& p : points) fit.sum_w += p.weight;
  if (fit.sum_w <= 0) return fit;
  // Centre on the first point first so large absolute times lose no precision.
  const double t0 = points.front().t;
  const double y0 = points.front().y;
  double st = 0, sy = 0;
  for (const auto& p : points) {
    st += p.weight * (p.t - t0);
    sy += p.weight * (p.y - y0);
  }
  fit.t_mean = t0 + st / fit.sum_w;
  fit.y_mean = y0 + sy / fit.sum_w;
  double sxx = 0, sxy = 0;
  for (const auto& p : points) {
    const double dt = p.t - fit.t_mean;
    sxx += p.weight * dt * dt;
    sxy += p.weight * dt * (p.y - fit.y_mean);
  }
  // With the slope prior the intercept at t̄ is still ȳ (the prior term does
  // not involve it), and the normal equation for b gains λ on both sides.
  fit.sxx = sxx + prior_weight;
  fit.slope = fit.sxx > 0 ? (sxy + prior_weight * prior_slope) / fit.sxx : prior_slope;

  double chi2 = 0, sum_r2 = 0;
  bool have_sign = false, last_positive = false;
  for (const auto& p : points) {
    const double r = p.y - fit.predict(p.t);
    chi2 += p.weight * r * r;
    sum_r2 += r * r;
    const bool positive = r >= 0;
    if (!have_sign || positive != last_positive) ++fit.runs;
    have_sign = true;
    last_positive = positive;
  }
  fit.rms_resid = std::sqrt(sum_r2 / static_cast<double>(fit.n));
  if (fit.n > 2) fit.unit_var = chi2 / static_cast<double>(fit.n - 2);
  return fit;
}

bool runs_test_passes(std::span<const RegressionPoint> points, const LineFit& fit) {
  // Below ~8 points the test has no power and the normal approximation is poor.
  constexpr size_t kMinPointsForTest = 8;
  // One-sided 1% (z = 2.33): a false alarm only costs some old samples, but
  // each one does cost accuracy, so keep them rare.
  constexpr double kZ = 2.33;
  if (points.size() < kMinPointsForTest) return true;
  double n_pos = 0, n_neg = 0;
  for (const auto& p : points) (p.y - fit.predict(p.t) >= 0 ? n_pos : n_neg) += 1;
  const double n = n_pos + n_neg;
  if (n_pos == 0 || n_neg == 0) return false;  // a line through data never does this
  const double two_pn = 2 * n_pos * n_neg;
  const double expected = 1 + two_pn / n;
  const double variance = two_pn * (two_pn - n) / (n * n * (n - 1));
  return static_cast<double>(fit.runs) >= expected - kZ * std::sqrt(variance);
}

size_t best_window_start(std::span<const RegressionPoint> points, size_t min_points,
                         double prior_slope, double prior_weight) {
  if (points.size() <= min_points) return 0;
  const size_t last_start = points.size() - min_points;
  for (size_t start = 0; start < last_start; ++start) {
    const auto window = points.subspan(start);
    if (runs_test_passes(window, fit_line(window, prior_slope, prior_weight))) return start;
  }
  return last_start;
}

}  // namespace meridian::discipline
