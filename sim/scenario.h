// A scenario: the client, its servers and their links, how long to run, and
// the numeric pass criteria. Parsed from the text format documented in
// sim/README.md (sections of `key = value` lines).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/access/restrict_table.h"
#include "core/config/config.h"
#include "core/leap/leap_table.h"
#include "core/net/address.h"
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
  // `leapfile = PATH` (relative to the scenario file): a leap-seconds.list
  // read and checked by the real parser, handed to the engine.
  std::optional<leap::LeapTable> leap_table;
  // The clock applies an armed leap itself (the kernel); `no`: the engine steps it.
  bool kernel_leap = true;
};

// A value drawn per client: uniform in [lo, hi] (lo == hi: that value).
struct Range {
  double lo = 0;
  double hi = 0;
};

// Scale scenarios (issue 6 scenario 8): a `[clients NAME]` section is a group
// of `count` clients of one server. Engines are real ClientEngines with their
// own clock and link; generators send a bare mode-3 request every `interval`
// (a script in a loop: the misbehaving clients).
struct ClientGroup {
  enum class Kind { kEngine, kGenerator };
  std::string name;
  Kind kind = Kind::kEngine;
  int count = 1;
  net::IpAddress first_address;  // IPv4; member k has first_address + k
  Window start;                  // each member starts at U[from, until)
  ClientModel client;            // engines: the template; offset and freq drawn per member
  Range offset_s;                // engines: initial clock error (clock − true)
  Range freq_ppm;                // engines: intrinsic frequency error
  // engines: a drift file holding the member's true correction (−freq_ppm)
  // plus an error drawn from this range, ppm; none (a cold start) if unset.
  std::optional<Range> drift_error_ppm;
  Range delay_s;           // one-way base delay, both directions, per member
  LinkModel link;          // jitter, loss… (base delays from delay_s)
  double interval_s = 64;  // generators: request spacing
  int line = 0;
};

// The one server of a scale scenario runs the real server pipeline
// (server::ServerCore) configured by the `conf` lines of its section:
// ntp.conf `restrict`, `discard` and `mru` directives.
struct ScaleModel {
  config::Config server_config;
  access::RestrictTable restrict;  // built from server_config.restricts
  std::vector<ClientGroup> groups;
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
  bool algorithms[2] = {true, true};  // `algorithms =`, indexed by Algorithm
  std::optional<ScaleModel> scale;    // set when the file has [clients] sections
  // `start = 2016-12-30T00:00`: the UTC time of true time 0 (NTP seconds).
  int64_t start_ntp_s = kEpochNtpSeconds;
  // `leap = insert 2017-01-01`: true UTC has a leap second at the end of the
  // day before that date (a midnight, NTP seconds); kNone: no leap.
  leap::LeapKind utc_leap = leap::LeapKind::kNone;
  int64_t utc_leap_midnight_ntp_s = 0;
  // `leap_window = FROM UNTIL`: where leap_peak_offset_s is measured;
  // default with a `leap`: from 10 min before it to 1 h after.
  std::optional<Window> leap_window;
};

// UTC − the simulation's continuous true time at t, after the scenario's
// leap: −1 s after an insertion, +1 s after a deletion, else 0.
double utc_leap_shift_s(const Scenario& s, double t);
// The true time of the scenario's leap (NaN: none).
double utc_leap_time_s(const Scenario& s);

Result<Scenario> parse_scenario(const std::string& text, const std::string& path);
Result<Scenario> load_scenario(const std::string& path);

// "1.5ms", "100us", "2h", "30" (seconds) → seconds.
std::optional<double> parse_duration(std::string_view text);

}  // namespace meridian::sim
