// ntpdate's command line: the classic options plus Meridian's long options.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::ntpdate {

struct Options {
  bool query_only = false;              // -q: print, change nothing
  bool debug = false;                   // -d: per-packet trace, change nothing
  bool always_step = false;             // -b
  bool always_slew = false;             // -B
  bool use_syslog = false;              // -s
  bool verbose = false;                 // -v
  bool unprivileged_port = false;       // -u
  std::optional<net::Family> family;    // -4 / -6
  int samples = 4;                      // -p, 1..8
  double timeout_s = 1.0;               // -t, per request
  int version = 4;                      // -o, 1..4
  std::optional<unsigned> key_id;       // -a
  std::optional<std::string> key_file;  // -k
  std::optional<double> auth_delay_s;   // -e
  uint16_t port = 123;                  // --port: destination port
  std::string clock = "system";         // --clock system|virtual|readonly
  double virtual_offset_s = 0;          // --virtual-offset: start the virtual clock this far off
  double interval_s = 2.0;              // --interval: spacing of samples to one server
  bool show_help = false;
  bool show_version = false;
  std::vector<std::string> servers;
};

// argv[0] is skipped. Errors carry a one-line message for stderr.
Result<Options> parse_options(const std::vector<std::string>& args);

std::string usage();

}  // namespace meridian::ntpdate
