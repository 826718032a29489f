// The ntp.conf parser: the classic ntp 4.2.x language, NTPsec's dialect and
// Meridian's documented extensions → a typed Config (config.h). The language
// and the error policy are documented in docs/ntp.conf.md.
//
// Error policy: every problem becomes a Diagnostic "FILE:LINE: message" in
// Config::diagnostics. A restrict/unrestrict, keys, trustedkey or
// interface/nic line that cannot be parsed, and any error in the key file, is
// kFatal (the daemon must not start with weaker access control than the
// operator wrote). Every other bad line or option is a kError and is skipped,
// so a config the classic daemon ran still runs. Known-obsolete directives
// are kWarnings ("accepted and ignored").
#pragma once

#include <string>
#include <string_view>

#include "core/config/config.h"
#include "core/config/file_source.h"
#include "core/result.h"

namespace meridian::config {

// Deepest includefile nesting below the top-level file.
inline constexpr int kMaxIncludeDepth = 10;
// Most files read by includefile in one parse: a bound on the work a
// pathological include graph (many includes of the same files) can cause.
inline constexpr int kMaxIncludedFiles = 1000;

// Reads `path` through `files` and parses it. Returns an Error only when the
// file itself cannot be read; everything else is in Config::diagnostics.
// includefile paths are resolved against the including file's directory and
// read through `files`, as is the `keys` file (path used as written).
Result<Config> parse_config_file(const std::string& path, FileSource& files);

// Parses `text` as the content of `filename` (used in diagnostics and to
// resolve relative includefile paths).
Config parse_config_text(std::string_view text, const std::string& filename, FileSource& files);

}  // namespace meridian::config
