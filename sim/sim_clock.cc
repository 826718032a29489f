#include "sim/sim_clock.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/sim_random.h"

namespace meridian::sim {

namespace {
constexpr double kWanderGrid_s = 1.0;
}

time::NtpTime to_ntp(double seconds_since_epoch, int64_t epoch_ntp_s) {
  const double whole = std::floor(seconds_since_epoch);
  double frac = (seconds_since_epoch - whole) * 4294967296.0;
  frac = std::clamp(std::floor(frac), 0.0, 4294967295.0);
  return time::NtpTime::from_parts(epoch_ntp_s + static_cast<int64_t>(whole),
                                   static_cast<uint32_t>(frac));
}

SimClock::SimClock(ClockModel model, uint64_t seed)
    : model_(std::move(model)),
      random_(seed),
      x_(model_.offset_s),
      intrinsic_(model_.freq_ppm * 1e-6),
      wander_sigma_(model_.wander_ppm_per_sqrt_s * 1e-6 * std::sqrt(kWanderGrid_s)),
      next_grid_s_(model_.wander_ppm_per_sqrt_s > 0 ? kWanderGrid_s
                                                    : std::numeric_limits<double>::infinity()) {
  std::sort(model_.freq_steps.begin(), model_.freq_steps.end());
  std::sort(model_.time_steps.begin(), model_.time_steps.end());
}

void SimClock::advance(double t) {
  if (t <= t_) return;  // reads at the same instant (or a hair earlier) see the same state
  for (;;) {
    const double step_at = next_step_ < model_.freq_steps.size()
                               ? model_.freq_steps[next_step_].first
                               : std::numeric_limits<double>::infinity();
    const double jump_at = next_time_step_ < model_.time_steps.size()
                               ? model_.time_steps[next_time_step_].first
                               : std::numeric_limits<double>::infinity();
    const double change_at = std::min({next_grid_s_, step_at, jump_at});
    if (change_at > t) break;
    x_ += (intrinsic_ + correction_) * (change_at - t_);
    t_ = change_at;
    if (change_at == jump_at) {
      x_ += model_.time_steps[next_time_step_].second;
      ++next_time_step_;
    } else if (change_at == step_at) {
      intrinsic_ += model_.freq_steps[next_step_].second * 1e-6;
      ++next_step_;
    } else {
      intrinsic_ += draw_normal(random_, wander_sigma_);
      next_grid_s_ += kWanderGrid_s;
    }
  }
  x_ += (intrinsic_ + correction_) * (t - t_);
  t_ = t;
  if (leap_armed_ != leap::LeapKind::kNone &&
      static_cast<double>(model_.epoch_ntp_s - leap_at_ntp_s_) + t_ + x_ >= 0) {
    x_ += leap_armed_ == leap::LeapKind::kInsert ? -1.0 : 1.0;
    leap_armed_ = leap::LeapKind::kNone;
    ++leaps_;
  }
}

void SimClock::arm_leap(double t, leap::LeapKind kind) {
  advance(t);
  const auto reading = static_cast<int64_t>(std::floor(t + x_)) + model_.epoch_ntp_s;
  const int64_t midnight = (reading / 86400 + 1) * 86400;
  arm_leap_at(kind, midnight);
}

void SimClock::arm_leap_at(leap::LeapKind kind, int64_t midnight_ntp_s) {
  leap_armed_ = kind;
  leap_at_ntp_s_ = kind == leap::LeapKind::kDelete ? midnight_ntp_s - 1 : midnight_ntp_s;
}

double SimClock::error_s(double t) {
  advance(t);
  return x_;
}

double SimClock::reading_s(double t) {
  double v = t + error_s(t);
  if (model_.resolution_s > 0) v = std::floor(v / model_.resolution_s) * model_.resolution_s;
  return v;
}

double SimClock::frequency_error_ppm(double t) {
  advance(t);
  return (intrinsic_ + correction_) * 1e6;
}

void SimClock::step(double t, double by_s) {
  advance(t);
  x_ += by_s;
}

void SimClock::set_correction_ppm(double t, double ppm) {
  advance(t);
  correction_ = ppm * 1e-6;
}

}  // namespace meridian::sim
