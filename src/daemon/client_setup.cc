#include "daemon/client_setup.h"

#include <fmt/format.h>

namespace meridian::daemon {

engine::ClientConfig build_client_config(const config::Config& config, const Options& options,
                                         int8_t precision, std::optional<double> drift_ppm) {
  engine::ClientConfig c;
  c.precision = precision;
  if (config.tos.minsane) c.select.minsane = *config.tos.minsane;
  if (config.tos.minclock) c.select.minclock = *config.tos.minclock;
  if (config.tos.maxclock) c.select.maxclock = *config.tos.maxclock;
  if (config.tos.maxdist_s) c.select.maxdist_s = *config.tos.maxdist_s;
  if (config.tos.floor) c.select.floor = *config.tos.floor;
  if (config.tos.ceiling) c.select.ceiling = *config.tos.ceiling;
  if (config.tos.mindist_s) c.select.mindist_s = *config.tos.mindist_s;
  auto& d = c.discipline;
  if (config.tinker.step_s) d.step_threshold_s = *config.tinker.step_s;
  d.step_back_threshold_s = config.tinker.stepback_s;
  d.step_forward_threshold_s = config.tinker.stepfwd_s;
  if (config.tinker.stepout_s) d.stepout_s = *config.tinker.stepout_s;
  if (config.tinker.panic_s) d.panic_threshold_s = *config.tinker.panic_s;
  d.slew_only = options.slew_only;
  d.allow_big_first_step =
      options.allow_big_first_step;  // -q does not imply -g (classic: ntpd -gq)
  d.initial_frequency_ppm = drift_ppm;
  if (auto it = config.system_flags.find("ntp"); it != config.system_flags.end()) {
    c.discipline_clock = it->second;
  }
  return c;
}

std::vector<std::string> tinker_changes(const config::TinkerConfig& running,
                                        const config::TinkerConfig& fresh) {
  std::vector<std::string> out;
  const auto shown = [](const std::optional<double>& v) {
    return v ? fmt::format("{:g} s", *v) : std::string("default");
  };
  const auto compare = [&](const char* name, const std::optional<double>& was,
                           const std::optional<double>& now) {
    if (was != now) out.push_back(fmt::format("{} {} (running: {})", name, shown(now), shown(was)));
  };
  compare("panic", running.panic_s, fresh.panic_s);
  compare("step", running.step_s, fresh.step_s);
  compare("stepout", running.stepout_s, fresh.stepout_s);
  compare("stepback", running.stepback_s, fresh.stepback_s);
  compare("stepfwd", running.stepfwd_s, fresh.stepfwd_s);
  return out;
}

}  // namespace meridian::daemon
