#include "platform/command_line.h"

#include <fmt/format.h>
#include <getopt.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace meridian::platform {

GetoptArgs::GetoptArgs(const std::vector<std::string>& args) : storage_(args) {
  for (auto& s : storage_) pointers_.push_back(s.data());
  pointers_.push_back(nullptr);
  optind = 0;  // full re-initialisation of getopt's state (glibc)
  opterr = 0;  // we report errors ourselves
}

Error GetoptArgs::unknown_option() const {
  const std::string opt =
      optopt > 0 && optopt < 256
          ? fmt::format("-{}", static_cast<char>(optopt))
          : (optind > 0 && optind <= argc() ? storage_[static_cast<size_t>(optind - 1)]
                                            : std::string("?"));
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("unknown option or missing argument: {}", opt));
}

Result<double> parse_number(const char* text, const char* option) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("option {}: '{}' is not a number", option, text));
  }
  return v;
}

Result<long> parse_integer(const char* text, const char* option, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("option {}: '{}' is not an integer in {}..{}", option, text, lo, hi));
  }
  return v;
}

}  // namespace meridian::platform
