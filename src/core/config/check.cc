#include "core/config/check.h"

#include <fmt/format.h>

#include "core/config/lint.h"
#include "core/config/parser.h"

namespace meridian::config {

CheckReport check_config_file(const std::string& path, FileSource& files) {
  CheckReport report;
  auto parsed = parse_config_file(path, files);
  if (!parsed.ok()) {
    report.diagnostics.push_back(
        Diagnostic{Diagnostic::Severity::kFatal,
                   {path, 0},
                   fmt::format("cannot read: {}", parsed.error().message)});
    report.exit_code = 1;
    return report;
  }
  report.config = std::move(*parsed);
  report.diagnostics = report.config.diagnostics;
  for (Diagnostic& d : lint_config(report.config)) report.diagnostics.push_back(std::move(d));
  for (const Diagnostic& d : report.diagnostics) {
    if (d.severity != Diagnostic::Severity::kWarning) report.exit_code = 1;
  }
  return report;
}

const char* severity_name(Diagnostic::Severity severity) {
  switch (severity) {
    case Diagnostic::Severity::kWarning:
      return "warning";
    case Diagnostic::Severity::kError:
      return "error";
    case Diagnostic::Severity::kFatal:
      return "fatal";
  }
  return "error";
}

}  // namespace meridian::config
