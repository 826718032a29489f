// ntpstat: the classic three-line synchronisation report from one mode 6
// READVAR of association 0, with the classic exit status
//   0 synchronised, 1 unsynchronised, 2 the daemon cannot be reached.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace meridian::ntpstat {

struct Options {
  std::string host = "127.0.0.1";  // host[:port]
  uint16_t port = 123;
  double timeout_s = 2;
  bool json = false;
  bool show_help = false;
  bool show_version = false;
};
Result<Options> parse_options(const std::vector<std::string>& args);
std::string usage();

struct Report {
  int exit_status = 2;
  std::string text;  // stdout
};
// Pure: the report for a READVAR answer (system status word + variables).
Report make_report(uint16_t status, const std::vector<std::pair<std::string, std::string>>& vars,
                   bool json);

inline constexpr const char* kUnreachable = "Unable to talk to NTP daemon. Is it running?";

// Queries the daemon and prints; returns the exit status.
int run(const Options& options, std::FILE* out, std::FILE* err);

}  // namespace meridian::ntpstat
