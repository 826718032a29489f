#include "daemon/logger.h"

#include <fmt/format.h>
#include <syslog.h>
#include <unistd.h>

#include <ctime>

namespace meridian::daemon {

namespace {

std::string prefix() {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  return fmt::format("{:2d} {} {:02d}:{:02d}:{:02d} ntpd[{}]: ", tm.tm_mday,
                     kMonths[tm.tm_mon % 12], tm.tm_hour, tm.tm_min, tm.tm_sec,
                     static_cast<long>(getpid()));
}

int syslog_priority(LogLevel l) {
  switch (l) {
    case LogLevel::kError:
      return LOG_ERR;
    case LogLevel::kWarning:
      return LOG_WARNING;
    case LogLevel::kNotice:
      return LOG_NOTICE;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kDebug:
      return LOG_DEBUG;
  }
  return LOG_INFO;
}

}  // namespace

Logger::Logger(const std::string& path, bool to_stderr, int debug_level)
    : debug_level_(debug_level) {
  if (!path.empty()) {
    file_ = std::fopen(path.c_str(), "a");
    if (file_ != nullptr) {
      own_file_ = true;
      return;
    }
    fmt::print(stderr, "{}cannot open logfile {}; logging to stderr\n", prefix(), path);
  }
  if (to_stderr || !path.empty()) {
    file_ = stderr;
    return;
  }
  syslog_ = true;
  openlog("ntpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

Logger::~Logger() {
  if (own_file_) std::fclose(file_);
  if (syslog_) closelog();
}

void Logger::log(LogLevel level, std::string_view message) {
  if (level == LogLevel::kDebug && debug_level_ == 0) return;
  if (syslog_) {
    syslog(syslog_priority(level), "%.*s", static_cast<int>(message.size()), message.data());
    return;
  }
  fmt::print(file_, "{}{}\n", prefix(), message);
  std::fflush(file_);
}

}  // namespace meridian::daemon
