#include "tests/support/capabilities.h"

#include <cstdint>
#include <fstream>
#include <string>

namespace meridian::testing {

std::optional<bool> sys_time_in_bounding_set() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapBnd:", 0) == 0) {
      const uint64_t mask = std::stoull(line.substr(7), nullptr, 16);
      return ((mask >> 25) & 1u) != 0;  // CAP_SYS_TIME = 25
    }
  }
  return std::nullopt;
}

}  // namespace meridian::testing
