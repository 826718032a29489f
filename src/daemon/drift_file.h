// The driftfile: the clock's frequency correction in ppm, one number, kept
// across restarts so the discipline starts close to the right frequency.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace meridian::daemon {

// Missing file → nullopt (first start); unreadable or garbage → an Error
// the caller logs as a warning and ignores.
Result<std::optional<double>> read_drift_file(const std::string& path);
// Atomic: written to PATH.TEMP then renamed over PATH.
Status write_drift_file(const std::string& path, double frequency_ppm);
// Whether the hourly save should rewrite the file: only when the frequency
// moved by at least the file's resolution (0.001 ppm) since it was last
// written or read (`written`; nullopt: nothing on file yet).
bool drift_changed(std::optional<double> written_ppm, double frequency_ppm);
// Pure parser, shared by read_drift_file and tests: one number in
// [-500, 500], surrounding whitespace allowed.
std::optional<double> parse_drift(const std::string& text);

}  // namespace meridian::daemon
