// The statistics files on disk: one StatsFileSet per enabled `filegen`
// (loopstats, peerstats, sysstats), written as the classic ntpd does:
//  * each line is appended to the member named base + suffix (filegen.h),
//    with O_APPEND and one write(2), so it is in the file as soon as it is
//    written (no stdio buffer to lose) and lines are never interleaved;
//  * when the suffix for a line's time differs from the open member's, the
//    next member is opened (rotation); if it cannot be, lines keep going to
//    the previous member rather than being lost (classic behaviour);
//  * with `link` (the default) the base name is a hard link to the current
//    member: a stale link (a regular file with other links) is removed, a
//    lone regular file in the way (e.g. from `type none`) is kept by
//    renaming it to BASE.<pid>C<n> first;
//  * statsdir is never created; a failure (missing directory, permission,
//    full disk) is logged once as a warning, then at debug level until the
//    same operation (open or write) succeeds again. Nothing here can stop
//    the daemon.
#pragma once

#include <cstdint>
#include <string>

#include "core/stats/filegen.h"
#include "daemon/logger.h"

namespace meridian::daemon {

class StatsFileSet {
 public:
  StatsFileSet(stats::StatsFileSpec spec, Logger& log);
  ~StatsFileSet();
  StatsFileSet(const StatsFileSet&) = delete;
  StatsFileSet& operator=(const StatsFileSet&) = delete;
  StatsFileSet(StatsFileSet&& other) noexcept;
  StatsFileSet& operator=(StatsFileSet&&) = delete;

  // Appends `line` and a newline to the member for `at`. Returns whether the
  // line was written (failures are logged here; callers may ignore it).
  bool write(const std::string& line, const stats::GenerationClock& at);

  const stats::StatsFileSpec& spec() const { return spec_; }
  // The member lines go to ("" before the first successful open).
  const std::string& current_path() const { return current_path_; }

 private:
  bool open_member(const std::string& suffix, int64_t pid);
  void clear_base_name(int64_t pid);
  // A failure is logged as a warning the first time, at debug level while it
  // persists; the first success after it is logged as a notice.
  void failed(bool& failing, const std::string& message);
  void recovered(bool& failing);

  stats::StatsFileSpec spec_;
  Logger& log_;
  int fd_ = -1;
  std::string suffix_;  // of the open member
  std::string current_path_;
  bool open_failing_ = false;   // opening a member failed, no open succeeded since
  bool write_failing_ = false;  // a write failed, no write succeeded since
  uint64_t conflicts_ = 0;      // files saved out of the base name's way
};

}  // namespace meridian::daemon
