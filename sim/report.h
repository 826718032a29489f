// Output: the per-scenario table (medians over seeds, ours beside the
// RFC 5905 baseline), JSON, a CSV time series and an SVG plot. Everything
// printed depends only on the scenario, the seeds and the code: no wall
// clock, so the same seed gives byte-identical output.
#pragma once

#include <string>
#include <vector>

#include "sim/checks.h"

namespace meridian::sim {

std::string format_table(const ScenarioResult& r, const std::vector<CheckResult>& checks);
std::string format_json(const std::vector<const ScenarioResult*>& results,
                        const std::vector<std::vector<CheckResult>>& checks);
// One summary table over all scenarios (medians), then every check.
std::string format_markdown(const std::vector<const ScenarioResult*>& results,
                            const std::vector<std::vector<CheckResult>>& checks);
std::string format_csv(const ScenarioResult& r);
std::string format_svg(const ScenarioResult& r, uint64_t seed);

}  // namespace meridian::sim
