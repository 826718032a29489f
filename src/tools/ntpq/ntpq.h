// ntpq as a library: options, the commands (peers, associations, readvar,
// mrulist, sysinfo, …) over a mode 6 Session, and the interactive prompt.
// main() only parses argv and calls run().
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::ntpq {

struct Options {
  std::vector<std::string> commands;  // -c CMD, -p → "peers"
  std::vector<std::string> hosts;     // host[:port]; default localhost
  std::optional<net::Family> family;  // -4 / -6
  uint16_t port = 123;
  bool numeric = false;      // -n
  bool interactive = false;  // -i, or no command given
  bool json = false;         // --json
  bool debug = false;        // -d
  double timeout_s = 3;
  bool show_help = false;
  bool show_version = false;
};
Result<Options> parse_options(const std::vector<std::string>& args);
std::string usage();

// Runs the commands against each host (or the prompt, reading `in`).
// Returns 0 when every command succeeded, 1 otherwise.
int run(const Options& options, std::FILE* in, std::FILE* out, std::FILE* err);

}  // namespace meridian::ntpq
