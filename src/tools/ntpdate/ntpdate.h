// ntpdate as a library: resolve, query, choose, report, correct the clock.
// main() only parses argv and wires the real clock and console into run().
#pragma once

#include "core/config/file_source.h"
#include "core/random.h"
#include "platform/clock.h"
#include "tools/ntpdate/options.h"
#include "tools/ntpdate/output.h"

namespace meridian::ntpdate {

// Offsets at or beyond this are stepped, smaller ones slewed (classic ntpdate).
inline constexpr double kStepThreshold_s = 0.5;
// Classic ntpdate's default key file for -a.
inline constexpr const char* kDefaultKeyFile = "/etc/ntp.keys";

// Returns the process exit status: 0 when a server was chosen (and the clock
// corrected unless -q/-d), 1 otherwise.
// Key files (-k) are read through `files`.
int run(const Options& options, platform::Clock& clock, RandomSource& random, Output& out,
        config::FileSource& files);

}  // namespace meridian::ntpdate
