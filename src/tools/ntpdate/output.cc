#include "tools/ntpdate/output.h"

#include <fmt/format.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>

namespace meridian::ntpdate {

std::string classic_prefix(std::time_t now, long pid) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  localtime_r(&now, &tm);
  return fmt::format("{:2d} {} {:02d}:{:02d}:{:02d} ntpdate[{}]: ", tm.tm_mday,
                     kMonths[tm.tm_mon % 12], tm.tm_hour, tm.tm_min, tm.tm_sec, pid);
}

ConsoleOutput::ConsoleOutput(bool use_syslog) : syslog_(use_syslog) {
  if (syslog_) openlog("ntpdate", LOG_PID, LOG_USER);
}

ConsoleOutput::~ConsoleOutput() {
  if (syslog_) closelog();
}

void ConsoleOutput::info(std::string_view line) {
  if (syslog_) {
    syslog(LOG_NOTICE, "%.*s", static_cast<int>(line.size()), line.data());
    return;
  }
  fmt::print(stdout, "{}{}\n", classic_prefix(std::time(nullptr), static_cast<long>(getpid())),
             line);
  std::fflush(stdout);
}

void ConsoleOutput::error(std::string_view line) {
  if (syslog_) {
    syslog(LOG_ERR, "%.*s", static_cast<int>(line.size()), line.data());
    return;
  }
  std::fflush(stdout);
  fmt::print(stderr, "{}{}\n", classic_prefix(std::time(nullptr), static_cast<long>(getpid())),
             line);
}

void ConsoleOutput::plain(std::string_view line) {
  if (syslog_) {
    syslog(LOG_INFO, "%.*s", static_cast<int>(line.size()), line.data());
    return;
  }
  fmt::print(stdout, "{}\n", line);
  std::fflush(stdout);
}

}  // namespace meridian::ntpdate
