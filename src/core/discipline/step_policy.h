// The step/slew/panic policy both disciplines share (classic ntpd semantics:
// tinker step/stepout/panic, -g, -x). Pure; it only remembers whether a
// correction was ever made and since when a big offset has persisted.
#pragma once

#include <optional>

#include "core/discipline/discipline.h"

namespace meridian::discipline {

enum class StepVerdict {
  kSlew,   // correct gradually (frequency steering)
  kStep,   // step the clock by the offset
  kHold,   // a big offset that has not persisted for stepout: treat as a spike
  kPanic,  // beyond the panic threshold: the daemon must exit
};

class StepPolicy {
 public:
  // first_step_threshold_s: before the first correction, offsets above it are
  // stepped (when stepping is allowed); 0 or anything above step_threshold_s
  // means step_threshold_s (the classic behaviour).
  StepPolicy(const DisciplineOptions& options, double first_step_threshold_s);

  // Decides what to do with an offset θ (server − local, s) seen at monotonic
  // now_s. kSlew/kStep count as a correction (the first one ends start-up);
  // kHold starts or continues the stepout timer; an offset at or below the
  // step threshold clears it.
  //   startup: |θ| > first threshold → kStep (kSlew with slew_only);
  //   later:   |θ| > step threshold → kHold until it has persisted stepout_s,
  //            then kStep (kSlew with slew_only or step threshold 0… see below);
  //   any time: |θ| > panic → kPanic, unless -g and this is the first correction.
  // With step_threshold_s == 0 offsets are never big: always kSlew.
  // "Step threshold" is per direction: step_back_threshold_s for θ < 0,
  // step_forward_threshold_s for θ > 0 (each defaulting to step_threshold_s).
  StepVerdict decide(double offset_s, double now_s);

  bool corrected() const { return corrected_; }
  // A big offset is being held back (the RFC's SPIK state).
  bool holding() const { return big_since_s_.has_value(); }
  // |θ| above the (post-start-up) step threshold of θ's direction.
  bool is_big(double offset_s) const;

 private:
  // The step threshold for an offset's direction (0 = never step).
  double threshold_for(double offset_s) const;
  bool can_step(double offset_s) const;

  DisciplineOptions options_;
  double first_step_threshold_s_;
  bool corrected_ = false;
  std::optional<double> big_since_s_;
};

}  // namespace meridian::discipline
