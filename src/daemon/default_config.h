// The built-in configuration used when there is no -c and no /etc/ntp.conf:
// restrictive like the classic guide's, useful out of the box.
#pragma once

#include <string_view>

namespace meridian::daemon {

inline constexpr std::string_view kDefaultConfig = R"(# Meridian ntpd built-in default configuration
# (used when no -c option is given and /etc/ntp.conf does not exist;
#  print it with: ntpd --print-default-config)

driftfile /var/lib/ntp/drift

# Serve time to everyone, but allow no configuration changes, no
# traps, no peering and no mode 6 queries; answer excess with a RATE
# kiss-o'-death instead of replies.
restrict default kod limited nomodify notrap nopeer noquery
restrict -6 default kod limited nomodify notrap nopeer noquery
# Servers found through the pool get the same, minus noquery/limited.
restrict source kod nomodify notrap noquery
# Local management (ntpq, ntpstat) works from the host itself.
restrict 127.0.0.1
restrict -6 ::1

pool 0.debian.pool.ntp.org iburst
pool 1.debian.pool.ntp.org iburst
pool 2.debian.pool.ntp.org iburst
pool 3.debian.pool.ntp.org iburst
)";

}  // namespace meridian::daemon
