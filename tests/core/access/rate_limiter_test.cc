// RateLimiter: classic `discard average A minimum M` leaky bucket
// (ntpd/ntp_monitor.c), KoD limits, and what it records in the MRU list.
#include "core/access/rate_limiter.h"

#include <gtest/gtest.h>

#include "restrict_test_util.h"

namespace meridian::access {
namespace {

using testing::ip;
using wire::Mode;

constexpr uint32_t kLimitedKod = config::kLimited | config::kKod;

RateLimiter make(int average_log2 = 3, double minimum_s = 2, double kod_per_s = 50,
                 double kod_burst = 100, size_t maxdepth = 1024) {
  RateLimiterOptions o;
  o.average_log2 = average_log2;
  o.minimum_s = minimum_s;
  o.kod_global_per_s = kod_per_s;
  o.kod_global_burst = kod_burst;
  MruLimits m;
  m.maxdepth = maxdepth;
  m.mindepth = maxdepth;
  return RateLimiter(o, m, 1);
}

RateVerdict client(RateLimiter& l, const char* from, double t, uint32_t flags = kLimitedKod) {
  return l.observe(ip(from), 50000, Mode::kClient, 4, flags, t);
}

TEST(RateLimiterTest, TenPacketsInOneSecondFirstServedRestLimitedOneKod) {
  RateLimiter l = make();
  int served = 0, kods = 0, dropped = 0;
  for (int i = 0; i < 10; ++i) {
    switch (client(l, "192.0.2.1", 1000.0 + 0.1 * i)) {
      case RateVerdict::kPass:
        ++served;
        break;
      case RateVerdict::kKod:
        ++kods;
        break;
      case RateVerdict::kDrop:
        ++dropped;
        break;
    }
  }
  EXPECT_EQ(served, 1);
  EXPECT_EQ(kods, 1);
  EXPECT_EQ(dropped, 8);
  EXPECT_EQ(l.counters().packets, 10u);
  EXPECT_EQ(l.counters().limited, 9u);
  EXPECT_EQ(l.counters().kod_sent, 1u);
}

TEST(RateLimiterTest, PollingAtTheAverageNeverLimited) {
  RateLimiter l = make();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(client(l, "192.0.2.1", 8.0 * i), RateVerdict::kPass) << "packet " << i;
  }
}

TEST(RateLimiterTest, IburstVolleyPasses) {
  // ntpd's iburst: 8 packets 2 s apart, then the normal poll (64 s).
  RateLimiter l = make();
  double t = 0;
  for (int i = 0; i < 8; ++i, t += 2) ASSERT_EQ(client(l, "192.0.2.1", t), RateVerdict::kPass) << i;
  for (int i = 0; i < 20; ++i, t += 64) ASSERT_EQ(client(l, "192.0.2.1", t), RateVerdict::kPass);
}

TEST(RateLimiterTest, MinimumSpacingEnforcedWithOneSecondGrace) {
  RateLimiter l = make(3, 4);  // discard minimum 4
  client(l, "192.0.2.1", 0);
  EXPECT_EQ(client(l, "192.0.2.1", 3), RateVerdict::kPass);  // 3 + 1 ≥ 4
  RateLimiter l2 = make(3, 4);
  client(l2, "192.0.2.1", 0);
  EXPECT_NE(client(l2, "192.0.2.1", 2), RateVerdict::kPass);  // 2 + 1 < 4
}

TEST(RateLimiterTest, SustainedFastClientIsLimitedOnAverage) {
  // Every 2 s passes the minimum but not the 8 s average: after the bucket
  // fills (~8 headways of credit) the client starts being limited.
  RateLimiter l = make();
  int first_limited = -1;
  for (int i = 0; i < 60; ++i) {
    if (client(l, "192.0.2.1", 2.0 * i) != RateVerdict::kPass) {
      first_limited = i;
      break;
    }
  }
  EXPECT_GT(first_limited, 8);
  EXPECT_LT(first_limited, 30);
}

TEST(RateLimiterTest, KodAtMostOncePerAverageHeadway) {
  // A client hammering 10 packets/s for 10 minutes gets ≤ 1 KoD per 2^A s.
  RateLimiter l = make(3);
  int kods = 0;
  double last_kod = -1e9;
  for (int i = 0; i < 6000; ++i) {
    const double t = 0.1 * i;
    if (client(l, "192.0.2.1", t) == RateVerdict::kKod) {
      ++kods;
      EXPECT_GE(t - last_kod, 8.0 - 1e-9);
      last_kod = t;
    }
  }
  EXPECT_GE(kods, 2);
  EXPECT_LE(kods, 600 / 8 + 1);
}

TEST(RateLimiterTest, KodStopsWhenClientBacksOffAndResumesServing) {
  RateLimiter l = make();
  client(l, "192.0.2.1", 0);
  EXPECT_EQ(client(l, "192.0.2.1", 0), RateVerdict::kKod);
  // A client that obeys the KoD (RFC 5905 §7.4: reduce the poll rate) and
  // goes back to a 64 s poll is served at once, and stays served.
  for (double t = 64; t < 2000; t += 64) EXPECT_EQ(client(l, "192.0.2.1", t), RateVerdict::kPass);
}

TEST(RateLimiterTest, NoLimitedFlagMeansNoLimiting) {
  RateLimiter l = make();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(client(l, "192.0.2.1", 0, 0), RateVerdict::kPass);
  EXPECT_EQ(l.counters().limited, 0u);
  EXPECT_EQ(l.mru().size(), 1u);  // still monitored
}

TEST(RateLimiterTest, LimitedWithoutKodDropsSilently) {
  RateLimiter l = make();
  client(l, "192.0.2.1", 0, config::kLimited);
  EXPECT_EQ(client(l, "192.0.2.1", 0, config::kLimited), RateVerdict::kDrop);
  EXPECT_EQ(l.counters().kod_sent, 0u);
}

TEST(RateLimiterTest, KodOnlyForRequests) {
  RateLimiter l = make();
  for (const Mode m : {Mode::kServer, Mode::kBroadcast, Mode::kSymmetricPassive}) {
    const auto from = ip("192.0.2.50");
    l.observe(from, 123, m, 4, kLimitedKod, 0);
    EXPECT_EQ(l.observe(from, 123, m, 4, kLimitedKod, 0), RateVerdict::kDrop);
  }
  EXPECT_EQ(l.counters().kod_sent, 0u);
}

TEST(RateLimiterTest, ControlQueriesRecordedButNeverLimited) {
  RateLimiter l = make();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(l.observe(ip("192.0.2.1"), 40000, Mode::kControl, 2, kLimitedKod, 0),
              RateVerdict::kPass);
  }
  const MruEntry* e = l.mru().find(ip("192.0.2.1"));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->count, 50u);
  EXPECT_EQ(e->mode, 6);
  EXPECT_EQ(e->version, 2);
}

TEST(RateLimiterTest, GlobalKodBudgetBoundsAFloodFromManyAddresses) {
  // 1000 spoofed sources, each sending two packets: without a global budget
  // that would be 1000 KoDs; with 10/s burst 20 over ~1 s, about 30.
  RateLimiter l = make(3, 2, 10, 20, 4096);
  int kods = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string from = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1";
    const double t = 0.001 * i;
    client(l, from.c_str(), t);
    if (client(l, from.c_str(), t) == RateVerdict::kKod) ++kods;
  }
  EXPECT_GE(kods, 20);
  EXPECT_LE(kods, 31);
  EXPECT_EQ(l.counters().kod_sent, static_cast<uint64_t>(kods));
  EXPECT_EQ(l.counters().kod_suppressed, static_cast<uint64_t>(1000 - kods));
}

TEST(RateLimiterTest, AddressesAreLimitedIndependentlyAndMappedSharesIpv4) {
  RateLimiter l = make();
  client(l, "192.0.2.1", 0);
  EXPECT_EQ(client(l, "192.0.2.2", 0), RateVerdict::kPass);
  EXPECT_EQ(client(l, "::ffff:192.0.2.1", 0), RateVerdict::kKod);  // same client, other socket
}

TEST(RateLimiterTest, PortIsNotPartOfTheKey) {
  // Classic: "otherwise cron'ed ntpdate or similar evades RES_LIMITED".
  RateLimiter l = make();
  l.observe(ip("192.0.2.1"), 40001, Mode::kClient, 4, kLimitedKod, 0);
  EXPECT_EQ(l.observe(ip("192.0.2.1"), 40002, Mode::kClient, 4, kLimitedKod, 0), RateVerdict::kKod);
  EXPECT_EQ(l.mru().find(ip("192.0.2.1"))->port, 40002);
}

TEST(RateLimiterTest, ClockGoingBackwardsIsZeroElapsed) {
  RateLimiter l = make();
  client(l, "192.0.2.1", 100);
  EXPECT_EQ(client(l, "192.0.2.1", 50), RateVerdict::kKod);
  EXPECT_EQ(l.mru().find(ip("192.0.2.1"))->last_seen_s, 100);
}

TEST(RateLimiterTest, MruEntryRecordsTheDecision) {
  RateLimiter l = make();
  client(l, "192.0.2.1", 5);
  const MruEntry* e = l.mru().find(ip("192.0.2.1"));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->restrict_flags & kLimitedKod, 0u);  // classic douses them when not limited
  EXPECT_EQ(e->last_kod_s, kNeverSeen);
  client(l, "192.0.2.1", 5.25);
  EXPECT_EQ(e->restrict_flags & kLimitedKod, kLimitedKod);
  EXPECT_EQ(e->last_kod_s, 5.25);
  EXPECT_EQ(e->first_seen_s, 5);
  EXPECT_EQ(e->last_seen_s, 5.25);
  EXPECT_EQ(e->count, 2u);
  client(l, "192.0.2.1", 5.375);
  EXPECT_EQ(e->restrict_flags & kLimitedKod, uint32_t{config::kLimited});
}

TEST(RateLimiterTest, OptionsFromDiscardConfig) {
  config::DiscardConfig d;
  d.average_log2 = 5;
  d.minimum_s = 4;
  const auto o = RateLimiterOptions::from(d);
  EXPECT_EQ(o.average_log2, 5);
  EXPECT_EQ(o.minimum_s, 4);
  // Out-of-range averages are clamped rather than overflowing 2^A.
  RateLimiterOptions wild;
  wild.average_log2 = 400;
  RateLimiter l(wild, MruLimits{}, 0);
  EXPECT_EQ(l.options().average_log2, 17);
}

}  // namespace
}  // namespace meridian::access
