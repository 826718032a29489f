// ntpdate-style server choice: best sample per server, falseticker guard,
// then lowest stratum and smallest root distance.
#include "core/select/ntpdate_select.h"

#include <gtest/gtest.h>

#include <vector>

namespace meridian::select {
namespace {

using source::Sample;

// A sample with root distance λ = (root_delay + delay)/2 + root_disp + disp.
Sample make_sample(double offset_s, double delay_s, uint8_t stratum = 2,
                   double root_delay_s = 0.002, double root_dispersion_s = 0.001) {
  Sample s;
  s.offset_s = offset_s;
  s.delay_s = delay_s;
  s.dispersion_s = 0.0001;
  s.root_delay_s = root_delay_s;
  s.root_dispersion_s = root_dispersion_s;
  s.stratum = stratum;
  return s;
}

ServerSamples server(std::vector<Sample> samples) { return ServerSamples{std::move(samples)}; }

TEST(BestSampleTest, EmptyIsNullopt) { EXPECT_EQ(best_sample(ServerSamples{}), std::nullopt); }

TEST(BestSampleTest, PicksMinimumDelay) {
  const auto s =
      server({make_sample(0.1, 0.050), make_sample(0.2, 0.010), make_sample(0.3, 0.030)});
  EXPECT_EQ(best_sample(s), 1u);
  const auto last = server({make_sample(0, 0.5), make_sample(0, 0.4), make_sample(0, 0.001)});
  EXPECT_EQ(best_sample(last), 2u);
  EXPECT_EQ(best_sample(server({make_sample(0, 0.3)})), 0u);
}

TEST(BestSampleTest, TiesKeepTheFirst) {
  const auto s =
      server({make_sample(0.1, 0.020), make_sample(0.2, 0.010), make_sample(0.3, 0.010)});
  EXPECT_EQ(best_sample(s), 1u);
}

TEST(ChooseServerTest, EmptyIsNullopt) {
  EXPECT_EQ(choose_server({}), std::nullopt);
  const std::vector<ServerSamples> none = {ServerSamples{}, ServerSamples{}};
  EXPECT_EQ(choose_server(none), std::nullopt);
  EXPECT_TRUE(truechimers(none).empty());
}

TEST(ChooseServerTest, SingleServerUsesItsBestSample) {
  const std::vector<ServerSamples> servers = {
      server({make_sample(0.5, 0.08), make_sample(0.4, 0.02), make_sample(0.3, 0.05)})};
  const auto choice = choose_server(servers);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->server, 0u);
  EXPECT_EQ(choice->sample.offset_s, 0.4);
  EXPECT_EQ(choice->sample.delay_s, 0.02);
}

TEST(ChooseServerTest, SkipsServersWithoutSamples) {
  const std::vector<ServerSamples> servers = {ServerSamples{}, server({make_sample(0.01, 0.02, 3)}),
                                              ServerSamples{}};
  const auto choice = choose_server(servers);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->server, 1u);
}

TEST(ChooseServerTest, PrefersLowerStratumOverSmallerDistance) {
  const std::vector<ServerSamples> servers = {
      server({make_sample(0.001, 0.002, 3)}),              // tiny distance, stratum 3
      server({make_sample(0.002, 0.090, 1, 0.05, 0.02)}),  // far worse distance, stratum 1
      server({make_sample(0.0015, 0.010, 2)}),
  };
  const auto choice = choose_server(servers);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->server, 1u);
  EXPECT_EQ(choice->sample.stratum, 1);
}

TEST(ChooseServerTest, SameStratumPrefersSmallerRootDistance) {
  const std::vector<ServerSamples> servers = {
      server({make_sample(0.001, 0.040, 2)}),
      server({make_sample(0.002, 0.004, 2, 0.001, 0.0005)}),
      server({make_sample(0.003, 0.010, 2, 0.030, 0.002)}),
  };
  ASSERT_LT(servers[1].samples[0].root_distance_s(), servers[0].samples[0].root_distance_s());
  ASSERT_LT(servers[1].samples[0].root_distance_s(), servers[2].samples[0].root_distance_s());
  const auto choice = choose_server(servers);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->server, 1u);
}

TEST(ChooseServerTest, RootDistanceUsesEachServersBestSample) {
  // Server 0's best (min-delay) sample has a large root dispersion; its
  // other sample would have won, but only the best sample counts.
  const std::vector<ServerSamples> servers = {
      server({make_sample(0.0, 0.001, 2, 0.001, 0.5), make_sample(0.0, 0.002, 2, 0.001, 0.0)}),
      server({make_sample(0.0, 0.010, 2, 0.001, 0.01)}),
  };
  const auto choice = choose_server(servers);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->server, 1u);
}

TEST(ChooseServerTest, FalsetickerHalfASecondOffIsDroppedAmongThree) {
  const std::vector<ServerSamples> servers = {
      server({make_sample(0.001, 0.010, 2)}),
      server({make_sample(0.500, 0.008, 1)}),  // lowest stratum but disagrees by 0.5 s
      server({make_sample(-0.002, 0.012, 2)}),
  };
  EXPECT_EQ(truechimers(servers), (std::vector<size_t>{0, 2}));
  const auto choice = choose_server(servers);
  ASSERT_TRUE(choice);
  EXPECT_NE(choice->server, 1u);
  EXPECT_EQ(choice->server, 0u);  // smaller root distance of the two stratum-2 servers
}

TEST(ChooseServerTest, FalsetickerDroppedAmongFive) {
  std::vector<ServerSamples> servers;
  for (double offset : {0.010, 0.012, -0.480, 0.009, 0.011}) {
    servers.push_back(server({make_sample(offset, 0.010, offset < 0 ? 1 : 2)}));
  }
  EXPECT_EQ(truechimers(servers), (std::vector<size_t>{0, 1, 3, 4}));
  const auto choice = choose_server(servers);
  ASSERT_TRUE(choice);
  EXPECT_NE(choice->server, 2u);
}

TEST(ChooseServerTest, WithTwoServersNothingIsDropped) {
  const std::vector<ServerSamples> servers = {
      server({make_sample(0.001, 0.010, 2)}),
      server({make_sample(0.500, 0.008, 1)}),
  };
  EXPECT_EQ(truechimers(servers), (std::vector<size_t>{0, 1}));
  const auto choice = choose_server(servers);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->server, 1u);  // no majority to outvote it: stratum decides
}

TEST(ChooseServerTest, TwoEligibleOfThreeIsNotEnoughToDrop) {
  const std::vector<ServerSamples> servers = {
      server({make_sample(0.001, 0.010, 2)}),
      ServerSamples{},
      server({make_sample(0.500, 0.008, 1)}),
  };
  EXPECT_EQ(truechimers(servers), (std::vector<size_t>{0, 2}));
  const auto choice = choose_server(servers);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->server, 2u);
}

TEST(ChooseServerTest, WideIntervalsOverlapAndSurvive) {
  // A 0.5 s disagreement is tolerated when the root distances cover it.
  const std::vector<ServerSamples> servers = {
      server({make_sample(0.0, 0.010, 2, 0.1, 0.3)}),
      server({make_sample(0.5, 0.010, 2, 0.1, 0.3)}),
      server({make_sample(0.25, 0.010, 2, 0.1, 0.3)}),
  };
  EXPECT_EQ(truechimers(servers), (std::vector<size_t>{0, 1, 2}));
}

TEST(ChooseServerTest, NoMajorityMeansNoChoice) {
  // Two pairs that disagree: neither side overlaps more than half of four.
  const std::vector<ServerSamples> servers = {
      server({make_sample(0.000, 0.010)}),
      server({make_sample(0.001, 0.010)}),
      server({make_sample(0.700, 0.010)}),
      server({make_sample(0.701, 0.010)}),
  };
  EXPECT_TRUE(truechimers(servers).empty());
  EXPECT_EQ(choose_server(servers), std::nullopt);
}

}  // namespace
}  // namespace meridian::select
