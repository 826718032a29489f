// System selection, RFC 5905 §11.2: sanity checks, intersection (§11.2.1),
// clustering (§11.2.2), system peer and combining (§11.2.3), ntpq tallies.
#include "core/select/selection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace meridian::select {
namespace {

// A candidate with ψ = 1 ms and stratum 2 unless told otherwise; id = its position.
struct C {
  double offset_s = 0;
  double distance_s = 0.01;
  double jitter_s = 0.001;
  int stratum = 2;
  bool prefer = false;
  bool noselect = false;
  bool true_ticker = false;
  bool reachable = true;
};

std::vector<Candidate> make(const std::vector<C>& cs) {
  std::vector<Candidate> out;
  for (size_t i = 0; i < cs.size(); ++i) {
    Candidate c;
    c.id = i;
    c.offset_s = cs[i].offset_s;
    c.root_distance_s = cs[i].distance_s;
    c.jitter_s = cs[i].jitter_s;
    c.stratum = cs[i].stratum;
    c.prefer = cs[i].prefer;
    c.noselect = cs[i].noselect;
    c.true_ticker = cs[i].true_ticker;
    c.reachable = cs[i].reachable;
    out.push_back(c);
  }
  return out;
}

// The ntpq -p tally column, one character per candidate in input order.
std::string tallies(const Selection& s) {
  std::string out;
  for (Tally t : s.tally) out += static_cast<char>(t);
  return out;
}

struct Case {
  const char* name;
  std::vector<C> candidates;
  std::string tally;           // expected, in input order
  std::optional<size_t> peer;  // expected system peer id
  SelectOptions options = {};
  std::optional<size_t> previous = std::nullopt;
};

// Failures name the case instead of dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class SelectionTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(SelectionTableTest, TallyAndSystemPeer) {
  const Case& c = GetParam();
  const auto candidates = make(c.candidates);
  const Selection s = select_sources(candidates, c.options, c.previous);
  EXPECT_EQ(tallies(s), c.tally);
  EXPECT_EQ(s.system_peer, c.peer);
  EXPECT_EQ(s.synchronised(), c.peer.has_value());
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const Case kCases[] = {
    {"Empty", {}, "", std::nullopt},
    {"OneServer", {{.offset_s = 0.003}}, "*", 0},
    {"ThreeAgreeingSmallestDistanceWins",
     {{.offset_s = 0.001, .distance_s = 0.02},
      {.offset_s = 0.002, .distance_s = 0.01},
      {.offset_s = 0.0015, .distance_s = 0.025}},
     "+*+",
     1},
    {"LowerStratumBeatsSmallerDistance",
     {{.offset_s = 0.001, .distance_s = 0.005, .stratum = 3},
      {.offset_s = 0.002, .distance_s = 0.012, .stratum = 2}},
     "+*",
     1},
    // §11.2.1: the 0.5 s source is outvoted even though it looks best.
    {"HalfSecondFalsetickerNeverSelected",
     {{.offset_s = 0.0, .distance_s = 0.02},
      {.offset_s = 0.001, .distance_s = 0.02},
      {.offset_s = 0.5, .distance_s = 0.005, .stratum = 1}},
     "*+x",
     0},
    {"TwoDisagreeingPairsNoMajority",
     {{.offset_s = 0.0}, {.offset_s = 0.001}, {.offset_s = 1.0}, {.offset_s = 1.001}},
     "xxxx",
     std::nullopt},
    {"TwoDisagreeingServersNoMajority", {{.offset_s = 0.0}, {.offset_s = 0.3}}, "xx", std::nullopt},
    {"TwoAgreeingServers", {{.offset_s = 0.0}, {.offset_s = 0.005}}, "*+", 0},
    // Majority formed by different subsets at l and at u: each interval
    // overlaps [l, u] without containing it; nobody is a falseticker.
    {"OverlapNotContainmentMakesTruechimer",
     {{.offset_s = 1.0, .distance_s = 1.0},
      {.offset_s = 2.0, .distance_s = 1.0},
      {.offset_s = 3.25, .distance_s = 0.75}},
     "++*",
     2,
     {.maxdist_s = 5}},
    // The intervals overlap in [0.09, 0.1] though neither midpoint lies
    // there: a clique all the same (RFC 5905's midpoint rule is dropped, as
    // in ntpd since 4.2.6; it unsynchronised a client whose servers'
    // samples were taken a few polls apart while its clock drifted).
    {"MidpointsOutsideIntersectionStillAgree",
     {{.offset_s = 0.0, .distance_s = 0.1}, {.offset_s = 0.19, .distance_s = 0.1}},
     "*+",
     0},
    // Two agreeing servers of three, the third stale by more than their
    // distance: the majority is the two whose intervals overlap.
    {"StaleSampleMidpointOutsideStillMajority",
     {{.offset_s = -0.00047, .distance_s = 0.0046},
      {.offset_s = -0.0071, .distance_s = 0.0101},
      {.offset_s = 0.4997, .distance_s = 0.0043}},
     "*+x",
     0},
    {"MidpointInsideIntersectionAgrees",
     {{.offset_s = 0.0, .distance_s = 0.1}, {.offset_s = 0.09, .distance_s = 0.1}},
     "*+",
     0},
    {"PreferWinsOverBetterDistance",
     {{.offset_s = 0.001, .distance_s = 0.01},
      {.offset_s = 0.002, .distance_s = 0.02, .prefer = true},
      {.offset_s = 0.0015, .distance_s = 0.015}},
     "+*+",
     1},
    {"PreferredFalsetickerNotSelected",
     {{.offset_s = 0.0}, {.offset_s = 0.001}, {.offset_s = 0.5, .prefer = true}},
     "*+x",
     0},
    {"NoselectIsRejected",
     {{.offset_s = 0.001, .distance_s = 0.01, .noselect = true},
      {.offset_s = 0.002, .distance_s = 0.02}},
     " *",
     1},
    {"UnreachableIsRejected",
     {{.offset_s = 0.001, .reachable = false}, {.offset_s = 0.002, .distance_s = 0.02}},
     " *",
     1},
    {"Stratum16IsRejected",
     {{.offset_s = 0.001, .stratum = 16}, {.offset_s = 0.002, .distance_s = 0.02}},
     " *",
     1},
    {"MaxdistRejects",
     {{.offset_s = 0.001, .distance_s = 1.6}, {.offset_s = 0.002, .distance_s = 1.5}},
     " *",
     1},
    {"TightMaxdistRejectsAll",
     {{.offset_s = 0.001, .distance_s = 0.2}},
     " ",
     std::nullopt,
     {.maxdist_s = 0.1}},
    {"NonFiniteIsRejected",
     {{.offset_s = kNaN}, {.offset_s = 0.0, .distance_s = kNaN}, {.offset_s = 0.002}},
     "  *",
     2},
    {"MinsaneTwoWithOneSurvivor",
     {{.offset_s = 0.001}, {.offset_s = 0.002, .reachable = false}},
     "+ ",
     std::nullopt,
     {.minsane = 2}},
    {"MinsaneTwoWithTwoSurvivors",
     {{.offset_s = 0.001}, {.offset_s = 0.002, .distance_s = 0.02}},
     "*+",
     0,
     {.minsane = 2}},
    // §11.2.2: φ_s of the 20 ms source ≈ 20 ms ≫ min ψ = 1 ms; after it goes,
    // φ_s ≈ 0.1 ms < 1 ms and pruning stops with four left.
    {"ClusteringDropsNoisyOne",
     {{.offset_s = 0.0, .distance_s = 0.05},
      {.offset_s = 0.0001, .distance_s = 0.05},
      {.offset_s = -0.0001, .distance_s = 0.05},
      {.offset_s = 0.00005, .distance_s = 0.05},
      {.offset_s = 0.02, .distance_s = 0.05}},
     "*+++-",
     0},
    {"ClusteringStopsAtMinclock",
     {{.offset_s = 0.0, .distance_s = 0.05},
      {.offset_s = 0.01, .distance_s = 0.05},
      {.offset_s = 0.02, .distance_s = 0.05}},
     "*++",
     0},
    {"ClusteringPrunesDownToMinclock",
     {{.offset_s = 0.0, .distance_s = 0.05},
      {.offset_s = 0.01, .distance_s = 0.05},
      {.offset_s = 0.02, .distance_s = 0.05}},
     "*+-",
     0,
     {.minclock = 2}},
    {"ClusteringNeverPrunesBelowMinsane",
     {{.offset_s = 0.0, .distance_s = 0.05},
      {.offset_s = 0.01, .distance_s = 0.05},
      {.offset_s = 0.02, .distance_s = 0.05}},
     "*++",
     0,
     {.minsane = 3, .minclock = 1}},
    {"ClusteringKeepsQuietSources",
     {{.offset_s = 0.0, .distance_s = 0.05, .jitter_s = 0.03},
      {.offset_s = 0.01, .distance_s = 0.05, .jitter_s = 0.03},
      {.offset_s = 0.02, .distance_s = 0.05, .jitter_s = 0.03}},
     "*++",
     0,
     {.minclock = 1}},
    {"ClusteringNeverPrunesPrefer",
     {{.offset_s = 0.0, .distance_s = 0.05},
      {.offset_s = 0.01, .distance_s = 0.05},
      {.offset_s = 0.02, .distance_s = 0.05, .prefer = true}},
     "++*",
     2,
     {.minclock = 1}},
    {"MaxclockExcess",
     {{.offset_s = 0.001, .distance_s = 0.01},
      {.offset_s = 0.002, .distance_s = 0.02},
      {.offset_s = 0.0015, .distance_s = 0.015}},
     "*.+",
     0,
     {.maxclock = 2}},
    {"TrueTickerNeverFalseticker",
     {{.offset_s = 0.0}, {.offset_s = 0.001}, {.offset_s = 0.5, .true_ticker = true}},
     "*++",
     0},
    {"TrueTickerCarriesOnWithoutMajority",
     {{.offset_s = 0.0}, {.offset_s = 0.3, .distance_s = 0.02, .true_ticker = true}},
     "x*",
     1},
    {"FarSurvivorIsBackupNotCombined",
     {{.offset_s = 0.001, .distance_s = 0.01},
      {.offset_s = 0.002, .distance_s = 0.01},
      {.offset_s = 0.003, .distance_s = 0.05}},
     "*+#",
     0},
    {"TiesBreakOnId", {{.offset_s = 0.001}, {.offset_s = 0.001}}, "*+", 0},
    // Clock-hop avoidance: 12 ms ≤ 1.5 × 10 ms keeps the previous peer.
    {"PreviousPeerKeptWhenNotMuchWorse",
     {{.offset_s = 0.001, .distance_s = 0.010}, {.offset_s = 0.002, .distance_s = 0.012}},
     "+*",
     1,
     {},
     1},
    {"PreviousPeerDroppedWhenClearlyWorse",
     {{.offset_s = 0.001, .distance_s = 0.005}, {.offset_s = 0.002, .distance_s = 0.012}},
     "*+",
     0,
     {},
     1},
    {"PreviousPeerDroppedWhenHigherStratum",
     {{.offset_s = 0.001, .distance_s = 0.012, .stratum = 1},
      {.offset_s = 0.002, .distance_s = 0.010, .stratum = 2}},
     "*+",
     0,
     {},
     1},
    {"PreviousPeerDroppedWhenFalseticker",
     {{.offset_s = 0.0, .distance_s = 0.012},
      {.offset_s = 0.001, .distance_s = 0.015},
      {.offset_s = 0.5, .distance_s = 0.010}},
     "*+x",
     0,
     {},
     2},
    {"PreferBeatsPreviousPeer",
     {{.offset_s = 0.001, .distance_s = 0.010},
      {.offset_s = 0.002, .distance_s = 0.012, .prefer = true}},
     "+*",
     1,
     {},
     0},
};

INSTANTIATE_TEST_SUITE_P(Rfc5905, SelectionTableTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(SelectionTest, EmptyInputIsUnsynchronised) {
  const Selection s = select_sources({}, SelectOptions{});
  EXPECT_FALSE(s.synchronised());
  EXPECT_TRUE(s.tally.empty());
  EXPECT_EQ(s.survivors, 0u);
  EXPECT_EQ(s.offset_s, 0);
  EXPECT_EQ(s.jitter_s, 0);
}

// RFC 5905 §11.2.3, by hand: weights 1/λ = 100 and 50.
// Θ = (0.010·100 + 0.020·50) / 150 = 2/150;
// ψ_s² = (100·0² + 50·0.010²) / 150 = 0.005/150; ψ = sqrt(ψ_s² + 0.001²).
TEST(SelectionTest, CombineWeightsByInverseDistance) {
  const auto candidates = make({{.offset_s = 0.010, .distance_s = 0.01, .jitter_s = 0.001},
                                {.offset_s = 0.020, .distance_s = 0.02, .jitter_s = 0.002}});
  const Selection s = select_sources(candidates, SelectOptions{});
  ASSERT_EQ(s.system_peer, 0u);
  EXPECT_EQ(tallies(s), "*+");
  EXPECT_EQ(s.survivors, 2u);
  EXPECT_NEAR(s.offset_s, 2.0 / 150.0, 1e-15);
  EXPECT_NEAR(s.jitter_s, std::sqrt(0.005 / 150.0 + 0.001 * 0.001), 1e-15);
}

TEST(SelectionTest, CombineIgnoresBackupsAndFalsetickers) {
  const auto candidates = make({{.offset_s = 0.001, .distance_s = 0.01},
                                {.offset_s = 0.003, .distance_s = 0.01},
                                {.offset_s = 0.010, .distance_s = 0.05},  // '#'
                                {.offset_s = 0.9, .distance_s = 0.01}});  // 'x'
  const Selection s = select_sources(candidates, SelectOptions{});
  EXPECT_EQ(tallies(s), "*+#x");
  EXPECT_EQ(s.survivors, 3u);
  EXPECT_NEAR(s.offset_s, 0.002, 1e-15);
  EXPECT_NEAR(s.jitter_s, std::hypot(std::sqrt(0.5 * 0.002 * 0.002), 0.001), 1e-15);
}

TEST(SelectionTest, SingleSourceOffsetAndJitterAreItsOwn) {
  const auto candidates = make({{.offset_s = -0.25, .distance_s = 0.1, .jitter_s = 0.004}});
  const Selection s = select_sources(candidates, SelectOptions{});
  EXPECT_DOUBLE_EQ(s.offset_s, -0.25);
  EXPECT_DOUBLE_EQ(s.jitter_s, 0.004);
}

TEST(SelectionTest, PreferPeerOffsetIsUsedAlone) {
  const auto candidates = make({{.offset_s = 0.001, .distance_s = 0.01},
                                {.offset_s = 0.004, .distance_s = 0.02, .prefer = true}});
  const Selection s = select_sources(candidates, SelectOptions{});
  ASSERT_EQ(s.system_peer, 1u);
  EXPECT_DOUBLE_EQ(s.offset_s, 0.004);
}

TEST(SelectionTest, UnsynchronisedReportsNoOffset) {
  const auto candidates = make({{.offset_s = 0.3}});
  SelectOptions options;
  options.minsane = 2;
  const Selection s = select_sources(candidates, options);
  EXPECT_FALSE(s.synchronised());
  EXPECT_EQ(s.survivors, 1u);
  EXPECT_EQ(s.offset_s, 0);
}

// Ties break on Candidate::id, not on input position.
TEST(SelectionTest, SystemPeerTieBreaksOnIdNotPosition) {
  auto candidates = make({{.offset_s = 0.001}, {.offset_s = 0.001}});
  candidates[0].id = 7;
  candidates[1].id = 3;
  const Selection s = select_sources(candidates, SelectOptions{});
  EXPECT_EQ(s.system_peer, 3u);
  EXPECT_EQ(tallies(s), "+*");
}

// The same input in any order selects the same peer with the same offset.
TEST(SelectionTest, ResultDoesNotDependOnInputOrder) {
  auto candidates = make({{.offset_s = 0.0, .distance_s = 0.03},
                          {.offset_s = 0.002, .distance_s = 0.02},
                          {.offset_s = 0.5, .distance_s = 0.01},
                          {.offset_s = 0.001, .distance_s = 0.02}});
  const Selection forward = select_sources(candidates, SelectOptions{});
  std::reverse(candidates.begin(), candidates.end());
  const Selection backward = select_sources(candidates, SelectOptions{});
  EXPECT_EQ(forward.system_peer, 1u);
  EXPECT_EQ(backward.system_peer, 1u);
  EXPECT_DOUBLE_EQ(forward.offset_s, backward.offset_s);
  EXPECT_EQ(tallies(forward), "+*x+");
  EXPECT_EQ(tallies(backward), "+x*+");
}

// Issue 11: two good servers whose filters hold stages for missed polls
// have a large λ (ε counts MAXDISP for those stages) but narrow correctness
// intervals (their samples' own dispersion); a liar 0.5 s off with a small
// λ must stay a falseticker. With λ as the interval it would be a
// truechimer and, with the smallest λ, the system peer.
TEST(Selection, MissedPollsDoNotWidenTheCorrectnessInterval) {
  auto cs = make({{.offset_s = 0.0, .distance_s = 0.94},
                  {.offset_s = 0.0003, .distance_s = 0.94},
                  {.offset_s = 0.5, .distance_s = 0.003}});
  cs[0].interval_s = 0.003;
  cs[1].interval_s = 0.003;
  const Selection with_intervals = select_sources(cs, SelectOptions{});
  ASSERT_TRUE(with_intervals.system_peer.has_value());
  EXPECT_NE(*with_intervals.system_peer, 2u);
  EXPECT_EQ(with_intervals.tally[2], Tally::kFalseticker);
  cs[0].interval_s = cs[1].interval_s = 0;  // λ as the interval: the old behaviour
  const Selection with_lambda = select_sources(cs, SelectOptions{});
  EXPECT_EQ(with_lambda.system_peer, std::optional<size_t>(2));
}

}  // namespace
}  // namespace meridian::select
