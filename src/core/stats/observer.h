// What the statistics files record, decided from the engine's views alone
// (the engine is observed, never changed): after each engine event the
// daemon hands the current views to observe(), which compares them with
// those of the previous call.
//  * peerstats: an association whose clock filter handed out a newer sample
//    (its filter output time moved forward) gives one line, with the
//    filter's offset, delay, dispersion and jitter and the peer status word
//    — the classic daemon records at the same moment (clock_filter). The
//    offset is the one measured, before any step the sample caused.
//  * loopstats: a system peer whose filter output is newer than the last one
//    recorded is exactly when the engine feeds the discipline a new offset
//    (ClientEngine::reselect); one line with the combined offset (0 after a
//    step, as classic), the discipline's frequency, jitter, wander and poll.
// Pure: no clock is read; the caller stamps the lines.
#pragma once

#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "core/control/variables.h"
#include "core/engine/client_engine.h"
#include "core/stats/records.h"

namespace meridian::stats {

struct ObservedRecords {
  std::vector<PeerRecord> peers;
  std::optional<LoopRecord> loop;
};

class StatsObserver {
 public:
  // `stepped_s`: the clock steps (positive = forward) made by the event just
  // handled. The engine corrects stored samples for a step (their θ shrinks
  // by it) before the views are read; adding it back records the offset as
  // measured, as the classic daemon does (it records before stepping).
  ObservedRecords observe(const engine::SystemView& system, std::span<const engine::PeerView> peers,
                          double stepped_s = 0);

 private:
  static constexpr double kNever = -std::numeric_limits<double>::infinity();
  std::vector<double> peer_sample_s_;  // by association id: time of the last sample recorded
  double loop_sample_s_ = kNever;
};

// sysstats: the classic daemon resets its counters after each line; ours
// (mode 6 `ntpq -c sysstats`) count since start, so the lines carry the
// differences from the previous line.
class SysstatsCounter {
 public:
  explicit SysstatsCounter(const control::ServerStatistics& start = {}) : last_(start) {}
  // The record for the time since the previous call (or construction).
  SysRecord take(const control::ServerStatistics& totals);

 private:
  control::ServerStatistics last_;
};

}  // namespace meridian::stats
