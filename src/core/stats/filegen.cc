#include "core/stats/filegen.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/stats/calendar.h"

namespace meridian::stats {

namespace {

struct TypeName {
  FilegenType type;
  std::string_view name;
};
constexpr TypeName kTypeNames[] = {
    {FilegenType::kNone, "none"}, {FilegenType::kPid, "pid"},     {FilegenType::kDay, "day"},
    {FilegenType::kWeek, "week"}, {FilegenType::kMonth, "month"}, {FilegenType::kYear, "year"},
    {FilegenType::kAge, "age"},
};

bool has_dotdot_component(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    if (path.substr(start, slash - start) == "..") return true;
    start = slash + 1;
  }
  return false;
}

}  // namespace

std::optional<FilegenType> filegen_type_from_name(std::string_view name) {
  for (const auto& t : kTypeNames) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

std::string_view filegen_type_name(FilegenType type) {
  for (const auto& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "none";
}

std::string generation_suffix(FilegenType type, const GenerationClock& at) {
  const int64_t mjd = mjd_of(at.now);
  switch (type) {
    case FilegenType::kNone:
      return "";
    case FilegenType::kPid:
      return fmt::format(".#{}", at.pid);
    case FilegenType::kDay: {
      const CivilDate d = civil_from_mjd(mjd);
      return fmt::format(".{:04}{:02}{:02}", d.year, d.month, d.day);
    }
    case FilegenType::kWeek: {
      const IsoWeek w = iso_week_from_mjd(mjd);
      return fmt::format(".{:04}w{:02}", w.year, w.week);
    }
    case FilegenType::kMonth: {
      const CivilDate d = civil_from_mjd(mjd);
      return fmt::format(".{:04}{:02}", d.year, d.month);
    }
    case FilegenType::kYear:
      return fmt::format(".{:04}", civil_from_mjd(mjd).year);
    case FilegenType::kAge: {
      const auto uptime = static_cast<int64_t>(std::max(0.0, std::floor(at.uptime_s)));
      return fmt::format(".a{:08}", uptime - uptime % kSecondsPerDay);
    }
  }
  return "";
}

bool StatsSetup::any_enabled() const {
  return std::any_of(files.begin(), files.end(), [](const auto& f) { return f.enabled; });
}

StatsSetup resolve_stats_files(const config::Config& c) {
  StatsSetup setup;
  std::string dir = c.statsdir.value_or(std::string(kDefaultStatsDir));
  if (dir.empty() || dir.back() != '/') dir += '/';
  const auto stats_flag = c.system_flags.find("stats");
  const bool stats_enabled = stats_flag == c.system_flags.end() || stats_flag->second;

  for (std::string_view name : kRecordedStatistics) {
    StatsFileSpec spec;
    spec.name = std::string(name);
    std::string file = spec.name;
    spec.enabled = std::find(c.statistics.begin(), c.statistics.end(), name) != c.statistics.end();
    for (const auto& g : c.filegens) {
      if (g.name != name) continue;
      const std::string where =
          g.where.line > 0 ? fmt::format("{}:{}: ", g.where.file, g.where.line) : "";
      if (g.file) {
        if (g.file->empty() || has_dotdot_component(*g.file)) {
          setup.warnings.push_back(fmt::format(
              "{}filegen {}: file '{}' must be a non-empty name without '..'; using '{}'", where,
              name, *g.file, file));
        } else {
          file = *g.file;
        }
      }
      if (g.type) {
        if (auto t = filegen_type_from_name(*g.type)) spec.type = *t;
      }
      spec.link = g.link;
      if (g.enable) spec.enabled = *g.enable;
    }
    spec.base_path = dir + file;
    spec.enabled = spec.enabled && stats_enabled;
    setup.files.push_back(std::move(spec));
  }

  // Sets named but not recorded here are reported by the parser, with
  // FILE:LINE ("'statistics clockstats' has no effect in Meridian").
  return setup;
}

}  // namespace meridian::stats
