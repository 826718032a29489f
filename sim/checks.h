// Pass criteria: `ALG.METRIC OP [FACTOR *] RHS` where ALG is ours|meridian or
// baseline|rfc5905, OP one of < <= > >= ==, and RHS a number (units allowed:
// 50us, 10s), another ALG.METRIC of the same scenario, or
// @OTHER.scn:ALG.METRIC — the median of another scenario (path relative to
// this one's directory) run with the same seeds and options.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "sim/metrics.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace meridian::sim {

struct ScenarioResult {
  Scenario scenario;
  std::vector<Metrics> runs[2];  // indexed by Algorithm
  bool ran[2] = {false, false};
  std::vector<TracePoint> trace[2];  // the plotted seed, if requested
  double median(Algorithm a, const MetricInfo& m) const {
    return aggregate(runs[static_cast<int>(a)], m);
  }
};

enum class CheckStatus { kPass, kFail, kExpectedFail, kUnexpectedPass, kError };
const char* status_name(CheckStatus s);

struct CheckResult {
  Check check;
  CheckStatus status = CheckStatus::kError;
  double lhs = 0;
  double rhs = 0;
  std::string message;  // evaluation error or the figures compared
};

// Resolves "@path" references: returns the (cached) result of that scenario.
using ScenarioResolver = std::function<Result<const ScenarioResult*>(const std::string& path)>;

std::vector<CheckResult> evaluate_checks(const ScenarioResult& result,
                                         const ScenarioResolver& resolve);

}  // namespace meridian::sim
