// System-wide directives: enable/disable, threads, the file paths
// (driftfile, logfile, leapfile, statsdir), statistics, filegen, logconfig.
#include <fmt/format.h>

#include <algorithm>

#include "core/config/parse_context.h"
#include "core/config/values.h"

namespace meridian::config::internal {

namespace {

constexpr std::string_view kSystemFlags[] = {"auth",    "bclient", "calibrate", "kernel", "mode7",
                                             "monitor", "ntp",     "stats",     "pps"};

constexpr std::string_view kStatistics[] = {"loopstats",   "peerstats",   "clockstats",
                                            "rawstats",    "sysstats",    "protostats",
                                            "cryptostats", "timingstats", "usestats"};

constexpr std::string_view kFilegenTypes[] = {"none", "pid", "day", "week", "month", "year", "age"};

// enable/disable flags Meridian does not act on (either way): the reason.
// The others: `ntp` (discipline the clock), `kernel` (report the sync state
// to the kernel), `stats` (statistics files).
const char* flag_without_effect(std::string_view flag) {
  if (flag == "auth") {
    return "symmetric associations are never mobilised, so there is nothing to authenticate "
           "them for";
  }
  if (flag == "bclient") return "broadcast client mode is not supported";
  if (flag == "calibrate") return "reference clock calibration is not supported";
  if (flag == "mode7") return "mode 7 (ntpdc) is never answered";
  if (flag == "monitor") return "the MRU list is always kept (it is bounded by 'mru')";
  if (flag == "pps") return "PPS signals are not supported";
  return nullptr;
}

// The statistics ntpd writes (core/stats/filegen.h); the others are accepted.
constexpr std::string_view kRecordedStatistics[] = {"loopstats", "peerstats", "sysstats"};

template <size_t N>
bool one_of(std::string_view word, const std::string_view (&table)[N]) {
  return std::find(std::begin(table), std::end(table), word) != std::end(table);
}

// logconfig keywords: [=+-] then "all" or CLASS TYPE run together, e.g.
// "=syncall", "+clockall", "-syncstatus", "sysevents" (ntp.conf(5)).
bool valid_logconfig_item(std::string_view item) {
  if (!item.empty() && (item.front() == '=' || item.front() == '+' || item.front() == '-')) {
    item.remove_prefix(1);
  }
  const std::string word = to_lower(item);
  if (word == "all") return true;
  for (std::string_view cls : {"sys", "peer", "clock", "sync", "all"}) {
    if (word.compare(0, cls.size(), cls) != 0) continue;
    const std::string_view type = std::string_view(word).substr(cls.size());
    for (std::string_view t : {"info", "events", "statistics", "status", "all"}) {
      if (type == t) return true;
    }
  }
  return false;
}

}  // namespace

void parse_enable(ParseContext& ctx, const Statement& st) {
  Args args(st);
  const std::string who = to_lower(st.tokens.front().text);
  const bool enable = who == "enable";
  if (args.done()) ctx.warning(st.line, fmt::format("{}: no flags given", who));
  while (!args.done()) {
    const Token& flag = args.take();
    const std::string name = to_lower(flag.text);
    if (!one_of(name, kSystemFlags)) {
      ctx.error(flag.line, fmt::format("{}: unknown flag '{}'; flag ignored", who, flag.text));
      continue;
    }
    if (const char* reason = flag_without_effect(name)) {
      ctx.no_effect(flag.line, fmt::format("{} {}", who, name), reason);
    }
    ctx.config().system_flags[name] = enable;
  }
}

void parse_threads(ParseContext& ctx, const Statement& st) {
  Args args(st);
  if (args.done()) {
    ctx.fail(st.line, "threads: missing thread count");
    return;
  }
  const Token& value = args.take();
  auto n = integer_value("threads", value, 1, 256);
  if (!n.ok()) {
    ctx.fail(value.line, fmt::format("threads: {}", n.error().message));
    return;
  }
  if (!args.done()) {
    ctx.warning(args.line(), fmt::format("threads: extra '{}' ignored", args.peek().text));
  }
  ctx.config().threads = static_cast<int>(*n);
  ctx.set_location("threads", st.line);
}

void parse_path(ParseContext& ctx, const Statement& st) {
  Args args(st);
  const std::string who = to_lower(st.tokens.front().text);
  if (args.done()) {
    ctx.fail(st.line, fmt::format("{}: missing file name", who));
    return;
  }
  const Token& path = args.take();
  if (path.text.empty()) {
    ctx.fail(path.line, fmt::format("{}: empty file name", who));
    return;
  }
  if (!args.done()) {
    // Old ntpd took `driftfile FILE [minutes [tolerance]]`; nothing else takes more.
    ctx.warning(args.line(), fmt::format("{}: extra '{}' ignored (quote a file name that has "
                                         "blanks)",
                                         who, args.peek().text));
  }
  Config& config = ctx.config();
  std::optional<std::string>& slot = who == "driftfile"  ? config.driftfile
                                     : who == "logfile"  ? config.logfile
                                     : who == "leapfile" ? config.leapfile
                                                         : config.statsdir;
  if (slot && *slot != path.text) {
    ctx.warning(st.line, fmt::format("{}: was {}; now {}", who, *slot, path.text));
  }
  slot = path.text;
  ctx.set_location(who, st.line);
}

void parse_statistics(ParseContext& ctx, const Statement& st) {
  Args args(st);
  if (args.done()) ctx.warning(st.line, "statistics: no statistics named");
  while (!args.done()) {
    const Token& t = args.take();
    const std::string name = to_lower(t.text);
    if (!one_of(name, kStatistics)) {
      ctx.error(t.line, fmt::format("statistics: unknown statistics '{}'; ignored", t.text));
      continue;
    }
    if (!one_of(name, kRecordedStatistics)) {
      ctx.no_effect(t.line, fmt::format("statistics {}", name),
                    "only loopstats, peerstats and sysstats are recorded");
    }
    std::vector<std::string>& list = ctx.config().statistics;
    if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
  }
}

void parse_filegen(ParseContext& ctx, const Statement& st) {
  Args args(st);
  if (args.done()) {
    ctx.fail(st.line, "filegen: missing statistics name");
    return;
  }
  const Token& name = args.take();
  FilegenConfig gen;
  gen.name = to_lower(name.text);
  gen.where = ctx.at(st.line);
  if (!one_of(gen.name, kStatistics)) {
    ctx.fail(name.line, fmt::format("filegen: unknown statistics '{}'", name.text));
    return;
  }
  while (!args.done()) {
    const Token& opt = args.take();
    const std::string word = to_lower(opt.text);
    if (word == "link" || word == "nolink") {
      gen.link = word == "link";
    } else if (word == "enable" || word == "disable") {
      gen.enable = word == "enable";
    } else if (word == "file" || word == "type") {
      if (args.done()) {
        ctx.error(opt.line, fmt::format("filegen: option '{}' needs a value", word));
        break;
      }
      const Token& value = args.take();
      if (word == "file") {
        gen.file = value.text;
      } else if (one_of(to_lower(value.text), kFilegenTypes)) {
        gen.type = to_lower(value.text);
      } else {
        ctx.error(value.line,
                  fmt::format("filegen: type '{}' is not none, pid, day, week, month, year or age; "
                              "option ignored",
                              value.text));
      }
    } else {
      ctx.error(opt.line, fmt::format("filegen: unknown option '{}'; option ignored", opt.text));
    }
  }
  if (!one_of(gen.name, kRecordedStatistics)) {
    ctx.no_effect(st.line, fmt::format("filegen {}", gen.name),
                  "only loopstats, peerstats and sysstats are recorded");
  }
  ctx.config().filegens.push_back(std::move(gen));
}

void parse_logconfig(ParseContext& ctx, const Statement& st) {
  Args args(st);
  if (args.done()) ctx.warning(st.line, "logconfig: nothing given");
  ctx.no_effect(st.line, "logconfig",
                "Meridian logs its own fixed set of events (ntpd -d adds debug lines)");
  while (!args.done()) {
    const Token& item = args.take();
    if (!valid_logconfig_item(item.text)) {
      ctx.error(item.line, fmt::format("logconfig: unknown keyword '{}'; ignored", item.text));
      continue;
    }
    ctx.config().logconfig.push_back(item.text);
  }
}

}  // namespace meridian::config::internal
