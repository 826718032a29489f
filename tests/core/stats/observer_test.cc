// The statistics observer: which engine view changes produce peerstats and
// loopstats records, and the sysstats differences.
#include "core/stats/observer.h"

#include <gtest/gtest.h>

namespace meridian::stats {
namespace {

engine::PeerView peer(size_t id, uint8_t last_octet, std::optional<double> sample_time_s) {
  engine::PeerView p;
  p.id = id;
  p.options.endpoint = {net::IpAddress::v4({192, 0, 2, last_octet}), 123};
  p.state.reach = 0x7;
  p.tally = select::Tally::kCandidate;
  if (sample_time_s) {
    p.state.filter = source::FilterOutput{.offset_s = 0.001 * last_octet,
                                          .delay_s = 0.02,
                                          .dispersion_s = 0.003,
                                          .jitter_s = 0.0004,
                                          .time_s = *sample_time_s};
  }
  return p;
}

engine::SystemView system_following(std::optional<size_t> peer_id) {
  engine::SystemView s;
  s.system_peer = peer_id;
  s.offset_s = -0.0025;
  s.discipline.frequency_ppm = 12.5;
  s.discipline.clock_jitter_s = 0.0001;
  s.discipline.clock_wander_ppm = 0.02;
  s.discipline.poll_log2 = 7;
  return s;
}

TEST(StatsObserverTest, OnePeerLinePerNewFilterSample) {
  StatsObserver obs;
  std::vector<engine::PeerView> peers = {peer(0, 1, std::nullopt), peer(1, 2, 10.0)};
  auto r = obs.observe(system_following(std::nullopt), peers);
  ASSERT_EQ(r.peers.size(), 1u);  // peer 0 has no sample yet
  EXPECT_EQ(r.peers[0].address, net::IpAddress::v4({192, 0, 2, 2}));
  EXPECT_DOUBLE_EQ(r.peers[0].offset_s, 0.002);
  EXPECT_DOUBLE_EQ(r.peers[0].delay_s, 0.02);
  EXPECT_DOUBLE_EQ(r.peers[0].dispersion_s, 0.003);
  EXPECT_DOUBLE_EQ(r.peers[0].jitter_s, 0.0004);
  EXPECT_FALSE(r.loop.has_value());  // no system peer: no discipline update
  // Unchanged views (timer events, ticks): nothing new.
  EXPECT_TRUE(obs.observe(system_following(std::nullopt), peers).peers.empty());
  // Peer 0 gets its first sample, peer 1 a newer one.
  peers = {peer(0, 1, 11.0), peer(1, 2, 12.0)};
  r = obs.observe(system_following(std::nullopt), peers);
  ASSERT_EQ(r.peers.size(), 2u);
  EXPECT_EQ(r.peers[0].address, net::IpAddress::v4({192, 0, 2, 1}));
  EXPECT_EQ(r.peers[1].address, net::IpAddress::v4({192, 0, 2, 2}));
}

TEST(StatsObserverTest, OffsetsAreRecordedAsMeasuredBeforeAStep) {
  // The engine stepped the clock back 0.25 s after this sample and shifted
  // the stored offset by it (θ − (−0.25)); the record shows θ as measured.
  StatsObserver obs;
  const std::vector<engine::PeerView> peers = {peer(0, 1, 5.0)};
  auto r = obs.observe(system_following(0), peers, -0.25);
  ASSERT_EQ(r.peers.size(), 1u);
  EXPECT_DOUBLE_EQ(r.peers[0].offset_s, 0.001 - 0.25);
  ASSERT_TRUE(r.loop.has_value());
  EXPECT_DOUBLE_EQ(r.loop->offset_s, -0.0025);  // the residual, as the engine reports it
}

TEST(StatsObserverTest, StatusWordIsTheModeSixOne) {
  StatsObserver obs;
  const std::vector<engine::PeerView> peers = {peer(0, 1, 5.0)};
  const engine::SystemView sys = system_following(0);
  auto r = obs.observe(sys, peers);
  ASSERT_EQ(r.peers.size(), 1u);
  control::ControlSnapshot snap;
  snap.system = sys;
  EXPECT_EQ(r.peers[0].status, control::peer_status(snap, peers[0]));
  // Configured, reachable, system peer (event 10) in the classic layout.
  EXPECT_EQ(r.peers[0].status >> 15, 1);
  EXPECT_EQ(r.peers[0].status & 0xf, 10);
}

TEST(StatsObserverTest, LoopLineWhenTheSystemPeerHasANewerSample) {
  StatsObserver obs;
  std::vector<engine::PeerView> peers = {peer(0, 1, 5.0), peer(1, 2, 6.0)};
  auto r = obs.observe(system_following(1), peers);
  ASSERT_TRUE(r.loop.has_value());
  EXPECT_DOUBLE_EQ(r.loop->offset_s, -0.0025);
  EXPECT_DOUBLE_EQ(r.loop->frequency_ppm, 12.5);
  EXPECT_DOUBLE_EQ(r.loop->jitter_s, 0.0001);
  EXPECT_DOUBLE_EQ(r.loop->wander_ppm, 0.02);
  EXPECT_EQ(r.loop->poll_log2, 7);
  // A new sample from a peer that is not the system peer: peerstats only.
  peers[0] = peer(0, 1, 7.0);
  r = obs.observe(system_following(1), peers);
  EXPECT_EQ(r.peers.size(), 1u);
  EXPECT_FALSE(r.loop.has_value());
  // The system peer changes to peer 0, whose sample (7.0) is newer than the
  // last one fed to the discipline (6.0): an update.
  r = obs.observe(system_following(0), peers);
  EXPECT_TRUE(r.loop.has_value());
  // Back to peer 1, whose sample (6.0) is older: the engine does not feed it.
  r = obs.observe(system_following(1), peers);
  EXPECT_FALSE(r.loop.has_value());
  peers[1] = peer(1, 2, 9.0);
  r = obs.observe(system_following(1), peers);
  EXPECT_TRUE(r.loop.has_value());
}

TEST(SysstatsCounterTest, LinesCarryTheDifferencesSinceThePreviousLine) {
  control::ServerStatistics totals;
  totals.uptime_s = 3600.7;
  totals.received = 100;
  totals.processed = 90;
  totals.current_version = 80;
  totals.old_version = 20;
  totals.restricted = 3;
  totals.bad_format = 2;
  totals.bad_auth = 1;
  totals.declined = 4;
  totals.limited = 5;
  totals.kod_sent = 6;
  SysstatsCounter counter;
  SysRecord r = counter.take(totals);
  EXPECT_EQ(r.since_reset_s, 3600u);
  EXPECT_EQ(r.received, 100u);
  EXPECT_EQ(r.kod_sent, 6u);
  totals.uptime_s = 7201.2;
  totals.received = 150;
  totals.processed = 130;
  totals.kod_sent = 6;
  r = counter.take(totals);
  EXPECT_EQ(r.since_reset_s, 3601u);
  EXPECT_EQ(r.received, 50u);
  EXPECT_EQ(r.processed, 40u);
  EXPECT_EQ(r.current_version, 0u);
  EXPECT_EQ(r.kod_sent, 0u);
}

}  // namespace
}  // namespace meridian::stats
