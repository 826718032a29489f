#include "core/control/local_clock_peer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace meridian::control {
namespace {

constexpr int kPollLog2 = 6;  // the classic LOCAL driver polls every 64 s
constexpr double kPoll_s = 64;

}  // namespace

engine::PeerView local_clock_peer(const LocalClockPeerInput& in) {
  engine::PeerView p;
  const int unit = std::clamp(in.unit, 0, 255);
  p.id = kLocalClockPeerIdBase + static_cast<size_t>(unit);
  p.options.endpoint = {net::IpAddress::v4({127, 127, 1, static_cast<uint8_t>(unit)}), 123};
  p.options.name = fmt::format("127.127.1.{}", unit);
  // Polled at start and every 64 s since: that many bits of reach, up to 8.
  const double running_s = std::max(0.0, in.now_s - in.started_s);
  const double polls = std::floor(running_s / kPoll_s) + 1;
  const int bits = static_cast<int>(std::min(polls, 8.0));
  p.state.reach = static_cast<uint8_t>((1u << bits) - 1);
  p.state.poll_log2 = kPollLog2;
  p.state.last_reply_s = in.started_s + (polls - 1) * kPoll_s;
  source::Sample s;
  s.stratum = static_cast<uint8_t>(std::clamp(in.stratum, 0, 15));
  s.reference_id = in.refid;
  s.precision = in.precision;
  s.poll = static_cast<int8_t>(kPollLog2);
  p.state.last_sample = s;
  p.state.filter = source::FilterOutput{.time_s = p.state.last_reply_s};
  p.tally = in.system_peer ? select::Tally::kSystemPeer : select::Tally::kReject;
  return p;
}

bool is_refclock_address(const net::IpAddress& a) {
  return a.family() == net::Family::kIPv4 && a.bytes()[0] == 127 && a.bytes()[1] == 127;
}

std::optional<std::string> refclock_name(const net::IpAddress& a) {
  if (!is_refclock_address(a)) return std::nullopt;
  const unsigned type = a.bytes()[2];
  const unsigned unit = a.bytes()[3];
  if (type == 1) return fmt::format("LOCAL({})", unit);
  return fmt::format("REFCLK({},{})", type, unit);
}

}  // namespace meridian::control
