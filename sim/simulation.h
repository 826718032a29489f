// One run: a scenario, a seed and a discipline. The real ClientEngine is
// driven event by event; its actions act on the simulated client clock
// (StepClock at once, SetFrequency as the correction rate from then on),
// its requests travel over simulated links to servers that answer through
// the real server code. Monotonic time handed to the engine is true time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/engine/client_engine.h"
#include "sim/metrics.h"
#include "sim/scenario.h"

namespace meridian::sim {

enum class Algorithm { kMeridian, kRfc5905 };
const char* algorithm_name(Algorithm a);

struct TracePoint {
  double t_s;
  double offset_s;      // θ = true − client clock
  double freq_err_ppm;  // the client's net rate error
  int poll_log2;
  double engine_offset_s;  // the engine's last combined offset estimate
  double engine_freq_ppm;  // the discipline's frequency estimate
  double correction_ppm;   // the frequency correction in effect on the clock
  double sample_age_s;     // age of the system peer's filter output (NaN: none)
};

struct RunOptions {
  Algorithm algorithm = Algorithm::kMeridian;
  uint64_t seed = 1;
  bool keep_trace = false;
  double trace_interval_s = 0;  // 0: every sample
  bool verbose = false;         // engine log lines to stderr
};

struct RunResult {
  Metrics metrics;
  std::vector<TracePoint> trace;
  uint64_t events = 0;
};

// Scale scenarios (scenario.scale) go to run_scale (scale_run.h).
RunResult run_once(const Scenario& scenario, const RunOptions& options);

// The engine configuration of client model `m` with these servers (names for
// logs; the endpoint's address when missing).
engine::ClientConfig engine_config(const ClientModel& m, const std::vector<net::Endpoint>& servers,
                                   const std::vector<std::string>& names, Algorithm algorithm);

}  // namespace meridian::sim
