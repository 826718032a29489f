// File generation sets (ntp.conf `statsdir`, `statistics`, `filegen`): which
// statistics files are written, where, and when a new member of the set
// starts. Classic naming (ntpd 4.2.8): the base name is statsdir + file, and
// each member adds a suffix for the period it covers:
//   none   ""             one file forever
//   pid    ".#PID"        one file per daemon process
//   day    ".YYYYMMDD"    (default) UTC day
//   week   ".YYYYwWW"     ISO 8601 week (year of its Thursday, weeks 01..53)
//   month  ".YYYYMM"      UTC month
//   year   ".YYYY"        UTC year
//   age    ".aNNNNNNNN"   24 h of daemon uptime, NNNNNNNN = its first second
// A new member starts when the suffix computed for the time of a record
// differs from the open member's: that is the whole rotation rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::stats {

enum class FilegenType { kNone, kPid, kDay, kWeek, kMonth, kYear, kAge };

std::optional<FilegenType> filegen_type_from_name(std::string_view name);
std::string_view filegen_type_name(FilegenType type);

// What a generation's suffix is computed from.
struct GenerationClock {
  time::NtpTime now;    // the disciplined clock (UTC) at the record
  double uptime_s = 0;  // seconds since the daemon started (type age)
  int64_t pid = 0;      // the daemon's process id (type pid)
};
std::string generation_suffix(FilegenType type, const GenerationClock& at);

// The statistics this ntpd records (others are accepted in the config and
// reported as not recorded).
inline constexpr std::string_view kRecordedStatistics[] = {"loopstats", "peerstats", "sysstats"};

// The statsdir used when the config names none (classic ntpd's NTP_VAR).
inline constexpr std::string_view kDefaultStatsDir = "/var/NTP/";

struct StatsFileSpec {
  std::string name;  // loopstats, peerstats or sysstats
  // statsdir + file: the name of the link to the current member, and the
  // prefix of every member's name.
  std::string base_path;
  FilegenType type = FilegenType::kDay;
  bool link = true;
  bool enabled = false;
};

struct StatsSetup {
  std::vector<StatsFileSpec> files;   // one per kRecordedStatistics entry, in that order
  std::vector<std::string> warnings;  // "filegen …: …" problems, for the log
  bool any_enabled() const;
};

// Resolves the config: a statistics set is enabled when `statistics` names
// it, unless a `filegen NAME … enable|disable` says otherwise (the last such
// word wins); `disable stats` disables every set. `file` must not contain a
// ".." component (classic rule: files stay inside statsdir) and defaults to
// the set's name; statsdir gets a trailing '/' when it has none.
StatsSetup resolve_stats_files(const config::Config& c);

}  // namespace meridian::stats
