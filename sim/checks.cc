#include "sim/checks.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

namespace meridian::sim {

const char* status_name(CheckStatus s) {
  switch (s) {
    case CheckStatus::kPass:
      return "PASS";
    case CheckStatus::kFail:
      return "FAIL";
    case CheckStatus::kExpectedFail:
      return "XFAIL";
    case CheckStatus::kUnexpectedPass:
      return "XPASS";
    case CheckStatus::kError:
      return "ERROR";
  }
  return "?";
}

namespace {

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

std::optional<Algorithm> parse_algorithm(std::string_view s) {
  if (s == "ours" || s == "meridian") return Algorithm::kMeridian;
  if (s == "baseline" || s == "rfc5905") return Algorithm::kRfc5905;
  return std::nullopt;
}

// ALG.METRIC (or @FILE:ALG.METRIC) → value.
Result<double> operand(const std::string& token, const ScenarioResult& self,
                       const ScenarioResolver& resolve) {
  if (auto v = parse_duration(token)) return *v;
  const ScenarioResult* source = &self;
  std::string ref = token;
  if (!ref.empty() && ref.front() == '@') {
    const auto colon = ref.rfind(':');
    if (colon == std::string::npos)
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("'{}': expected @FILE:ALG.METRIC", token));
    auto other = resolve(directory_of(self.scenario.path) + ref.substr(1, colon - 1));
    if (!other) return other.error();
    source = *other;
    ref = ref.substr(colon + 1);
  }
  const auto dot = ref.find('.');
  if (dot == std::string::npos)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}': expected ALG.METRIC or a number", token));
  const auto alg = parse_algorithm(std::string_view(ref).substr(0, dot));
  const auto* metric = find_metric(std::string_view(ref).substr(dot + 1));
  if (!alg || !metric)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}': unknown algorithm or metric", token));
  if (!source->ran[static_cast<int>(*alg)])
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}': {} was not run", token, algorithm_name(*alg)));
  return source->median(*alg, *metric);
}

}  // namespace

std::vector<CheckResult> evaluate_checks(const ScenarioResult& result,
                                         const ScenarioResolver& resolve) {
  std::vector<CheckResult> out;
  for (const auto& check : result.scenario.checks) {
    CheckResult r;
    r.check = check;
    std::istringstream in(check.expression);
    std::vector<std::string> t;
    for (std::string w; in >> w;) t.push_back(w);
    double factor = 1;
    if (t.size() == 5 && t[3] == "*") {
      auto f = parse_duration(t[2]);
      if (!f) {
        r.message = fmt::format("bad factor '{}'", t[2]);
        out.push_back(r);
        continue;
      }
      factor = *f;
      t.erase(t.begin() + 2, t.begin() + 4);
    }
    if (t.size() != 3) {
      r.message = "expected: ALG.METRIC OP [FACTOR *] VALUE";
      out.push_back(r);
      continue;
    }
    auto lhs = operand(t[0], result, resolve);
    auto rhs = operand(t[2], result, resolve);
    if (!lhs || !rhs) {
      r.message = !lhs ? lhs.error().message : rhs.error().message;
      out.push_back(r);
      continue;
    }
    r.lhs = *lhs;
    r.rhs = factor * *rhs;
    bool ok = false;
    const std::string& op = t[1];
    if (op == "<") {
      ok = r.lhs < r.rhs;
    } else if (op == "<=") {
      ok = r.lhs <= r.rhs;
    } else if (op == ">") {
      ok = r.lhs > r.rhs;
    } else if (op == ">=") {
      ok = r.lhs >= r.rhs;
    } else if (op == "==") {
      ok = r.lhs == r.rhs;
    } else {
      r.message = fmt::format("unknown operator '{}'", op);
      out.push_back(r);
      continue;
    }
    if (std::isnan(r.lhs) || std::isnan(r.rhs)) ok = false;
    r.status = check.expected_fail
                   ? (ok ? CheckStatus::kUnexpectedPass : CheckStatus::kExpectedFail)
                   : (ok ? CheckStatus::kPass : CheckStatus::kFail);
    r.message = fmt::format("{:.6g} {} {:.6g}", r.lhs, op, r.rhs);
    out.push_back(r);
  }
  return out;
}

}  // namespace meridian::sim
