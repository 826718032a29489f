// ntpd's log: one concise line per event, to stderr (foreground), a
// `logfile`, or syslog (facility daemon). Lines in files and on stderr carry
// the classic prefix "26 Nov 10:12:05 ntpd[PID]: ".
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace meridian::daemon {

enum class LogLevel { kError, kWarning, kNotice, kInfo, kDebug };

class Logger {
 public:
  // Logs to `path` if given (falling back to stderr if it cannot be
  // opened), else to stderr when `to_stderr`, else to syslog.
  Logger(const std::string& path, bool to_stderr, int debug_level);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void log(LogLevel level, std::string_view message);
  void error(std::string_view m) { log(LogLevel::kError, m); }
  void warning(std::string_view m) { log(LogLevel::kWarning, m); }
  void notice(std::string_view m) { log(LogLevel::kNotice, m); }
  void info(std::string_view m) { log(LogLevel::kInfo, m); }
  void debug(std::string_view m) { log(LogLevel::kDebug, m); }

  // Where lines go, for writers that cannot use this class (the seccomp
  // SIGSYS handler): syslog, or the descriptor of the file/stderr.
  bool to_syslog() const { return syslog_; }
  int fd() const { return file_ != nullptr ? fileno(file_) : -1; }

 private:
  std::FILE* file_ = nullptr;
  bool own_file_ = false;
  bool syslog_ = false;
  int debug_level_ = 0;
};

}  // namespace meridian::daemon
