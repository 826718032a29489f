// ntpd's statistics recorder: observes the client engine and the server
// counters (never changes them) and writes the loopstats, peerstats and
// sysstats lines (core/stats) to their file sets (stats_files.h). Lines are
// stamped with the clock the daemon disciplines, which also decides when
// files rotate (with --clock virtual, the virtual clock's date).
//  * after_client_event: called by the loop after every engine event; new
//    filter samples give peerstats lines, discipline updates loopstats lines.
//  * record_sysstats: called every kSysstatsInterval_s (one hour, as the
//    classic daemon), the first time one interval after start.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/config/config.h"
#include "core/control/variables.h"
#include "core/engine/client_engine.h"
#include "core/stats/observer.h"
#include "daemon/logger.h"
#include "daemon/stats_files.h"
#include "platform/clock.h"

namespace meridian::daemon {

class ServerLoop;

class StatsRecorder {
 public:
  static constexpr double kSysstatsInterval_s = 3600;

  // `start_s`: monotonic time the daemon started (uptime for `type age`).
  // Logs the configuration's problems (filegen warnings) here. Files are
  // opened at the first line (so after any daemonise or privilege drop).
  StatsRecorder(const config::Config& config, platform::Clock& clock, Logger& log, double start_s);

  // A reloaded configuration: the file sets are rebuilt (open files closed,
  // reopened at their next line); what was observed is kept, so no line is
  // repeated or lost and sysstats keeps its interval.
  void reconfigure(const config::Config& config);

  bool enabled() const { return !files_.empty(); }

  // `actions`: what the engine asked for in that event (steps matter).
  void after_client_event(const engine::ClientEngine& client, double now_s,
                          const std::vector<engine::Action>& actions);
  // The same from views (what after_client_event reads from the engine);
  // `stepped_s`: clock steps made in the event (positive = forward).
  void observe(const engine::SystemView& system, std::span<const engine::PeerView> peers,
               double now_s, double stepped_s = 0);
  // `totals`: the server counters since start (as mode 6 reports them).
  void record_sysstats(const control::ServerStatistics& totals, double now_s);

 private:
  StatsFileSet* set(std::string_view name);
  void write(StatsFileSet* set, const std::string& line, time::NtpTime t, double now_s);

  platform::Clock& clock_;
  Logger& log_;
  double start_s_;
  std::vector<StatsFileSet> files_;  // the enabled sets only
  StatsFileSet* loopstats_ = nullptr;
  StatsFileSet* peerstats_ = nullptr;
  StatsFileSet* sysstats_ = nullptr;
  stats::StatsObserver observer_;
  stats::SysstatsCounter sysstats_counter_;
};

// The call site in ntpd: hooks `recorder` into `loop` (after each client
// event, reading the loop's client; sysstats every hour), whether or not
// statistics are enabled yet (a reload may enable them).
// REQUIRES: recorder and loop outlive the run.
void attach_statistics(StatsRecorder& recorder, ServerLoop& loop);

}  // namespace meridian::daemon
