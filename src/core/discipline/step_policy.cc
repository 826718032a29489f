#include "core/discipline/step_policy.h"

#include <cmath>

namespace meridian::discipline {

StepPolicy::StepPolicy(const DisciplineOptions& options, double first_step_threshold_s)
    : options_(options), first_step_threshold_s_(first_step_threshold_s) {}

double StepPolicy::threshold_for(double offset_s) const {
  // Classic local_clock(): fp_offset > clock_max_fwd, or -fp_offset > clock_max_back.
  const std::optional<double>& directed =
      offset_s < 0 ? options_.step_back_threshold_s : options_.step_forward_threshold_s;
  return directed.value_or(options_.step_threshold_s);
}

bool StepPolicy::can_step(double offset_s) const {
  return !options_.slew_only && threshold_for(offset_s) > 0;
}

bool StepPolicy::is_big(double offset_s) const {
  const double threshold = threshold_for(offset_s);
  return threshold > 0 && std::fabs(offset_s) > threshold;
}

StepVerdict StepPolicy::decide(double offset_s, double now_s) {
  const double magnitude = std::fabs(offset_s);
  // RFC 5905 A.5.5.1: beyond PANICT give up; ntpd -g lets the first one through.
  if (options_.panic_threshold_s > 0 && magnitude > options_.panic_threshold_s &&
      !(options_.allow_big_first_step && !corrected_)) {
    return StepVerdict::kPanic;
  }
  if (!corrected_) {
    // Start-up: nothing to protect yet, so no stepout wait (the RFC's NSET/FSET
    // states step at once: "guys get nervous if it takes 17 minutes").
    corrected_ = true;
    big_since_s_.reset();
    // The start-up threshold never exceeds the direction's step threshold.
    const double threshold = threshold_for(offset_s);
    const double first = first_step_threshold_s_ <= 0 || first_step_threshold_s_ > threshold
                             ? threshold
                             : first_step_threshold_s_;
    return can_step(offset_s) && magnitude > first ? StepVerdict::kStep : StepVerdict::kSlew;
  }
  if (!is_big(offset_s)) {
    big_since_s_.reset();  // an inlier ends a spike episode
    return StepVerdict::kSlew;
  }
  // A big offset after start-up: a spike until it has persisted for stepout.
  if (!big_since_s_) big_since_s_ = now_s;
  if (now_s - *big_since_s_ < options_.stepout_s) return StepVerdict::kHold;
  big_since_s_.reset();
  // -x (slew_only): the offset is real by now; slew it (at max_frequency_ppm).
  return can_step(offset_s) ? StepVerdict::kStep : StepVerdict::kSlew;
}

}  // namespace meridian::discipline
