#include "daemon/leap_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace meridian::daemon {

namespace {
constexpr std::streamsize kMaxLeapFileBytes = 1 << 20;  // the real file is ~5 kB
}

std::optional<leap::LeapTable> load_leap_file(const std::string& path, time::NtpTime now,
                                              Logger& log) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    log.error(fmt::format("leapfile {}: {}; leap seconds come from the servers only", path,
                          std::strerror(errno)));
    return std::nullopt;
  }
  std::string text;
  text.resize(static_cast<size_t>(kMaxLeapFileBytes) + 1);
  f.read(text.data(), kMaxLeapFileBytes + 1);
  text.resize(static_cast<size_t>(f.gcount()));
  if (text.size() > static_cast<size_t>(kMaxLeapFileBytes)) {
    log.error(fmt::format("leapfile {}: larger than {} bytes; not used", path, kMaxLeapFileBytes));
    return std::nullopt;
  }
  auto table = leap::parse_leap_seconds_list(text, path);
  if (!table) {
    log.error(fmt::format("{}; leapfile not used", table.error().message));
    return std::nullopt;
  }
  const int64_t now_s = now.seconds_since_1900();
  const auto last = table->last_leap();
  log.notice(fmt::format(
      "leapfile {}: {} leap seconds, last {}, TAI-UTC {} s, expires {}", path,
      table->entries.size() - 1,
      last ? time::NtpTime::from_parts(last->ntp_seconds, 0).to_iso8601().substr(0, 10) : "none",
      table->tai_offset_at(now_s),
      time::NtpTime::from_parts(table->expires_ntp_s, 0).to_iso8601().substr(0, 10)));
  if (auto w = leap::expiry_warning(*table, now_s))
    log.warning(fmt::format("leapfile {}: {}", path, *w));
  return std::move(*table);
}

}  // namespace meridian::daemon
