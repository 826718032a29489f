#include "daemon/stats_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace meridian::daemon {

StatsFileSet::StatsFileSet(stats::StatsFileSpec spec, Logger& log)
    : spec_(std::move(spec)), log_(log) {}

StatsFileSet::~StatsFileSet() {
  if (fd_ >= 0) close(fd_);
}

StatsFileSet::StatsFileSet(StatsFileSet&& other) noexcept
    : spec_(std::move(other.spec_)),
      log_(other.log_),
      fd_(std::exchange(other.fd_, -1)),
      suffix_(std::move(other.suffix_)),
      current_path_(std::move(other.current_path_)),
      open_failing_(other.open_failing_),
      write_failing_(other.write_failing_),
      conflicts_(other.conflicts_) {}

bool StatsFileSet::write(const std::string& line, const stats::GenerationClock& at) {
  const std::string suffix = stats::generation_suffix(spec_.type, at);
  if (fd_ < 0 || suffix != suffix_) {
    // On failure an already open (older) member keeps receiving the lines.
    if (!open_member(suffix, at.pid) && fd_ < 0) return false;
  }
  const std::string text = line + "\n";
  const ssize_t n = ::write(fd_, text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size())) {
    failed(write_failing_, fmt::format("cannot write statistics to {}: {}", current_path_,
                                       n < 0 ? std::strerror(errno) : "short write (disk full?)"));
    return false;
  }
  recovered(write_failing_);
  return true;
}

bool StatsFileSet::open_member(const std::string& suffix, int64_t pid) {
  const std::string path = spec_.base_path + suffix;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    failed(open_failing_,
           fmt::format("cannot open statistics file {}: {}", path, std::strerror(errno)));
    return false;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  suffix_ = suffix;
  current_path_ = path;
  recovered(open_failing_);
  if (spec_.type == stats::FilegenType::kNone) return true;  // the base name is the file
  clear_base_name(pid);
  if (spec_.link && link(path.c_str(), spec_.base_path.c_str()) != 0 && errno != EEXIST) {
    log_.warning(
        fmt::format("cannot link {} to {}: {}", spec_.base_path, path, std::strerror(errno)));
  }
  return true;
}

void StatsFileSet::clear_base_name(int64_t pid) {
  struct stat st {};
  if (lstat(spec_.base_path.c_str(), &st) != 0) return;  // nothing in the way
  if (!S_ISREG(st.st_mode)) {
    log_.debug(fmt::format("{} is not a regular file; left alone", spec_.base_path));
    return;
  }
  if (st.st_nlink > 1) {
    // A link to an older member: the member keeps its data.
    if (unlink(spec_.base_path.c_str()) != 0) {
      log_.debug(fmt::format("cannot unlink {}: {}", spec_.base_path, std::strerror(errno)));
    }
    return;
  }
  // A file of its own (e.g. written with `type none`): keep it.
  const std::string saved = fmt::format("{}.{}C{}", spec_.base_path, pid, conflicts_++);
  if (rename(spec_.base_path.c_str(), saved.c_str()) != 0) {
    log_.warning(fmt::format("cannot save {}: {}", spec_.base_path, std::strerror(errno)));
  } else {
    log_.notice(fmt::format("statistics: kept the old {} as {}", spec_.base_path, saved));
  }
}

void StatsFileSet::failed(bool& failing, const std::string& message) {
  if (failing) {
    log_.debug(message);
    return;
  }
  log_.warning(message);
  failing = true;
}

void StatsFileSet::recovered(bool& failing) {
  if (!failing) return;
  log_.notice(fmt::format("statistics: writing {} again", current_path_));
  failing = false;
}

}  // namespace meridian::daemon
