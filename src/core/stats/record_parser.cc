#include "core/stats/record_parser.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

namespace meridian::stats {

namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

Error bad_field(std::string_view what, std::string_view text) {
  return make_error(ErrorCode::kMalformed, fmt::format("bad {} '{}'", what, text));
}

template <typename T>
bool parse_integer(std::string_view text, T& out, int base = 10) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out, base);
  return ec == std::errc() && p == end;
}

bool parse_real(std::string_view text, double& out) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out, std::chars_format::fixed);
  return ec == std::errc() && p == end && std::isfinite(out);
}

// Checks the field count and reads the stamp (fields 0 and 1).
Result<Stamp> parse_prefix(const std::vector<std::string_view>& f, size_t expected,
                           std::string_view kind) {
  if (f.size() != expected) {
    return make_error(ErrorCode::kMalformed,
                      fmt::format("{} line has {} fields, expected {}", kind, f.size(), expected));
  }
  Stamp s;
  if (!parse_integer(f[0], s.mjd) || s.mjd < 0) return bad_field("MJD", f[0]);
  if (!parse_real(f[1], s.seconds) || s.seconds < 0 || s.seconds >= 86400)
    return bad_field("seconds past midnight", f[1]);
  return s;
}

}  // namespace

Result<StatsLine<LoopRecord>> parse_loopstats(std::string_view line) {
  const auto f = split_fields(line);
  auto stamp = parse_prefix(f, 7, "loopstats");
  if (!stamp) return stamp.error();
  StatsLine<LoopRecord> out{*stamp, {}};
  LoopRecord& r = out.record;
  if (!parse_real(f[2], r.offset_s)) return bad_field("offset", f[2]);
  if (!parse_real(f[3], r.frequency_ppm)) return bad_field("frequency", f[3]);
  if (!parse_real(f[4], r.jitter_s) || r.jitter_s < 0) return bad_field("jitter", f[4]);
  if (!parse_real(f[5], r.wander_ppm) || r.wander_ppm < 0) return bad_field("wander", f[5]);
  if (!parse_integer(f[6], r.poll_log2) || r.poll_log2 < -32 || r.poll_log2 > 32)
    return bad_field("poll", f[6]);
  return out;
}

Result<StatsLine<PeerRecord>> parse_peerstats(std::string_view line) {
  const auto f = split_fields(line);
  auto stamp = parse_prefix(f, 8, "peerstats");
  if (!stamp) return stamp.error();
  StatsLine<PeerRecord> out{*stamp, {}};
  PeerRecord& r = out.record;
  const auto address = net::IpAddress::parse(f[2]);
  if (!address) return bad_field("address", f[2]);
  r.address = *address;
  if (f[3].size() > 4 || !parse_integer(f[3], r.status, 16)) return bad_field("status", f[3]);
  if (!parse_real(f[4], r.offset_s)) return bad_field("offset", f[4]);
  if (!parse_real(f[5], r.delay_s)) return bad_field("delay", f[5]);
  if (!parse_real(f[6], r.dispersion_s) || r.dispersion_s < 0) return bad_field("dispersion", f[6]);
  if (!parse_real(f[7], r.jitter_s) || r.jitter_s < 0) return bad_field("jitter", f[7]);
  return out;
}

Result<StatsLine<SysRecord>> parse_sysstats(std::string_view line) {
  const auto f = split_fields(line);
  auto stamp = parse_prefix(f, 13, "sysstats");
  if (!stamp) return stamp.error();
  StatsLine<SysRecord> out{*stamp, {}};
  SysRecord& r = out.record;
  uint64_t* const counters[] = {&r.since_reset_s, &r.received,   &r.processed,  &r.current_version,
                                &r.old_version,   &r.restricted, &r.bad_format, &r.bad_auth,
                                &r.declined,      &r.limited,    &r.kod_sent};
  constexpr std::string_view kNames[] = {"time since reset",
                                         "packets received",
                                         "packets processed",
                                         "current version",
                                         "old version",
                                         "access denied",
                                         "bad length or format",
                                         "bad authentication",
                                         "declined",
                                         "rate limited",
                                         "KoD sent"};
  for (size_t i = 0; i < std::size(counters); ++i) {
    if (!parse_integer(f[i + 2], *counters[i])) return bad_field(kNames[i], f[i + 2]);
  }
  return out;
}

}  // namespace meridian::stats
