#include "sim/scenario.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace meridian::sim {

namespace {

struct Entry {
  std::string key;
  std::string value;
  int line = 0;
};

struct Section {
  std::string kind;  // "", "client", "link", "server", "pass"
  std::string arg;   // server name, link's server name
  int line = 0;
  std::vector<Entry> entries;
};

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  const auto* end = s.data() + s.size();
  const char* begin = s.data();
  if (!s.empty() && s.front() == '+') ++begin;
  auto [p, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "yes" || s == "true" || s == "on" || s == "1") return true;
  if (s == "no" || s == "false" || s == "off" || s == "0") return false;
  return std::nullopt;
}

class Builder {
 public:
  explicit Builder(std::string path) : path_(std::move(path)) {}

  Error error(int line, std::string message) const {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}:{}: {}", path_, line, message));
  }

  Result<double> seconds(const Entry& e) const {
    auto v = parse_duration(e.value);
    if (!v)
      return error(e.line,
                   fmt::format("{}: expected a duration or number, got '{}'", e.key, e.value));
    return *v;
  }
  Result<double> number(const Entry& e) const {
    auto v = parse_number(e.value);
    if (!v) return error(e.line, fmt::format("{}: expected a number, got '{}'", e.key, e.value));
    return *v;
  }
  Result<double> probability(const Entry& e) const {
    auto v = number(e);
    if (!v) return v;
    if (*v < 0 || *v > 1) return error(e.line, fmt::format("{}: must be in [0, 1]", e.key));
    return v;
  }
  Result<bool> boolean(const Entry& e) const {
    auto v = parse_bool(e.value);
    if (!v) return error(e.line, fmt::format("{}: expected yes/no, got '{}'", e.key, e.value));
    return *v;
  }
  Result<Window> window(const Entry& e) const {
    auto w = words(e.value);
    if (w.size() != 2) return error(e.line, fmt::format("{}: expected FROM UNTIL", e.key));
    auto a = parse_duration(w[0]);
    auto b = parse_duration(w[1]);
    if (!a || !b || *b < *a)
      return error(e.line, fmt::format("{}: bad window '{}'", e.key, e.value));
    return Window{*a, *b};
  }
  Result<Jitter> jitter(const Entry& e) const {
    auto w = words(e.value);
    Jitter j;
    if (w.size() == 1 && w[0] == "none") return j;
    if (w.size() != 2) return error(e.line, fmt::format("{}: expected KIND SCALE", e.key));
    auto scale = parse_duration(w[1]);
    if (!scale || *scale < 0) return error(e.line, fmt::format("{}: bad scale '{}'", e.key, w[1]));
    j.scale_s = *scale;
    if (w[0] == "exp" || w[0] == "exponential") {
      j.kind = Jitter::Kind::kExponential;
    } else if (w[0] == "normal") {
      j.kind = Jitter::Kind::kNormal;
    } else if (w[0] == "uniform") {
      j.kind = Jitter::Kind::kUniform;
    } else {
      return error(e.line, fmt::format("{}: unknown distribution '{}'", e.key, w[0]));
    }
    return j;
  }

  // Clock keys shared by [client] and [server]. Returns false if not a clock key.
  Result<bool> clock_key(const Entry& e, ClockModel& c) const {
    if (e.key == "offset") return assign(seconds(e), c.offset_s);
    if (e.key == "freq_ppm") return assign(number(e), c.freq_ppm);
    if (e.key == "wander") return assign(number(e), c.wander_ppm_per_sqrt_s);
    if (e.key == "resolution") return assign(seconds(e), c.resolution_s);
    if (e.key == "freq_step") {
      auto w = words(e.value);
      std::optional<double> at, ppm;
      if (w.size() == 2) {
        at = parse_duration(w[0]);
        ppm = parse_number(w[1]);
      }
      if (!at || !ppm) return error(e.line, "freq_step: expected AT PPM");
      c.freq_steps.emplace_back(*at, *ppm);
      return true;
    }
    return false;
  }

  Result<bool> link_key(const Entry& e, LinkModel& l) const {
    if (e.key == "delay") {
      auto v = seconds(e);
      if (!v) return v.error();
      l.out.base_delay_s = l.back.base_delay_s = *v;
      return true;
    }
    if (e.key == "delay_out") return assign(seconds(e), l.out.base_delay_s);
    if (e.key == "delay_back") return assign(seconds(e), l.back.base_delay_s);
    if (e.key == "jitter") {
      auto v = jitter(e);
      if (!v) return v.error();
      l.out.jitter = l.back.jitter = *v;
      return true;
    }
    if (e.key == "jitter_out") return assign(jitter(e), l.out.jitter);
    if (e.key == "jitter_back") return assign(jitter(e), l.back.jitter);
    if (e.key == "loss") return assign(probability(e), l.loss);
    if (e.key == "duplicate") return assign(probability(e), l.duplicate);
    if (e.key == "reorder") return assign(probability(e), l.reorder);
    if (e.key == "reorder_window") return assign(seconds(e), l.reorder_window_s);
    if (e.key == "outage") {
      auto w = window(e);
      if (!w) return w.error();
      l.outages.push_back(*w);
      return true;
    }
    return false;
  }

  template <typename T, typename U>
  static Result<bool> assign(Result<T> r, U& out) {
    if (!r) return r.error();
    out = static_cast<U>(*r);
    return true;
  }

  Result<Scenario> build(const std::vector<Section>& sections);

 private:
  std::string path_;
};

Result<Scenario> Builder::build(const std::vector<Section>& sections) {
  Scenario s;
  s.path = path_;
  std::string stem = path_;
  if (auto slash = stem.rfind('/'); slash != std::string::npos) stem = stem.substr(slash + 1);
  if (auto dot = stem.rfind('.'); dot != std::string::npos) stem = stem.substr(0, dot);
  s.stem = stem;
  s.name = stem;
  s.seed_key = stem;
  s.client.clock.resolution_s = 1e-6;

  LinkModel default_link;
  std::map<std::string, std::vector<Entry>> link_overrides;

  auto unknown = [&](const Entry& e, const Section& sec) {
    return error(e.line, fmt::format("unknown key '{}' in [{}]", e.key, sec.kind));
  };

  for (const auto& sec : sections) {
    if (sec.kind.empty() || sec.kind == "scenario") {
      for (const auto& e : sec.entries) {
        Result<bool> r = true;
        if (e.key == "name") {
          s.name = e.value;
        } else if (e.key == "description") {
          s.description += (s.description.empty() ? "" : " ") + e.value;
        } else if (e.key == "seed_key") {
          s.seed_key = e.value;
        } else if (e.key == "duration") {
          r = assign(seconds(e), s.duration_s);
        } else if (e.key == "sample_interval") {
          r = assign(seconds(e), s.sample_interval_s);
        } else if (e.key == "seeds") {
          r = assign(number(e), s.seeds);
        } else if (e.key == "holdover") {
          auto w = window(e);
          if (!w) return w.error();
          s.holdover = *w;
        } else {
          return unknown(e, sec);
        }
        if (!r) return r.error();
      }
    } else if (sec.kind == "client") {
      auto& c = s.client;
      for (const auto& e : sec.entries) {
        auto r = clock_key(e, c.clock);
        if (!r) return r.error();
        if (*r) continue;
        if (e.key == "iburst") {
          r = assign(boolean(e), c.iburst);
        } else if (e.key == "burst") {
          r = assign(boolean(e), c.burst);
        } else if (e.key == "minpoll") {
          r = assign(number(e), c.minpoll);
        } else if (e.key == "maxpoll") {
          r = assign(number(e), c.maxpoll);
        } else if (e.key == "big_first_step") {
          r = assign(boolean(e), c.allow_big_first_step);
        } else if (e.key == "slew_only") {
          r = assign(boolean(e), c.slew_only);
        } else if (e.key == "step_threshold") {
          r = assign(seconds(e), c.step_threshold_s);
        } else if (e.key == "stepout") {
          r = assign(seconds(e), c.stepout_s);
        } else if (e.key == "panic") {
          r = assign(seconds(e), c.panic_threshold_s);
        } else if (e.key == "minsane") {
          r = assign(number(e), c.minsane);
        } else if (e.key == "drift_ppm") {
          double v = 0;
          r = assign(number(e), v);
          c.drift_ppm = v;
        } else {
          return unknown(e, sec);
        }
        if (!r) return r.error();
      }
    } else if (sec.kind == "link") {
      if (sec.arg.empty()) {
        for (const auto& e : sec.entries) {
          auto r = link_key(e, default_link);
          if (!r) return r.error();
          if (!*r) return unknown(e, sec);
        }
      } else {
        auto& o = link_overrides[sec.arg];
        o.insert(o.end(), sec.entries.begin(), sec.entries.end());
      }
    } else if (sec.kind == "server") {
      ServerModel m;
      m.name = sec.arg.empty() ? fmt::format("server{}", s.servers.size() + 1) : sec.arg;
      m.clock.resolution_s = 1e-7;
      for (const auto& e : sec.entries) {
        auto r = clock_key(e, m.clock);
        if (!r) return r.error();
        if (*r) continue;
        if (e.key == "type") {
          using T = ServerModel::Type;
          static const std::map<std::string, T> kTypes = {
              {"good", T::kGood},         {"falseticker", T::kFalseticker},
              {"drifting", T::kDrifting}, {"kod", T::kKod},
              {"unsync", T::kUnsync},     {"disappearing", T::kDisappearing}};
          auto it = kTypes.find(e.value);
          if (it == kTypes.end()) return error(e.line, fmt::format("unknown type '{}'", e.value));
          m.type = it->second;
        } else if (e.key == "stratum") {
          r = assign(number(e), m.stratum);
        } else if (e.key == "hold") {
          r = assign(seconds(e), m.hold_s);
        } else if (e.key == "kod_probability") {
          r = assign(probability(e), m.kod_probability);
        } else if (e.key == "down") {
          auto w = window(e);
          if (!w) return w.error();
          m.down.push_back(*w);
        } else {
          return unknown(e, sec);
        }
        if (!r) return r.error();
      }
      s.servers.push_back(std::move(m));
    } else if (sec.kind == "pass") {
      for (const auto& e : sec.entries) {
        Check c;
        c.line = e.line;
        if (e.key == "check") {
          c.expression = e.value;
        } else if (e.key == "xfail") {
          const auto bar = e.value.find('|');
          if (bar == std::string::npos)
            return error(e.line, "xfail: expected EXPRESSION | measured figure and reason");
          c.expression = trim(std::string_view(e.value).substr(0, bar));
          c.reason = trim(std::string_view(e.value).substr(bar + 1));
          c.expected_fail = true;
        } else {
          return unknown(e, sec);
        }
        s.checks.push_back(std::move(c));
      }
    } else {
      return error(sec.line, fmt::format("unknown section [{}]", sec.kind));
    }
  }
  if (s.servers.empty()) return error(1, "no [server] section");
  for (auto& m : s.servers) {
    m.link = default_link;
    if (auto it = link_overrides.find(m.name); it != link_overrides.end()) {
      for (const auto& e : it->second) {
        auto r = link_key(e, m.link);
        if (!r) return r.error();
        if (!*r) return error(e.line, fmt::format("unknown key '{}' in [link]", e.key));
      }
      link_overrides.erase(it);
    }
  }
  if (!link_overrides.empty()) {
    return error(link_overrides.begin()->second.front().line,
                 fmt::format("[link {}] names no server", link_overrides.begin()->first));
  }
  if (!(s.duration_s > 0) || !(s.sample_interval_s > 0) || s.seeds < 1)
    return error(1, "duration, sample_interval and seeds must be positive");
  return s;
}

}  // namespace

std::optional<double> parse_duration(std::string_view text) {
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"min", 60},
      {"s", 1},     {"m", 60},    {"h", 3600},  {"d", 86400}};
  for (const auto& [suffix, scale] : kUnits) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      auto v = parse_number(text.substr(0, text.size() - suffix.size()));
      if (v) return *v * scale;
    }
  }
  return parse_number(text);
}

Result<Scenario> parse_scenario(const std::string& text, const std::string& path) {
  std::vector<Section> sections(1);
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  Builder b(path);
  while (std::getline(in, raw)) {
    ++line;
    std::string_view view(raw);
    if (auto hash = view.find('#'); hash != std::string_view::npos) view = view.substr(0, hash);
    const std::string l = trim(view);
    if (l.empty()) continue;
    if (l.front() == '[') {
      if (l.back() != ']') return b.error(line, "expected [section] or [section NAME]");
      auto w = words(std::string_view(l).substr(1, l.size() - 2));
      if (w.empty() || w.size() > 2) return b.error(line, "expected [section] or [section NAME]");
      sections.push_back(Section{w[0], w.size() == 2 ? w[1] : "", line, {}});
      continue;
    }
    const auto eq = l.find('=');
    if (eq == std::string::npos) return b.error(line, "expected key = value");
    sections.back().entries.push_back(Entry{trim(std::string_view(l).substr(0, eq)),
                                            trim(std::string_view(l).substr(eq + 1)), line});
  }
  return b.build(sections);
}

Result<Scenario> load_scenario(const std::string& path) {
  std::ifstream f(path);
  if (!f) return make_error(ErrorCode::kIo, fmt::format("{}: cannot open", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_scenario(ss.str(), path);
}

}  // namespace meridian::sim
