#include "sim/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace meridian::sim {

namespace {

constexpr Algorithm kAlgorithms[] = {Algorithm::kMeridian, Algorithm::kRfc5905};

std::string fmt_time(double s) {
  if (std::isnan(s)) return "-";
  if (std::isinf(s)) return "never";
  if (s < 1000) return fmt::format("{:.1f}s", s);
  return fmt::format("{:.2f}h", s / 3600);
}

std::string fmt_offset(double s) {
  if (std::isnan(s)) return "-";
  if (std::isinf(s)) return "inf";
  const double a = std::fabs(s);
  if (a >= 1) return fmt::format("{:.3f}s", s);
  if (a >= 1e-3) return fmt::format("{:.2f}ms", s * 1e3);
  return fmt::format("{:.1f}us", s * 1e6);
}

std::string fmt_share(double v) { return std::isnan(v) ? "-" : fmt::format("{:.1f}%", v * 100); }

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{:.9g}", v);
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string duration_text(double s) {
  if (s >= 3600) return fmt::format("{:g} h", s / 3600);
  if (s >= 60) return fmt::format("{:g} min", s / 60);
  return fmt::format("{:g} s", s);
}

}  // namespace

namespace {

std::string format_checks(const std::vector<CheckResult>& checks) {
  std::string out;
  for (const auto& c : checks) {
    out += fmt::format("  {:<5} {}  [{}]", status_name(c.status), c.check.expression, c.message);
    if (!c.check.reason.empty())
      out += fmt::format("\n        expected to fail: {}", c.check.reason);
    out += "\n";
  }
  return out;
}

// Scale scenarios: the engines' pooled figures, then the server's.
std::string format_scale_table(const ScenarioResult& r, const std::vector<CheckResult>& checks) {
  const auto& s = r.scenario;
  const size_t seeds = std::max(r.runs[0].size(), r.runs[1].size());
  std::string out = fmt::format("== {}: {} ({} seeds, {}) ==\n", s.stem, s.name, seeds,
                                duration_text(s.duration_s));
  for (const auto& g : s.scale->groups) {
    out += fmt::format("  [clients {}] {} {}{}\n", g.name, g.count,
                       g.kind == ClientGroup::Kind::kEngine ? "engines" : "generators",
                       g.kind == ClientGroup::Kind::kEngine
                           ? ""
                           : fmt::format(", one request every {:g} s", g.interval_s));
  }
  out += fmt::format("{:<9} {:>7} {:>9} {:>9} {:>9} {:>10} {:>7} {:>7} {:>9} {:>9} {:>6} {:>8}\n",
                     "algorithm", "engines", "unsynced", "sync med", "sync max", "settle max",
                     "in1ms", "in100u", "RMS", "max", "steps", "reqs");
  for (Algorithm a : kAlgorithms) {
    if (!r.ran[static_cast<int>(a)]) continue;
    auto med = [&](std::string_view name) { return r.median(a, *find_metric(name)); };
    out += fmt::format("{:<9} {:>7} {:>9} {:>9} {:>9} {:>10} {:>7} {:>7} {:>9} {:>9} {:>6} {:>8}\n",
                       algorithm_name(a), fmt::format("{:g}", med("clients")),
                       fmt::format("{:g}", med("unsynced_clients")), fmt_time(med("sync_median_s")),
                       fmt_time(med("sync_max_s")), fmt_time(med("settle_max_s")),
                       fmt_share(med("within_1ms")), fmt_share(med("within_100us")),
                       fmt_offset(med("rms_offset_s")), fmt_offset(med("max_offset_s")),
                       fmt::format("{:g}", med("steps")), fmt::format("{:g}", med("requests")));
    out += fmt::format(
        "  server (medians): {:g} requests, {:g} answered with time, {:g} KoD RATE, {:g} dropped "
        "by the rate limiter; peak {:g} requests/s; MRU peak {:g} entries, {:g} recycled\n",
        med("server_received"), med("server_replied"), med("server_kod"),
        med("server_rate_dropped"), med("server_peak_rate"), med("mru_peak"), med("mru_recycled"));
    out += fmt::format(
        "  over all seeds: compliant requests refused {:g}, KoDs to compliant clients {:g}; "
        "abusers never limited {:g}, over the limiter's bound {:g}, most time replies to one "
        "{:g} (median share answered {}), latest first refusal {} after its start; counter "
        "mismatches {:g}\n",
        med("refused_compliant"), med("kod_to_compliant"), med("unlimited_abusers"),
        med("abusers_over_bound"), med("abuser_replies_max"), fmt_share(med("abuser_answered")),
        fmt_time(med("abuser_caught_max_s")), med("counter_mismatches"));
    const double panics = med("panicked");
    if (panics > 0) out += fmt::format("  PANIC in {:g} runs\n", panics);
  }
  return out + format_checks(checks);
}

}  // namespace

std::string format_table(const ScenarioResult& r, const std::vector<CheckResult>& checks) {
  if (r.scenario.scale) return format_scale_table(r, checks);
  const auto& s = r.scenario;
  const size_t seeds = std::max(r.runs[0].size(), r.runs[1].size());
  std::string out = fmt::format("== {}: {} ({} seeds, {}) ==\n", s.stem, s.name, seeds,
                                duration_text(s.duration_s));
  out +=
      fmt::format("{:<9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>9} {:>9} {:>10} {:>5} {:>6} {:>6}",
                  "algorithm", "1st<1ms", "1st<100u", "set<1ms", "set<100u", "in1ms", "in100u",
                  "RMS", "max", "RMSfreq", "FT", "steps", "reqs");
  if (s.holdover) out += fmt::format(" {:>9}", "holdover");
  out += "\n";
  auto med = [&](Algorithm a, std::string_view name) { return r.median(a, *find_metric(name)); };
  for (Algorithm a : kAlgorithms) {
    if (!r.ran[static_cast<int>(a)]) continue;
    out += fmt::format(
        "{:<9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>9} {:>9} {:>10} {:>5} {:>6} {:>6}",
        algorithm_name(a), fmt_time(med(a, "first_1ms_s")), fmt_time(med(a, "first_100us_s")),
        fmt_time(med(a, "settle_1ms_s")), fmt_time(med(a, "settle_100us_s")),
        fmt_share(med(a, "within_1ms")), fmt_share(med(a, "within_100us")),
        fmt_offset(med(a, "rms_offset_s")), fmt_offset(med(a, "max_offset_s")),
        fmt::format("{:.4f}ppm", med(a, "rms_freq_ppm")),
        fmt::format("{:g}/{}", med(a, "falseticker_followed"), r.runs[static_cast<int>(a)].size()),
        fmt::format("{:g}", med(a, "steps")), fmt::format("{:g}", med(a, "requests")));
    if (s.holdover) out += fmt::format(" {:>9}", fmt_offset(med(a, "holdover_growth_s")));
    const double panics = med(a, "panicked");
    if (panics > 0) out += fmt::format("  PANIC in {:g} runs", panics);
    out += "\n";
  }
  return out + format_checks(checks);
}

std::string format_json(const std::vector<const ScenarioResult*>& results,
                        const std::vector<std::vector<CheckResult>>& checks) {
  std::string out = "{\"scenarios\": [";
  for (size_t k = 0; k < results.size(); ++k) {
    const auto& r = *results[k];
    const auto& s = r.scenario;
    out += k ? ",\n" : "\n";
    out += fmt::format("  {{\"scenario\": {}, \"name\": {}, \"duration_s\": {}, \"algorithms\": {{",
                       json_string(s.stem), json_string(s.name), json_number(s.duration_s));
    bool first_alg = true;
    for (Algorithm a : kAlgorithms) {
      const int ai = static_cast<int>(a);
      if (!r.ran[ai]) continue;
      out += fmt::format("{}\n    {}: {{\"median\": {{", first_alg ? "" : ",",
                         json_string(algorithm_name(a)));
      first_alg = false;
      bool first = true;
      for (const auto& m : metric_table()) {
        if (m.scale && !s.scale) continue;
        out += fmt::format("{}{}: {}", first ? "" : ", ", json_string(m.name),
                           json_number(r.median(a, m)));
        first = false;
      }
      out += "},\n     \"runs\": [";
      for (size_t i = 0; i < r.runs[ai].size(); ++i) {
        out += i ? ",\n       {" : "\n       {";
        first = true;
        for (const auto& m : metric_table()) {
          if (m.scale && !s.scale) continue;
          out += fmt::format("{}{}: {}", first ? "" : ", ", json_string(m.name),
                             json_number(r.runs[ai][i].*m.field));
          first = false;
        }
        out += "}";
      }
      out += "]}";
    }
    out += "},\n   \"checks\": [";
    for (size_t i = 0; i < checks[k].size(); ++i) {
      const auto& c = checks[k][i];
      out += fmt::format(
          "{}\n     {{\"expression\": {}, \"status\": {}, \"lhs\": {}, \"rhs\": {}, "
          "\"message\": {}, \"reason\": {}}}",
          i ? "," : "", json_string(c.check.expression), json_string(status_name(c.status)),
          json_number(c.lhs), json_number(c.rhs), json_string(c.message),
          json_string(c.check.reason));
    }
    out += "]}";
  }
  out += "\n]}\n";
  return out;
}

namespace {

// Scale scenarios: engines' figures pooled over clients, then the server's.
std::string format_markdown_scale(const std::vector<const ScenarioResult*>& results) {
  std::string out =
      "\n| scale scenario | algorithm | seeds | engines | unsynced (all seeds) | sync median | "
      "sync max (worst seed) | settled max | within 1 ms | RMS offset | max offset | requests at "
      "server | time replies | KoD RATE | rate-limit drops | peak req/s | MRU peak / recycled | "
      "compliant refused | abusers never limited / over bound | abuser max replies | abuser "
      "caught after | counter mismatches |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---"
      ":"
      "|---:|---:|---:|\n";
  for (const auto* r : results) {
    if (!r->scenario.scale) continue;
    for (Algorithm a : kAlgorithms) {
      const int ai = static_cast<int>(a);
      if (!r->ran[ai]) continue;
      auto med = [&](std::string_view name) { return r->median(a, *find_metric(name)); };
      out += fmt::format(
          "| {} | {} | {} | {:g} | {:g} | {} | {} | {} | {} | {} | {} | {:g} | {:g} | {:g} | {:g} "
          "| {:g} | {:g} / {:g} | {:g} | {:g} / {:g} | {:g} | {} | {:g} |\n",
          r->scenario.stem, algorithm_name(a), r->runs[ai].size(), med("clients"),
          med("unsynced_clients"), fmt_time(med("sync_median_s")), fmt_time(med("sync_max_s")),
          fmt_time(med("settle_max_s")), fmt_share(med("within_1ms")),
          fmt_offset(med("rms_offset_s")), fmt_offset(med("max_offset_s")), med("server_received"),
          med("server_replied"), med("server_kod"), med("server_rate_dropped"),
          med("server_peak_rate"), med("mru_peak"), med("mru_recycled"), med("refused_compliant"),
          med("unlimited_abusers"), med("abusers_over_bound"), med("abuser_replies_max"),
          fmt_time(med("abuser_caught_max_s")), med("counter_mismatches"));
    }
  }
  return out;
}

}  // namespace

std::string format_markdown(const std::vector<const ScenarioResult*>& results,
                            const std::vector<std::vector<CheckResult>>& checks) {
  std::string out;
  bool any_scale = false;
  for (const auto* r : results) {
    if (r->scenario.scale) {
      any_scale = true;
      continue;
    }
    if (out.empty()) {
      out =
          "| scenario | algorithm | seeds | first <1 ms | first <100 µs | settled <1 ms | within 1 "
          "ms | within 100 µs | RMS offset | max offset | RMS freq error | falseticker followed | "
          "holdover growth |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    }
    auto med = [&](Algorithm a, std::string_view name) { return r->median(a, *find_metric(name)); };
    for (Algorithm a : kAlgorithms) {
      const int ai = static_cast<int>(a);
      if (!r->ran[ai]) continue;
      const double panics = med(a, "panicked");
      out += fmt::format(
          "| {} | {} | {} | {} | {} | {} | {} | {} | **{}** | {} | {:.4f} ppm | {:g}/{} | {} |{}\n",
          a == Algorithm::kMeridian ? r->scenario.stem : "", algorithm_name(a), r->runs[ai].size(),
          fmt_time(med(a, "first_1ms_s")), fmt_time(med(a, "first_100us_s")),
          fmt_time(med(a, "settle_1ms_s")), fmt_share(med(a, "within_1ms")),
          fmt_share(med(a, "within_100us")), fmt_offset(med(a, "rms_offset_s")),
          fmt_offset(med(a, "max_offset_s")), med(a, "rms_freq_ppm"),
          med(a, "falseticker_followed"), r->runs[ai].size(),
          r->scenario.holdover ? fmt_offset(med(a, "holdover_growth_s")) : "",
          panics > 0 ? fmt::format(" panicked in {:g} runs", panics) : "");
    }
  }
  if (any_scale) out += format_markdown_scale(results);
  out += fmt::format(
      "\n| scenario | criterion (median over seeds{}) | status | figures |\n"
      "|---|---|---|---|\n",
      any_scale ? "; scale counts summed, scale worst cases the largest: see "
                  "sim/README.md"
                : "");
  for (size_t k = 0; k < results.size(); ++k) {
    for (const auto& c : checks[k]) {
      std::string expr = c.check.expression;
      for (size_t pos = 0; (pos = expr.find('|', pos)) != std::string::npos; pos += 2)
        expr.replace(pos, 1, "\\|");
      out += fmt::format("| {} | `{}` | {} | {} |\n", results[k]->scenario.stem, expr,
                         status_name(c.status), c.message);
    }
  }
  return out;
}

std::string format_csv(const ScenarioResult& r) {
  std::string out = "t_s";
  std::vector<Algorithm> algs;
  for (Algorithm a : kAlgorithms) {
    if (r.ran[static_cast<int>(a)]) {
      algs.push_back(a);
      const char* n = algorithm_name(a);
      out += fmt::format(
          ",offset_s_{0},freq_err_ppm_{0},poll_log2_{0},engine_offset_s_{0},engine_freq_ppm_{0},"
          "correction_ppm_{0},sample_age_s_{0}",
          n);
    }
  }
  out += "\n";
  if (algs.empty()) return out;
  const size_t n = r.trace[static_cast<int>(algs[0])].size();
  for (size_t i = 0; i < n; ++i) {
    out += fmt::format("{:g}", r.trace[static_cast<int>(algs[0])][i].t_s);
    for (Algorithm a : algs) {
      const auto& tr = r.trace[static_cast<int>(a)];
      if (i < tr.size()) {
        const auto& p = tr[i];
        out += fmt::format(",{:.6e},{:.6e},{},{:.6e},{:.6e},{:.6e},{:.1f}", p.offset_s,
                           p.freq_err_ppm, p.poll_log2, p.engine_offset_s, p.engine_freq_ppm,
                           p.correction_ppm, p.sample_age_s);
      } else {
        out += ",,,,,,,";
      }
    }
    out += "\n";
  }
  return out;
}

// Two log-scale panels, |θ| and |frequency error| against time; each series
// is decimated to one point per pixel column (the column's largest value, so
// the envelope is honest).
std::string format_svg(const ScenarioResult& r, uint64_t seed) {
  constexpr double kW = 960, kH = 660, kLeft = 80, kRight = 20, kTop = 60, kGap = 60, kBottom = 50;
  constexpr double kPlotW = kW - kLeft - kRight;
  constexpr double kPanelH = (kH - kTop - kGap - kBottom) / 2;
  const double duration = r.scenario.duration_s;
  const bool hours = duration >= 3 * 3600;
  const double xscale = hours ? 3600 : (duration >= 600 ? 60 : 1);
  const char* xunit = hours ? "h" : (duration >= 600 ? "min" : "s");
  struct Panel {
    const char* title;
    double lo_decade, hi_decade;
    double TracePoint::*field;
    double scale;
    double y0;
  };
  const Panel panels[] = {
      {"|offset| (s), true time − client clock; each pixel column shows its largest value", -8, 0,
       &TracePoint::offset_s, 1, kTop},
      {"|frequency error| (ppm): client rate − true rate", -5, 3, &TracePoint::freq_err_ppm, 1,
       kTop + kPanelH + kGap},
  };
  const char* colours[] = {"#1f77b4", "#ff7f0e"};
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"22\" font-size=\"15\">{3}: {4} — seed {5}</text>\n",
      kW, kH, kLeft, r.scenario.stem, r.scenario.name, seed);
  for (const auto& p : panels) {
    const double decades = p.hi_decade - p.lo_decade;
    auto ymap = [&](double v) {
      const double l =
          std::clamp(std::log10(std::max(std::fabs(v), 1e-30)), p.lo_decade, p.hi_decade);
      return p.y0 + kPanelH * (p.hi_decade - l) / decades;
    };
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", kLeft, p.y0 - 6, p.title);
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n",
        kLeft, p.y0, kPlotW, kPanelH);
    for (double d = p.lo_decade; d <= p.hi_decade; d += 1) {
      const double y = p.y0 + kPanelH * (p.hi_decade - d) / decades;
      out += fmt::format(
          "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
          "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">1e{:g}</text>\n",
          kLeft, y, kLeft + kPlotW, y, kLeft - 6, y + 4, d);
    }
    for (int k = 0; k <= 8; ++k) {
      const double x = kLeft + kPlotW * k / 8;
      out += fmt::format(
          "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#eee\"/>"
          "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4:g}</text>\n",
          x, p.y0, p.y0 + kPanelH, p.y0 + kPanelH + 16, duration * k / 8 / xscale);
    }
    for (Algorithm a : kAlgorithms) {
      const int ai = static_cast<int>(a);
      if (!r.ran[ai] || r.trace[ai].empty()) continue;
      std::vector<double> column(static_cast<size_t>(kPlotW), -1);
      for (const auto& tp : r.trace[ai]) {
        const auto c = std::min(static_cast<size_t>(tp.t_s / duration * kPlotW), column.size() - 1);
        column[c] = std::max(column[c], std::fabs(tp.*p.field * p.scale));
      }
      out += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\" points=\"",
                         colours[ai]);
      for (size_t c = 0; c < column.size(); ++c) {
        if (column[c] < 0) continue;
        out += fmt::format("{:.1f},{:.1f} ", kLeft + static_cast<double>(c) + 0.5, ymap(column[c]));
      }
      out += "\"/>\n";
    }
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">time ({})</text>\n",
                     kLeft + kPlotW / 2, kH - 12, xunit);
  for (Algorithm a : kAlgorithms) {
    const int ai = static_cast<int>(a);
    const double x = kW - kRight - 260 + 140 * ai;
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"17\" x2=\"{1}\" y2=\"17\" stroke=\"{2}\" stroke-width=\"3\"/>"
        "<text x=\"{3}\" y=\"22\">{4}</text>\n",
        x, x + 24, colours[ai], x + 30, a == Algorithm::kMeridian ? "Meridian" : "RFC 5905");
  }
  out += "</svg>\n";
  return out;
}

}  // namespace meridian::sim
