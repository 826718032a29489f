// The `leapfile` directive's file: read it (daemon side: file I/O) and
// hand the parsed, hash-checked table (core/leap/leap_table.h) to the
// engine. A file that cannot be read or fails its checks is logged and not
// used; leap seconds then come from the servers' majority alone.
#pragma once

#include <optional>
#include <string>

#include "core/leap/leap_table.h"
#include "core/time/ntp_timestamp.h"
#include "daemon/logger.h"

namespace meridian::daemon {

// Reads and checks `path`; logs what it loaded (or why not) and an expiry
// warning when the table expires within 28 days of `now` or has expired.
std::optional<leap::LeapTable> load_leap_file(const std::string& path, time::NtpTime now,
                                              Logger& log);

}  // namespace meridian::daemon
