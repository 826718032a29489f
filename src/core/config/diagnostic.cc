// Diagnostic::to_string and Config::has_fatal (declared in config.h).
#include <fmt/format.h>

#include <algorithm>

#include "core/config/config.h"

namespace meridian::config {

std::string Diagnostic::to_string() const {
  if (where.file.empty()) return message;
  if (where.line <= 0) return fmt::format("{}: {}", where.file, message);
  return fmt::format("{}:{}: {}", where.file, where.line, message);
}

bool Config::has_fatal() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kFatal;
  });
}

}  // namespace meridian::config
