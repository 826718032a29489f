// ntpstat: is ntpd synchronised? (classic output and exit status 0/1/2).
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tools/ntpstat/ntpstat.h"

int main(int argc, char** argv) {
  using namespace meridian;
  const std::vector<std::string> args(argv, argv + argc);
  auto options = ntpstat::parse_options(args);
  if (!options) {
    fmt::print(stderr, "ntpstat: {}\n{}", options.error().message, ntpstat::usage());
    return 2;
  }
  if (options->show_help) {
    fmt::print("{}", ntpstat::usage());
    return 0;
  }
  if (options->show_version) {
    fmt::print("ntpstat (Meridian {})\n", MERIDIAN_VERSION);
    return 0;
  }
  return ntpstat::run(*options, stdout, stderr);
}
