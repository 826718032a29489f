// meridian-sim: runs scenarios (sim/scenarios/*.scn) against the real client
// engine, both disciplines on identical conditions, and reports. See
// sim/README.md. Never touches the host clock: all time here is simulated.
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/checks.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace {

using namespace meridian;
using namespace meridian::sim;

constexpr const char* kUsage = R"(usage: meridian-sim [options] SCENARIO.scn...
Runs each scenario for N seeds with Meridian's discipline and the RFC 5905
baseline on identical simulated conditions and prints medians over seeds.
  --seeds N         seeds per scenario (default: the scenario's `seeds`, else 10)
  --first-seed S    first seed (default 1); seeds are S, S+1, ...
  --duration D      override every scenario's duration (e.g. 2h, 600s)
  --algo A          both (default) | ours | rfc5905
  --check           evaluate the scenarios' [pass] criteria; exit 1 on FAIL/ERROR
  --json            JSON on stdout instead of tables
  --markdown        one Markdown summary table (and the checks) instead of tables
  --markdown-file F also write that Markdown summary to F (tables still printed)
  --csv FILE        time series (offset, frequency error, poll) of one seed
  --svg FILE        plot of |offset| and |frequency error| against time, one seed
  --plot-seed S     the seed for --csv/--svg (default: the first seed)
  --trace-every D   spacing of the --csv/--svg series (default: the sample interval)
  --timing          wall-clock time per scenario on stderr (never in results)
  --verbose         the engine's log lines on stderr
With several scenarios, --csv/--svg files get the scenario's name inserted
before the extension.
)";

// The process's peak resident set size (Linux: ru_maxrss in KiB).
double peak_rss_mib() {
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return NAN;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

struct Options {
  std::vector<std::string> files;
  std::optional<int> seeds;
  uint64_t first_seed = 1;
  std::optional<double> duration_s;
  bool run[2] = {true, true};
  bool check = false, json = false, markdown = false, timing = false, verbose = false;
  std::string csv, svg, markdown_file;
  std::optional<uint64_t> plot_seed;
  double trace_every_s = 0;
};

class Runner {
 public:
  explicit Runner(const Options& o) : o_(o) {}

  // Loads and runs (once) the scenario at `path`.
  Result<const ScenarioResult*> get(const std::string& path, bool want_trace) {
    const std::string key = std::filesystem::path(path).lexically_normal().string();
    if (auto it = cache_.find(key); it != cache_.end()) return it->second.get();
    auto scenario = load_scenario(path);
    if (!scenario) return scenario.error();
    if (o_.duration_s) scenario->duration_s = *o_.duration_s;
    auto r = std::make_unique<ScenarioResult>();
    r->scenario = std::move(*scenario);
    const auto start = std::chrono::steady_clock::now();
    const int seeds = o_.seeds.value_or(r->scenario.seeds);
    const uint64_t plot = o_.plot_seed.value_or(o_.first_seed);
    int runs = 0;
    for (int ai = 0; ai < 2; ++ai) {
      // A scenario may restrict the disciplines (`algorithms =`).
      if (!o_.run[ai] || !r->scenario.algorithms[ai]) continue;
      r->ran[ai] = true;
      for (int k = 0; k < seeds; ++k) {
        RunOptions ro;
        ro.algorithm = static_cast<Algorithm>(ai);
        ro.seed = o_.first_seed + static_cast<uint64_t>(k);
        ro.keep_trace = want_trace && ro.seed == plot;
        ro.trace_interval_s = o_.trace_every_s;
        ro.verbose = o_.verbose;
        RunResult rr = run_once(r->scenario, ro);
        ++runs;
        r->runs[ai].push_back(rr.metrics);
        if (ro.keep_trace) r->trace[ai] = std::move(rr.trace);
      }
    }
    if (o_.timing) {
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print(stderr,
                 "{}: {} runs of {:g} s simulated in {:.3f} s wall ({:.1f} ms per run); "
                 "peak RSS so far {:.1f} MiB\n",
                 r->scenario.stem, runs, r->scenario.duration_s, wall,
                 runs ? wall / runs * 1e3 : 0.0, peak_rss_mib());
    }
    const ScenarioResult* p = r.get();
    cache_.emplace(key, std::move(r));
    return p;
  }

 private:
  const Options& o_;
  std::map<std::string, std::unique_ptr<ScenarioResult>> cache_;
};

std::string with_stem(const std::string& file, const std::string& stem, bool many) {
  if (!many) return file;
  const auto dot = file.rfind('.');
  const auto slash = file.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return file + "-" + stem;
  return file.substr(0, dot) + "-" + stem + file.substr(dot);
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) fmt::print(stderr, "meridian-sim: cannot write {}\n", path);
  return static_cast<bool>(f);
}

int parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    auto number = [&]() -> std::optional<double> {
      auto v = value();
      if (!v) return std::nullopt;
      return parse_duration(*v);
    };
    if (a == "-h" || a == "--help") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (a == "--seeds") {
      auto v = number();
      if (!v || *v < 1) return 2;
      o.seeds = static_cast<int>(*v);
    } else if (a == "--first-seed") {
      auto v = number();
      if (!v || *v < 0) return 2;
      o.first_seed = static_cast<uint64_t>(*v);
    } else if (a == "--plot-seed") {
      auto v = number();
      if (!v || *v < 0) return 2;
      o.plot_seed = static_cast<uint64_t>(*v);
    } else if (a == "--duration") {
      auto v = number();
      if (!v || *v <= 0) return 2;
      o.duration_s = *v;
    } else if (a == "--trace-every") {
      auto v = number();
      if (!v || *v < 0) return 2;
      o.trace_every_s = *v;
    } else if (a == "--algo") {
      auto v = value();
      if (!v) return 2;
      if (*v == "both") {
        o.run[0] = o.run[1] = true;
      } else if (*v == "ours" || *v == "meridian") {
        o.run[0] = true;
        o.run[1] = false;
      } else if (*v == "rfc5905" || *v == "baseline") {
        o.run[0] = false;
        o.run[1] = true;
      } else {
        return 2;
      }
    } else if (a == "--markdown-file") {
      auto v = value();
      if (!v) return 2;
      o.markdown_file = *v;
    } else if (a == "--csv" || a == "--svg") {
      auto v = value();
      if (!v) return 2;
      (a == "--csv" ? o.csv : o.svg) = *v;
    } else if (a == "--check") {
      o.check = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--markdown") {
      o.markdown = true;
    } else if (a == "--timing") {
      o.timing = true;
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (!a.empty() && a[0] == '-') {
      fmt::print(stderr, "meridian-sim: unknown option {}\n", a);
      return 2;
    } else {
      o.files.push_back(a);
    }
  }
  return o.files.empty() ? 2 : -1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (int rc = parse_args(argc, argv, o); rc >= 0) {
    if (rc == 2) fmt::print(stderr, "{}", kUsage);
    return rc;
  }
  Runner runner(o);
  const bool want_trace = !o.csv.empty() || !o.svg.empty();
  const bool many = o.files.size() > 1;
  std::vector<const ScenarioResult*> results;
  std::vector<std::vector<CheckResult>> checks;
  bool failed = false;
  const auto total_start = std::chrono::steady_clock::now();
  for (const auto& file : o.files) {
    auto r = runner.get(file, want_trace);
    if (!r) {
      fmt::print(stderr, "meridian-sim: {}\n", r.error().message);
      return 2;
    }
    results.push_back(*r);
    std::vector<CheckResult> c;
    if (o.check) {
      c = evaluate_checks(**r, [&](const std::string& path) { return runner.get(path, false); });
      for (const auto& x : c) {
        if (x.status == CheckStatus::kFail || x.status == CheckStatus::kError) failed = true;
      }
    }
    if (!o.json && !o.markdown) fmt::print("{}\n", format_table(**r, c));
    checks.push_back(std::move(c));
    const auto& s = (*r)->scenario;
    const uint64_t plot = o.plot_seed.value_or(o.first_seed);
    if (!o.csv.empty() && !write_file(with_stem(o.csv, s.stem, many), format_csv(**r))) return 2;
    if (!o.svg.empty() && !write_file(with_stem(o.svg, s.stem, many), format_svg(**r, plot)))
      return 2;
  }
  if (o.json) fmt::print("{}", format_json(results, checks));
  if (o.markdown) fmt::print("{}", format_markdown(results, checks));
  if (!o.markdown_file.empty() && !write_file(o.markdown_file, format_markdown(results, checks)))
    return 2;
  if (o.timing) {
    fmt::print(
        stderr, "total: {:.3f} s wall\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - total_start).count());
  }
  return failed ? 1 : 0;
}
