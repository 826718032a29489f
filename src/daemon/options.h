// ntpd's command line: the classic daemon options plus Meridian's long options.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::daemon {

struct Options {
  std::string config_file = "/etc/ntp.conf";  // -c
  bool config_given = false;                  // -c was on the command line
  bool foreground = false;                    // -n
  int debug = 0;                              // -d (repeatable): more log detail, implies -n
  std::optional<std::string> pidfile;         // -p
  std::optional<std::string> logfile;         // -l
  bool set_once_and_exit = false;             // -q
  bool allow_big_first_step = false;          // -g
  bool slew_only = false;                     // -x
  std::optional<net::Family> family;          // -4 / -6
  std::optional<std::string> user;            // -u USER[:GROUP]
  bool high_priority = false;                 // -N
  bool seccomp = true;                        // --no-seccomp turns the allow-list off
  uint16_t port = 123;                        // --port: listen port (and upstream default)
  std::optional<int> threads;                 // --threads N: fast-path workers (overrides ntp.conf)
  bool check_only = false;                    // --check: validate + lint the config, exit
  bool print_default_config = false;
  std::string clock = "system";  // --clock system|virtual|readonly
  double virtual_offset_s = 0;   // --clock-offset (alias --virtual-offset)
  double virtual_freq_ppm = 0;   // --clock-freq-ppm: the virtual clock's intrinsic error
  bool show_help = false;
  bool show_version = false;
};

Result<Options> parse_options(const std::vector<std::string>& args);
std::string usage();

}  // namespace meridian::daemon
