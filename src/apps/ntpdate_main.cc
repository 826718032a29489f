// ntpdate: set the clock once from NTP servers (classic ntp 4.2.x interface).
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "platform/clock.h"
#include "platform/disk_file_source.h"
#include "platform/random_os.h"
#include "tools/ntpdate/ntpdate.h"

int main(int argc, char** argv) {
  using namespace meridian;
  const std::vector<std::string> args(argv, argv + argc);
  auto options = ntpdate::parse_options(args);
  if (!options) {
    fmt::print(stderr, "ntpdate: {}\n{}", options.error().message, ntpdate::usage());
    return 1;
  }
  if (options->show_help) {
    fmt::print("{}", ntpdate::usage());
    return 0;
  }
  if (options->show_version) {
    fmt::print("ntpdate (Meridian {})\n", MERIDIAN_VERSION);
    return 0;
  }
  platform::VirtualClockOptions virtual_options;
  virtual_options.initial_offset_s = options->virtual_offset_s;
  // -q and -d never change anything, so they need no write access at all.
  const std::string kind = (options->query_only || options->debug) && options->clock == "system"
                               ? "readonly"
                               : options->clock;
  auto clock = platform::make_clock(kind, virtual_options);
  if (!clock) {
    fmt::print(stderr, "ntpdate: {}\n", clock.error().message);
    return 1;
  }
  platform::OsRandom random;
  ntpdate::ConsoleOutput out(options->use_syslog);
  platform::DiskFileSource files;
  return ntpdate::run(*options, **clock, random, out, files);
}
