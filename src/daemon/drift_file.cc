#include "daemon/drift_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace meridian::daemon {

std::optional<double> parse_drift(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(v) || std::fabs(v) > 500) return std::nullopt;
  for (const char* p = end; *p != '\0'; ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return std::nullopt;
  }
  return v;
}

Result<std::optional<double>> read_drift_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    if (errno == ENOENT) return std::optional<double>();
    return make_error(ErrorCode::kIo, fmt::format("{}: {}", path, std::strerror(errno)));
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto v = parse_drift(ss.str());
  if (!v)
    return make_error(ErrorCode::kMalformed,
                      fmt::format("{}: not a frequency in ppm; ignored", path));
  return std::optional<double>(*v);
}

namespace {

// After ntpd -u, a directory the user cannot write (e.g. a root-owned
// /var/lib/ntp): the file itself was handed over to the user at start-up,
// so it is rewritten in place (not atomic, but a torn file is only ignored
// with a warning at the next start).
Status rewrite_in_place(const std::string& path, double frequency_ppm) {
  std::FILE* f = std::fopen(path.c_str(), "w");  // truncates: needs no directory write
  if (f == nullptr)
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  fmt::print(f, "{:.3f}\n", frequency_ppm);
  const bool ok = std::fflush(f) == 0;
  const int err = errno;
  std::fclose(f);
  if (!ok)
    return make_error(ErrorCode::kIo, fmt::format("cannot write {}: {}", path, std::strerror(err)));
  return {};
}

}  // namespace

bool drift_changed(std::optional<double> written_ppm, double frequency_ppm) {
  return !written_ppm || std::fabs(frequency_ppm - *written_ppm) >= 0.0005;
}

Status write_drift_file(const std::string& path, double frequency_ppm) {
  const std::string temp = path + ".TEMP";
  std::FILE* f = std::fopen(temp.c_str(), "w");
  if (f == nullptr && errno == EACCES) return rewrite_in_place(path, frequency_ppm);
  if (f == nullptr)
    return make_error(ErrorCode::kIo, fmt::format("{}: {}", temp, std::strerror(errno)));
  fmt::print(f, "{:.3f}\n", frequency_ppm);
  const bool ok = std::fflush(f) == 0;
  std::fclose(f);
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return {};
}

}  // namespace meridian::daemon
