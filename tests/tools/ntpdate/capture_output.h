// An ntpdate Output that records lines for assertions.
#pragma once

#include <string>
#include <vector>

#include "tools/ntpdate/output.h"

namespace meridian::ntpdate {

class CaptureOutput final : public Output {
 public:
  void info(std::string_view line) override { infos.emplace_back(line); }
  void error(std::string_view line) override { errors.emplace_back(line); }
  void plain(std::string_view line) override { plains.emplace_back(line); }
  bool has_error_containing(std::string_view needle) const {
    for (const auto& e : errors) {
      if (e.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> infos, errors, plains;
};

}  // namespace meridian::ntpdate
