// ntpd: the Meridian NTP daemon (classic ntp 4.2.x interface).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "daemon/ntpd.h"

int main(int argc, char** argv) {
  using namespace meridian;
  auto options = daemon::parse_options(std::vector<std::string>(argv, argv + argc));
  if (!options) {
    fmt::print(stderr, "ntpd: {}\n{}", options.error().message, daemon::usage());
    return 1;
  }
  return daemon::run_ntpd(*options);
}
