// ntpd as a library: options → config → clock → sockets → loop.
#pragma once

#include "daemon/options.h"

namespace meridian::daemon {

// Returns the process exit status.
int run_ntpd(const Options& options);

}  // namespace meridian::daemon
