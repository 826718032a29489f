// Where ntpdate's lines go. Classic ntpdate writes informational lines to
// stdout and errors to stderr, each prefixed " 3 Feb 00:43:58 ntpdate[PID]: ",
// or everything to syslog with -s. The -q server lines have no prefix.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace meridian::ntpdate {

class Output {
 public:
  virtual ~Output() = default;
  virtual void info(std::string_view line) = 0;   // prefixed, stdout / syslog NOTICE
  virtual void error(std::string_view line) = 0;  // prefixed, stderr / syslog ERR
  virtual void plain(
      std::string_view line) = 0;  // unprefixed stdout (the -q server lines, -d trace)
};

// "%2d %s %02d:%02d:%02d ntpdate[PID]: " in local time, English month names.
std::string classic_prefix(std::time_t now, long pid);

// stdout/stderr, or syslog (facility user, ident "ntpdate") when use_syslog.
class ConsoleOutput final : public Output {
 public:
  explicit ConsoleOutput(bool use_syslog);
  ~ConsoleOutput() override;
  void info(std::string_view line) override;
  void error(std::string_view line) override;
  void plain(std::string_view line) override;

 private:
  bool syslog_;
};

}  // namespace meridian::ntpdate
