// tos floor / ceiling / mindist in the selection (classic ntpd peer_unfit and
// root_distance): out-of-bounds strata are rejected, λ is at least mindist.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/select/selection.h"

namespace meridian::select {
namespace {

Candidate candidate(size_t id, double offset_s, double distance_s, int stratum) {
  Candidate c;
  c.id = id;
  c.offset_s = offset_s;
  c.root_distance_s = distance_s;
  c.jitter_s = 0.0001;
  c.stratum = stratum;
  return c;
}

std::string tallies(const Selection& s) {
  std::string out;
  for (Tally t : s.tally) out += static_cast<char>(t);
  return out;
}

TEST(SelectTosBoundsTest, FloorRejectsLowerStrata) {
  // The stratum-1 source would win on stratum; floor 2 makes it unselectable.
  const std::vector<Candidate> cs = {candidate(0, 0.0010, 0.01, 1), candidate(1, 0.0011, 0.02, 3)};
  EXPECT_EQ(select_sources(cs, {}).system_peer, 0u);
  SelectOptions floor2;
  floor2.floor = 2;
  const Selection s = select_sources(cs, floor2);
  EXPECT_EQ(s.system_peer, 1u);
  EXPECT_EQ(tallies(s), " *");
}

TEST(SelectTosBoundsTest, CeilingRejectsThatStratumAndAbove) {
  const std::vector<Candidate> cs = {candidate(0, 0.001, 0.01, 4), candidate(1, 0.001, 0.01, 5)};
  SelectOptions ceiling5;
  ceiling5.ceiling = 5;
  const Selection s = select_sources(cs, ceiling5);
  EXPECT_EQ(s.system_peer, 0u);
  EXPECT_EQ(tallies(s), "* ");
  ceiling5.ceiling = 4;
  EXPECT_FALSE(select_sources(cs, ceiling5).synchronised());
}

TEST(SelectTosBoundsTest, MindistWidensNarrowIntervalsSoTheyIntersect) {
  // Two quiet sources 4 ms apart with λ = 1 ms: their intervals do not
  // overlap, so there is no majority. With mindist 5 ms they agree.
  const std::vector<Candidate> cs = {candidate(0, 0.000, 0.001, 2), candidate(1, 0.004, 0.001, 2)};
  EXPECT_FALSE(select_sources(cs, {}).synchronised());
  SelectOptions mindist;
  mindist.mindist_s = 0.005;
  const Selection s = select_sources(cs, mindist);
  EXPECT_TRUE(s.synchronised());
  EXPECT_EQ(s.survivors, 2u);
}

TEST(SelectTosBoundsTest, DefaultsChangeNothing) {
  const std::vector<Candidate> cs = {candidate(0, 0.001, 0.01, 0), candidate(1, 0.001, 0.01, 15)};
  const Selection s = select_sources(cs, {});
  EXPECT_EQ(tallies(s).find(' '), std::string::npos) << tallies(s);
}

}  // namespace
}  // namespace meridian::select
