// A simulated node clock. True time t (simulated seconds since the start)
// maps to the node's reading t + x(t), where the clock error x (clock − true,
// positive = the clock is ahead) evolves as
//   dx/dt = intrinsic frequency error (initial ppm + random-walk wander +
//           scheduled frequency steps) + the correction the node applied.
// Wander is a random walk of the frequency, updated on a 1 s grid from the
// clock's own random stream: N(0, σ²·1 s) per step for σ in s/s per √s.
// A step (StepClock) moves x at once; SetFrequency replaces the correction
// rate from that instant on. Reads are quantised to the read resolution.
// REQUIRES: calls are made with non-decreasing t (the event loop's order).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/leap/leap_table.h"
#include "core/random.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::sim {

struct ClockModel {
  double offset_s = 0;               // initial error x(0), clock − true
  double freq_ppm = 0;               // intrinsic frequency error (positive = runs fast)
  double wander_ppm_per_sqrt_s = 0;  // random-walk frequency noise
  std::vector<std::pair<double, double>> freq_steps;  // (true time s, ppm added)
  std::vector<std::pair<double, double>> time_steps;  // (true time s, seconds added to x)
  double resolution_s = 1e-9;                         // read quantum (0 = exact)
  int64_t epoch_ntp_s = 3'913'056'000;  // NTP seconds of true time 0 (scenario `start`)
};

// NTP seconds of 2024-01-01T00:00:00Z: simulated true time 0 by default.
inline constexpr int64_t kEpochNtpSeconds = 3'913'056'000;

// A value in seconds since the simulation epoch as an NtpTime.
time::NtpTime to_ntp(double seconds_since_epoch, int64_t epoch_ntp_s = kEpochNtpSeconds);

class SimClock {
 public:
  SimClock(ClockModel model, uint64_t seed);

  // x(t): clock − true, seconds.
  double error_s(double t);
  // The clock's reading at true time t (quantised), seconds since the epoch.
  double reading_s(double t);
  time::NtpTime read(double t) { return to_ntp(reading_s(t), model_.epoch_ntp_s); }
  // Net rate error vs true time (intrinsic + correction), ppm.
  double frequency_error_ppm(double t);
  double correction_ppm() const { return correction_ * 1e6; }

  void step(double t, double by_s);
  void set_correction_ppm(double t, double ppm);

  // Leap seconds, modelled as the kernel does them: armed for an insertion,
  // the clock steps back 1 s when its reading reaches the midnight M
  // (23:59:59 repeats); for a deletion it steps forward 1 s when the
  // reading reaches M − 1 s. One leap per arming. arm_leap() arms for the
  // next midnight of the reading at t (STA_INS/STA_DEL); arm_leap_at() for a
  // given M (a simulated server's own schedule).
  void arm_leap(double t, leap::LeapKind kind);
  void arm_leap_at(leap::LeapKind kind, int64_t midnight_ntp_s);
  int leaps() const { return leaps_; }

 private:
  void advance(double t);

  ClockModel model_;
  SeededRandom random_;
  double t_ = 0;
  double x_;
  double intrinsic_;       // s/s
  double correction_ = 0;  // s/s
  double wander_sigma_;    // s/s per 1 s grid step
  double next_grid_s_;
  size_t next_step_ = 0;
  size_t next_time_step_ = 0;
  leap::LeapKind leap_armed_ = leap::LeapKind::kNone;
  int64_t leap_at_ntp_s_ = 0;  // the reading (NTP s) at which the armed leap happens
  int leaps_ = 0;
};

}  // namespace meridian::sim
