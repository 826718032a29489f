// A scenario: the client, its servers and their links, how long to run, and
// the numeric pass criteria. Parsed from the text format documented in
// sim/README.md (sections of `key = value` lines).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "sim/link.h"
#include "sim/sim_clock.h"
#include "sim/sim_server.h"

namespace meridian::sim {

struct ClientModel {
  ClockModel clock;
  bool iburst = true;
  bool burst = false;
  int minpoll = 6;
  int maxpoll = 10;
  bool allow_big_first_step = false;  // -g
  bool slew_only = false;             // -x
  double step_threshold_s = 0.128;
  double stepout_s = 300;
  double panic_threshold_s = 1000;
  std::optional<double> drift_ppm;  // drift file value, if any
  int minsane = 1;
};

struct Check {
  std::string expression;  // e.g. "ours.rms_offset_s <= 50us"
  bool expected_fail = false;
  std::string reason;  // for expected failures: measured figure and why
  int line = 0;
};

struct Scenario {
  std::string path;  // as given
  std::string stem;  // file name without directory and extension
  std::string name;
  std::string description;
  std::string seed_key;  // default: stem
  double duration_s = 86400;
  double sample_interval_s = 1;
  int seeds = 10;
  std::optional<Window> holdover;  // window whose offset growth is reported
  ClientModel client;
  std::vector<ServerModel> servers;
  std::vector<Check> checks;
};

Result<Scenario> parse_scenario(const std::string& text, const std::string& path);
Result<Scenario> load_scenario(const std::string& path);

// "1.5ms", "100us", "2h", "30" (seconds) → seconds.
std::optional<double> parse_duration(std::string_view text);

}  // namespace meridian::sim
