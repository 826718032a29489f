#include "sim/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "core/config/parser.h"
#include "core/stats/calendar.h"

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

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" (UTC) → NTP seconds.
std::optional<int64_t> parse_utc(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char tail = 0;
  const std::string str(s);
  const int n =
      std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail);
  if (n != 3 && n != 5 && n != 6) return std::nullopt;
  if (n == 3 && str.size() != 10) return std::nullopt;
  if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 || h < 0 ||
      mi < 0 || sec < 0)
    return std::nullopt;
  const int64_t mjd = stats::mjd_from_civil(
      stats::CivilDate{y, static_cast<unsigned>(mo), static_cast<unsigned>(d)});
  return (mjd - stats::kMjdOfNtpEpoch) * 86400 + h * 3600 + mi * 60 + sec;
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

  // "insert DATE", "delete DATE" or "none" (a leap at the end of the day before DATE).
  Result<bool> leap_value(const Entry& e, leap::LeapKind& kind, int64_t& midnight) const {
    auto w = words(e.value);
    if (w.size() == 1 && w[0] == "none") {
      kind = leap::LeapKind::kNone;
      return true;
    }
    std::optional<int64_t> at;
    if (w.size() == 2 && (w[0] == "insert" || w[0] == "delete")) at = parse_utc(w[1]);
    if (!at || *at % 86400 != 0)
      return error(e.line, fmt::format("{}: expected insert DATE, delete DATE or none, got '{}'",
                                       e.key, e.value));
    kind = w[0] == "insert" ? leap::LeapKind::kInsert : leap::LeapKind::kDelete;
    midnight = *at;
    return true;
  }

  // "AT VALUE" (a duration, then a value read by `parse`) appended to `out`.
  template <typename Parse>
  Result<bool> timed_change(const Entry& e, const char* value_name, Parse parse,
                            std::vector<std::pair<double, double>>& out) const {
    auto w = words(e.value);
    std::optional<double> at, value;
    if (w.size() == 2) {
      at = parse_duration(w[0]);
      value = parse(w[1]);
    }
    if (!at || !value) return error(e.line, fmt::format("{}: expected AT {}", e.key, value_name));
    out.emplace_back(*at, *value);
    return true;
  }

  // Clock keys shared by [client] and [server]. Returns false if not a clock key.
  Result<bool> clock_key(const Entry& e, ClockModel& c) const {
    if (e.key == "offset") return assign(seconds(e), c.offset_s);
    if (e.key == "freq_ppm") return assign(number(e), c.freq_ppm);
    if (e.key == "wander") return assign(number(e), c.wander_ppm_per_sqrt_s);
    if (e.key == "resolution") return assign(seconds(e), c.resolution_s);
    if (e.key == "freq_step") return timed_change(e, "PPM", parse_number, c.freq_steps);
    if (e.key == "time_step") return timed_change(e, "SECONDS", parse_duration, c.time_steps);
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

  // Keys of [client] (and of engine [clients] groups). False if not one.
  Result<bool> client_key(const Entry& e, ClientModel& c) const {
    auto r = clock_key(e, c.clock);
    if (!r || *r) return r;
    if (e.key == "iburst") return assign(boolean(e), c.iburst);
    if (e.key == "burst") return assign(boolean(e), c.burst);
    if (e.key == "minpoll") return assign(number(e), c.minpoll);
    if (e.key == "maxpoll") return assign(number(e), c.maxpoll);
    if (e.key == "big_first_step") return assign(boolean(e), c.allow_big_first_step);
    if (e.key == "slew_only") return assign(boolean(e), c.slew_only);
    if (e.key == "step_threshold") return assign(seconds(e), c.step_threshold_s);
    if (e.key == "stepout") return assign(seconds(e), c.stepout_s);
    if (e.key == "panic") return assign(seconds(e), c.panic_threshold_s);
    if (e.key == "minsane") return assign(number(e), c.minsane);
    if (e.key == "kernel_leap") return assign(boolean(e), c.kernel_leap);
    if (e.key == "leapfile") {
      const auto slash = path_.rfind('/');
      const std::string file = e.value.starts_with('/') || slash == std::string::npos
                                   ? e.value
                                   : path_.substr(0, slash + 1) + e.value;
      std::ifstream f(file);
      if (!f) return error(e.line, fmt::format("leapfile: cannot open {}", file));
      std::stringstream ss;
      ss << f.rdbuf();
      auto t = leap::parse_leap_seconds_list(ss.str(), file);
      if (!t) return error(e.line, fmt::format("leapfile: {}", t.error().message));
      c.leap_table = std::move(*t);
      return true;
    }
    if (e.key == "drift_ppm") {
      double v = 0;
      r = assign(number(e), v);
      c.drift_ppm = v;
      return r;
    }
    return false;
  }

  // "A" or "A B" (uniform in [A, B]); with `durations` the bounds take units.
  Result<Range> range(const Entry& e, bool durations) const {
    auto w = words(e.value);
    std::optional<double> lo, hi;
    if (w.size() == 1 || w.size() == 2) {
      lo = durations ? parse_duration(w[0]) : parse_number(w[0]);
      hi = w.size() == 1 ? lo : (durations ? parse_duration(w[1]) : parse_number(w[1]));
    }
    if (!lo || !hi || *hi < *lo)
      return error(e.line, fmt::format("{}: expected VALUE or LOW HIGH, got '{}'", e.key, e.value));
    return Range{*lo, *hi};
  }

  Result<bool> clients_key(const Entry& e, ClientGroup& g) const;
  Status build_scale(Scenario& s, const std::vector<Entry>& conf) const;

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
  std::vector<Entry> server_conf;  // `conf` lines: the scale scenario's ntp.conf
  std::vector<ClientGroup> groups;

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
        } else if (e.key == "algorithms") {
          const bool both = e.value == "both";
          const bool ours = e.value == "ours" || e.value == "meridian";
          const bool base = e.value == "baseline" || e.value == "rfc5905";
          if (!both && !ours && !base)
            return error(e.line, fmt::format("algorithms: expected both, meridian or rfc5905, "
                                             "got '{}'",
                                             e.value));
          s.algorithms[0] = both || ours;
          s.algorithms[1] = both || base;
        } else if (e.key == "holdover") {
          auto w = window(e);
          if (!w) return w.error();
          s.holdover = *w;
        } else if (e.key == "start") {
          auto v = parse_utc(e.value);
          if (!v)
            return error(e.line,
                         fmt::format("start: expected YYYY-MM-DD[THH:MM[:SS]], got '{}'", e.value));
          s.start_ntp_s = *v;
        } else if (e.key == "leap") {
          r = leap_value(e, s.utc_leap, s.utc_leap_midnight_ntp_s);
        } else if (e.key == "leap_window") {
          auto w = window(e);
          if (!w) return w.error();
          s.leap_window = *w;
        } else {
          return unknown(e, sec);
        }
        if (!r) return r.error();
      }
    } else if (sec.kind == "client") {
      for (const auto& e : sec.entries) {
        auto r = client_key(e, s.client);
        if (!r) return r.error();
        if (!*r) return unknown(e, sec);
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
        } else if (e.key == "fuzz") {
          r = assign(boolean(e), m.fuzz);
        } else if (e.key == "kod_probability") {
          r = assign(probability(e), m.kod_probability);
        } else if (e.key == "down") {
          auto w = window(e);
          if (!w) return w.error();
          m.down.push_back(*w);
        } else if (e.key == "conf") {
          server_conf.push_back(e);
        } else if (e.key == "leap") {
          m.leap_follows_utc = e.value == "utc";
          if (!m.leap_follows_utc) r = leap_value(e, m.leap, m.leap_midnight_ntp_s);
        } else {
          return unknown(e, sec);
        }
        if (!r) return r.error();
      }
      s.servers.push_back(std::move(m));
    } else if (sec.kind == "clients") {
      ClientGroup g;
      g.name = sec.arg.empty() ? fmt::format("clients{}", groups.size() + 1) : sec.arg;
      g.line = sec.line;
      g.client.clock.resolution_s = 1e-6;
      for (const auto& e : sec.entries) {
        auto r = clients_key(e, g);
        if (!r) return r.error();
        if (!*r) return unknown(e, sec);
      }
      groups.push_back(std::move(g));
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
  s.client.clock.epoch_ntp_s = s.start_ntp_s;
  if (!s.leap_window && s.utc_leap != leap::LeapKind::kNone) {
    const double at = utc_leap_time_s(s);
    s.leap_window = Window{at - 600, at + 3600};
  }
  for (auto& m : s.servers) {
    m.clock.epoch_ntp_s = s.start_ntp_s;
    if (m.leap_follows_utc) {
      m.leap = s.utc_leap;
      m.leap_midnight_ntp_s = s.utc_leap_midnight_ntp_s;
    }
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
  if (!groups.empty()) {
    s.scale.emplace();
    s.scale->groups = std::move(groups);
    if (auto st = build_scale(s, server_conf); !st) return st.error();
  } else if (!server_conf.empty()) {
    return error(server_conf.front().line, "conf: only in scale scenarios (with [clients])");
  }
  return s;
}

Result<bool> Builder::clients_key(const Entry& e, ClientGroup& g) const {
  auto set_range = [&](Range& out, bool durations) -> Result<bool> {
    auto v = range(e, durations);
    if (!v) return v.error();
    out = *v;
    return true;
  };
  if (e.key == "offset") return set_range(g.offset_s, true);
  if (e.key == "freq_ppm") return set_range(g.freq_ppm, false);
  if (e.key == "delay") return set_range(g.delay_s, true);
  if (e.key == "drift_error") {
    g.drift_error_ppm.emplace();
    return set_range(*g.drift_error_ppm, false);
  }
  if (e.key == "count") {
    auto v = number(e);
    if (!v) return v.error();
    if (*v < 1 || *v > 1e6 || *v != static_cast<int>(*v))
      return error(e.line, "count: expected a whole number from 1 to 1000000");
    g.count = static_cast<int>(*v);
    return true;
  }
  if (e.key == "kind") {
    if (e.value == "engine") {
      g.kind = ClientGroup::Kind::kEngine;
    } else if (e.value == "generator") {
      g.kind = ClientGroup::Kind::kGenerator;
    } else {
      return error(e.line, fmt::format("kind: expected engine or generator, got '{}'", e.value));
    }
    return true;
  }
  if (e.key == "address") {
    auto a = net::IpAddress::parse(e.value);
    if (!a || a->family() != net::Family::kIPv4)
      return error(e.line, fmt::format("address: expected an IPv4 address, got '{}'", e.value));
    g.first_address = *a;
    return true;
  }
  if (e.key == "start") {
    auto w = window(e);
    if (!w) return w.error();
    g.start = *w;
    return true;
  }
  if (e.key == "interval") {
    auto v = seconds(e);
    if (!v) return v.error();
    if (!(*v > 0)) return error(e.line, "interval: must be positive");
    g.interval_s = *v;
    return true;
  }
  if (e.key == "delay_out" || e.key == "delay_back")
    return error(e.line, fmt::format("{}: [clients] links are symmetric (use delay)", e.key));
  auto r = client_key(e, g.client);
  if (!r || *r) return r;
  return link_key(e, g.link);
}

Status Builder::build_scale(Scenario& s, const std::vector<Entry>& conf) const {
  if (s.servers.size() != 1)
    return error(1, "a scale scenario ([clients]) has exactly one [server]");
  using T = ServerModel::Type;
  const auto type = s.servers[0].type;
  if (type == T::kKod || type == T::kUnsync)
    return error(1,
                 "the server of a scale scenario answers through ServerCore: type kod and "
                 "unsync are not supported (use conf = restrict … limited kod)");
  // The conf lines, one per line, parsed by the real ntp.conf parser. Only
  // the directives the server pipeline reads are allowed, so nothing is
  // silently ignored.
  std::string text;
  for (const auto& e : conf) {
    const auto w = words(e.value);
    static const char* const kAllowed[] = {"restrict", "unrestrict", "discard", "mru"};
    if (w.empty() ||
        std::find(std::begin(kAllowed), std::end(kAllowed), w[0]) == std::end(kAllowed))
      return error(e.line, "conf: only restrict, unrestrict, discard and mru lines are used");
    text += e.value + "\n";
  }
  config::MemoryFileSource files;
  s.scale->server_config = config::parse_config_text(text, path_, files);
  for (const auto& d : s.scale->server_config.diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kWarning) continue;
    const int k = d.where.line - 1;
    const int line =
        k >= 0 && k < static_cast<int>(conf.size()) ? conf[static_cast<size_t>(k)].line : 1;
    return error(line, fmt::format("conf: {}", d.message));
  }
  for (const auto& r : s.scale->server_config.restricts) {
    if (r.target == config::RestrictRule::Target::kHost)
      return error(conf[static_cast<size_t>(std::max(r.where.line - 1, 0))].line,
                   "conf: restrict takes addresses here (no name resolution)");
  }
  auto table = access::RestrictTable::build(s.scale->server_config.restricts);
  if (!table) return error(1, fmt::format("conf: {}", table.error().message));
  s.scale->restrict = std::move(*table);
  // Each client has its own address (the server's MRU table is keyed by it).
  std::vector<std::pair<uint64_t, const ClientGroup*>> ranges;
  for (const auto& g : s.scale->groups) {
    if (g.first_address.v4_value() == 0)
      return error(g.line,
                   fmt::format("[clients {}]: address (the first client's) is required", g.name));
    const uint64_t first = g.first_address.v4_value();
    if (first + static_cast<uint64_t>(g.count) > 0xffffffffull)
      return error(g.line, fmt::format("[clients {}]: addresses run past 255.255.255.255", g.name));
    ranges.emplace_back(first, &g);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    const auto& [first, prev] = ranges[i - 1];
    if (first + static_cast<uint64_t>(prev->count) > ranges[i].first)
      return error(ranges[i].second->line,
                   fmt::format("[clients {}]: addresses overlap [clients {}]",
                               ranges[i].second->name, prev->name));
  }
  return Status{};
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

double utc_leap_shift_s(const Scenario& s, double t) {
  if (s.utc_leap == leap::LeapKind::kNone) return 0;
  const bool insert = s.utc_leap == leap::LeapKind::kInsert;
  const int64_t at = insert ? s.utc_leap_midnight_ntp_s : s.utc_leap_midnight_ntp_s - 1;
  if (static_cast<double>(s.start_ntp_s - at) + t < 0) return 0;
  return insert ? -1.0 : 1.0;
}

double utc_leap_time_s(const Scenario& s) {
  if (s.utc_leap == leap::LeapKind::kNone) return NAN;
  const int64_t at = s.utc_leap == leap::LeapKind::kInsert ? s.utc_leap_midnight_ntp_s
                                                           : s.utc_leap_midnight_ntp_s - 1;
  return static_cast<double>(at - s.start_ntp_s);
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
