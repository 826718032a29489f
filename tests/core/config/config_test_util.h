// Helpers for the ntp.conf parser tests: parse text as /etc/ntp.conf and
// look at diagnostics as the "FILE:LINE: message" strings operators see.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/config/file_source.h"
#include "core/config/parser.h"

namespace meridian::config::testing {

inline constexpr const char* kConfPath = "/etc/ntp.conf";

inline Config parse(std::string_view text, MemoryFileSource& files) {
  return parse_config_text(text, kConfPath, files);
}

inline Config parse(std::string_view text) {
  MemoryFileSource files;
  return parse(text, files);
}

inline std::vector<std::string> messages(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) out.push_back(d.to_string());
  return out;
}

inline std::vector<std::string> messages(const Config& c) { return messages(c.diagnostics); }

inline std::vector<std::string> messages_of(const std::vector<Diagnostic>& diagnostics,
                                            Diagnostic::Severity severity) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == severity) out.push_back(d.to_string());
  }
  return out;
}

inline std::vector<std::string> warnings(const Config& c) {
  return messages_of(c.diagnostics, Diagnostic::Severity::kWarning);
}
inline std::vector<std::string> errors(const Config& c) {
  return messages_of(c.diagnostics, Diagnostic::Severity::kError);
}
inline std::vector<std::string> fatals(const Config& c) {
  return messages_of(c.diagnostics, Diagnostic::Severity::kFatal);
}

inline net::IpAddress ip(std::string_view text) { return *net::IpAddress::parse(text); }

}  // namespace meridian::config::testing
