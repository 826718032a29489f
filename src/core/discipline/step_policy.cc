#include "core/discipline/step_policy.h"

#include <cmath>

namespace meridian::discipline {

StepPolicy::StepPolicy(const DisciplineOptions& options, double first_step_threshold_s)
    : options_(options), first_step_threshold_s_(first_step_threshold_s) {
  if (first_step_threshold_s_ <= 0 || first_step_threshold_s_ > options_.step_threshold_s) {
    first_step_threshold_s_ = options_.step_threshold_s;
  }
}

bool StepPolicy::can_step() const { return !options_.slew_only && options_.step_threshold_s > 0; }

bool StepPolicy::is_big(double offset_s) const {
  return options_.step_threshold_s > 0 && std::fabs(offset_s) > options_.step_threshold_s;
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
    return can_step() && magnitude > first_step_threshold_s_ ? StepVerdict::kStep
                                                             : StepVerdict::kSlew;
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
  return can_step() ? StepVerdict::kStep : StepVerdict::kSlew;
}

}  // namespace meridian::discipline
