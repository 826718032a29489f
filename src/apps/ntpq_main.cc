// ntpq: query ntpd over NTP mode 6 (classic ntp 4.2.x interface, plus --json).
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tools/ntpq/ntpq.h"

int main(int argc, char** argv) {
  using namespace meridian;
  const std::vector<std::string> args(argv, argv + argc);
  auto options = ntpq::parse_options(args);
  if (!options) {
    fmt::print(stderr, "ntpq: {}\n{}", options.error().message, ntpq::usage());
    return 1;
  }
  if (options->show_help) {
    fmt::print("{}", ntpq::usage());
    return 0;
  }
  if (options->show_version) {
    fmt::print("ntpq (Meridian {})\n", MERIDIAN_VERSION);
    return 0;
  }
  return ntpq::run(*options, stdin, stdout, stderr);
}
