// `ntpd --check -c FILE`: parse, load the key file, lint; report everything.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/file_source.h"

namespace meridian::config {

struct CheckReport {
  Config config;                        // as parsed (empty when the file could not be read)
  std::vector<Diagnostic> diagnostics;  // parser diagnostics, then lint warnings
  // 1 when the file cannot be read or any diagnostic is an error or fatal;
  // 0 otherwise (lint findings are warnings and never fail the check).
  int exit_code = 0;
};

CheckReport check_config_file(const std::string& path, FileSource& files);

// Severity words for output: "warning", "error", "fatal".
const char* severity_name(Diagnostic::Severity severity);

}  // namespace meridian::config
