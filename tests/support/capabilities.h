// Guards for tests that exercise the system clock's refusal paths: they may
// only run where the kernel will refuse every clock write.
#pragma once

#include <optional>

namespace meridian::testing {

// Whether CAP_SYS_TIME is in this process's bounding set (from
// /proc/self/status CapBnd); nullopt if that cannot be read.
std::optional<bool> sys_time_in_bounding_set();

}  // namespace meridian::testing
