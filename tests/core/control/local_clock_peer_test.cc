// The local clock driver's pseudo-association: what classic ntpq shows for
// `server 127.127.1.0` + `fudge 127.127.1.0 stratum 10`.
#include "core/control/local_clock_peer.h"

#include <gtest/gtest.h>

#include "core/control/variables.h"
#include "core/wire/ntp_packet.h"

namespace meridian::control {
namespace {

LocalClockPeerInput input(double running_s, bool system_peer = true) {
  return {.unit = 0,
          .stratum = 10,
          .refid = wire::kiss_code("LOCL"),
          .precision = -20,
          .started_s = 1000,
          .now_s = 1000 + running_s,
          .system_peer = system_peer};
}

std::string value(const std::vector<Variable>& vars, const std::string& name) {
  for (const auto& v : vars) {
    if (v.name == name) return v.value;
  }
  return "<missing>";
}

TEST(LocalClockPeer, ReachFillsOneBitPerPollOf64Seconds) {
  EXPECT_EQ(local_clock_peer(input(0)).state.reach, 0x01);
  EXPECT_EQ(local_clock_peer(input(63.9)).state.reach, 0x01);
  EXPECT_EQ(local_clock_peer(input(64)).state.reach, 0x03);
  EXPECT_EQ(local_clock_peer(input(7 * 64 + 1)).state.reach, 0xff);
  EXPECT_EQ(local_clock_peer(input(100 * 64)).state.reach, 0xff);
  // "when": the last poll was at a multiple of 64 s after the start.
  EXPECT_DOUBLE_EQ(local_clock_peer(input(130)).state.last_reply_s, 1000 + 128);
  EXPECT_EQ(local_clock_peer(input(0)).state.poll_log2, 6);
}

TEST(LocalClockPeer, AddressStratumTallyAndAnIdAboveTheEngines) {
  const engine::PeerView p = local_clock_peer(input(10));
  EXPECT_EQ(p.options.endpoint.address.to_string(), "127.127.1.0");
  ASSERT_TRUE(p.state.last_sample.has_value());
  EXPECT_EQ(p.state.last_sample->stratum, 10);
  EXPECT_EQ(p.tally, select::Tally::kSystemPeer);
  EXPECT_EQ(local_clock_peer(input(10, false)).tally, select::Tally::kReject);
  EXPECT_GE(p.id, kLocalClockPeerIdBase);
  EXPECT_NE(association_id(p.id), 0);
}

TEST(LocalClockPeer, ModeSixShowsTheRefidAsTextAtAnyStratum) {
  ControlSnapshot s;
  s.local_clock = true;
  s.now_s = 1010;
  s.peers.push_back(local_clock_peer(input(10)));
  const auto vars = peer_variables(s, s.peers.front());
  EXPECT_EQ(value(vars, "srcadr"), "127.127.1.0");
  EXPECT_EQ(value(vars, "stratum"), "10");
  EXPECT_EQ(value(vars, "refid"), "LOCL");  // not 76.79.67.76
  EXPECT_EQ(value(vars, "reach"), "0x01");
  // The system variables name it as the system peer.
  EXPECT_EQ(value(system_variables(s), "peer"), std::to_string(association_id(s.peers[0].id)));
  s.local_clock = false;
  EXPECT_EQ(value(system_variables(s), "peer"), "0");
}

TEST(LocalClockPeer, RefclockNamesAsClassicNtpqShowsThem) {
  EXPECT_EQ(refclock_name(*net::IpAddress::parse("127.127.1.0")), "LOCAL(0)");
  EXPECT_EQ(refclock_name(*net::IpAddress::parse("127.127.1.1")), "LOCAL(1)");
  EXPECT_EQ(refclock_name(*net::IpAddress::parse("127.127.20.3")), "REFCLK(20,3)");
  EXPECT_FALSE(refclock_name(*net::IpAddress::parse("127.0.0.1")).has_value());
  EXPECT_FALSE(refclock_name(*net::IpAddress::parse("::1")).has_value());
  EXPECT_TRUE(is_refclock_address(*net::IpAddress::parse("127.127.1.0")));
  EXPECT_FALSE(is_refclock_address(*net::IpAddress::parse("192.0.2.1")));
}

}  // namespace
}  // namespace meridian::control
